// Charts for pages, on uPlot (window.uPlot from /vendor/uplot.js): time-series charts with UTC axes, zoom and pan
// that survive live updates (a ChartGroup keeps the x view of synced charts), candlesticks, volume bars, and axis
// labels that always show a top value.
//
// Interaction on every chart: mouse wheel zooms around the pointer, drag pans, Shift+drag zooms to the dragged
// range, double-click goes back to the whole data (following live updates). Update a chart with
// `chart.update(data)`: while the user is zoomed or panned the view is kept and only the y axis re-ranges.

const uPlot = window.uPlot;

export const COLORS = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#db2777'];
export const UP = '#16a34a';
export const DOWN = '#dc2626';

const utc = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
const iso = (s) => new Date(s * 1000).toISOString();

/** Time axis labels in UTC, 24 h: `HH:MM` (seconds when ticks are closer than a minute), the date at day changes. */
function timeValues(_u, splits, _axis, _space, incr) {
  let day = null;
  return splits.map((s) => {
    if (s === null || s === undefined) return '';
    const t = iso(s);
    const time = incr < 60 ? t.slice(11, 19) : t.slice(11, 16);
    const d = t.slice(5, 10);
    const label = incr >= 86400 ? d : d !== day ? `${d} ${time}` : time;
    day = d;
    return label;
  });
}

const timeLegend = (_u, v) => (v === null || v === undefined ? '--' : iso(v).slice(0, 19).replace('T', ' '));

/** Axis labels: compact (12k, 3.4M) for large values, otherwise as few digits as tell the ticks apart. */
export function compactValues(_u, vals) {
  return vals.map((v) => {
    if (v === null || v === undefined) return '';
    const a = Math.abs(v);
    if (a >= 1e9) return `${+(v / 1e9).toFixed(2)}G`;
    if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
    if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
    return String(+v.toPrecision(6));
  });
}

/** Axis labels with exactly `d` decimals (prices of one instrument). */
export const fixedValues = (d) => (_u, vals) =>
  vals.map((v) =>
    v === null || v === undefined
      ? ''
      : v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }),
  );

/** The smallest 1, 2, 2.5 or 5 × 10^k at or above v (v > 0). */
export function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** Half the spacing of the first two x values (seconds): candles and bars at the edges are drawn whole. */
export const halfBar = (u) => {
  const xs = u.data?.[0];
  return xs && xs.length > 1 ? (xs[1] - xs[0]) / 2 : 0;
};

/** y range from 0 to a round number at or above the maximum, so the axis always labels its top (volumes). */
export const zeroToNice = (_u, _min, max) => [0, niceCeil(max)];

/** Width of a y axis that fits its longest label. */
function axisSize(u, values, axisIdx, cycleNum) {
  const axis = u.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  const longest = (values ?? []).reduce((m, v) => Math.max(m, String(v).length), 0);
  return Math.max(40, Math.ceil(longest * 7.2) + 18);
}

/**
 * The x view shared by synced charts: null follows the data (the whole of it), {min, max} (seconds) is a view the
 * user chose by zooming or panning, kept across data updates until a double-click resets it.
 */
export class ChartGroup {
  constructor(onChange) {
    this.charts = new Set();
    this.view = null;
    this.onChange = onChange;
  }

  /** The x extent of the data of every chart in the group, or null. */
  extent() {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const u of this.charts) {
      const xs = u.data?.[0];
      if (!xs || xs.length === 0) continue;
      min = Math.min(min, xs[0]);
      max = Math.max(max, xs[xs.length - 1]);
    }
    return min <= max ? { min, max } : null;
  }

  /** Sets the view (null: follow the data) on every chart. */
  setView(view) {
    const ext = this.extent();
    if (view && ext && view.min <= ext.min && view.max >= ext.max) view = null; // zoomed out to everything
    this.view = view ? { min: view.min, max: view.max } : null;
    for (const u of this.charts) this.apply(u);
    this.onChange?.(this.view);
  }

  apply(u) {
    if (this.view) u.setScale('x', { ...this.view });
    else u.setData(u.data);
  }

  /** New data for chart `u`, keeping the user's view when there is one. */
  setData(u, data) {
    if (this.view) {
      u.setData(data, false);
      u.setScale('x', { ...this.view });
    } else {
      u.setData(data);
    }
  }

  /** The current x range of the group (the view, or what the first chart shows). */
  current() {
    if (this.view) return this.view;
    for (const u of this.charts) if (u.scales.x.min !== null && u.scales.x.min !== undefined) return u.scales.x;
    return null;
  }
}

/** Clamps a view of fixed width into the data's extent. */
function clampShift(min, max, ext) {
  const w = max - min;
  if (!ext || w >= ext.max - ext.min) return { min, max };
  if (min < ext.min) return { min: ext.min, max: ext.min + w };
  if (max > ext.max) return { min: ext.max - w, max: ext.max };
  return { min, max };
}

/** Wheel zoom, drag pan (Shift+drag: uPlot's range select, turned into a view). */
function bindInteractions(u, group) {
  const over = u.over;
  over.addEventListener(
    'wheel',
    (e) => {
      const cur = group.current();
      const ext = group.extent();
      if (!cur || !ext) return;
      e.preventDefault();
      const x = u.posToVal(e.offsetX, 'x');
      const f = e.deltaY < 0 ? 0.8 : 1.25;
      const min = Math.max(ext.min, x - (x - cur.min) * f);
      const max = Math.min(ext.max, x + (cur.max - x) * f);
      if (max - min > 0) group.setView({ min, max });
    },
    { passive: false },
  );
  over.addEventListener(
    'mousedown',
    (e) => {
      if (e.button !== 0 || e.shiftKey) return; // Shift+drag: uPlot's select → setSelect hook
      e.stopImmediatePropagation();
      const start = group.current();
      const ext = group.extent();
      if (!start || !ext) return;
      const x0 = e.clientX;
      const perPx = (start.max - start.min) / Math.max(1, over.clientWidth);
      const move = (m) => {
        const d = (m.clientX - x0) * perPx;
        if (d === 0) return;
        const v = clampShift(start.min - d, start.max - d, ext);
        if (group.view || v.min !== start.min) group.setView(v);
      };
      const up = () => {
        window.removeEventListener('mousemove', move);
        window.removeEventListener('mouseup', up);
      };
      window.addEventListener('mousemove', move);
      window.addEventListener('mouseup', up);
    },
    { capture: true },
  );
}

/**
 * A time-series chart in `container`, sized to its width (and resized with it). `series`: uPlot series options
 * after the x series. Options: height, group (a ChartGroup to share the x view with; one of its own otherwise),
 * sync (cursor sync key), bands, yRange, yValues (axis label function), yScale, yStroke and ySize (of the left
 * axis; charts stacked under each other want one ySize so their plots line up), xPad(u) (seconds of padding on both
 * sides of the x range, e.g. half a bar for candlesticks), scales, axes (extra y axes), hooks, plugins.
 * Returns the uPlot instance with `update(data)` (keeps the user's view) and `group`.
 */
export function timeChart(container, series, opts = {}) {
  const { height = 220, bands, sync, yRange, yValues, yScale = 'y', yStroke = '#555', ySize, xPad } = opts;
  const { scales = {}, axes = [], hooks = {}, plugins = [] } = opts;
  const group = opts.group ?? new ChartGroup();
  container.textContent = '';
  const width = Math.max(200, container.clientWidth || 600);
  const chart = new uPlot(
    {
      width,
      height,
      tzDate: utc,
      cursor: {
        ...(sync ? { sync: { key: sync } } : {}),
        drag: { x: true, y: false, setScale: false },
        bind: { dblclick: () => () => group.setView(null) },
      },
      select: { show: true },
      scales: {
        x: { time: true, ...(xPad ? { range: (u, min, max) => [min - xPad(u), max + xPad(u)] } : {}) },
        ...(yRange ? { [yScale]: { range: yRange } } : {}),
        ...scales,
      },
      axes: [
        { stroke: '#555', grid: { stroke: '#eee' }, values: timeValues, space: 90 },
        {
          scale: yScale,
          stroke: yStroke,
          size: ySize ?? axisSize,
          values: yValues ?? compactValues,
          space: height < 140 ? 16 : 30,
          grid: { stroke: '#eee' },
        },
        ...axes,
      ],
      series: [{ label: 'UTC', value: timeLegend }, ...series],
      bands,
      plugins,
      hooks: {
        ...hooks,
        setSelect: [
          ...(hooks.setSelect ?? []),
          (u) => {
            if (u.select.width < 4) return;
            const min = u.posToVal(u.select.left, 'x');
            const max = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            group.setView({ min, max });
          },
        ],
      },
    },
    [[], ...series.map(() => [])],
    container,
  );
  group.charts.add(chart);
  chart.group = group;
  chart.update = (data) => group.setData(chart, data);
  bindInteractions(chart, group);
  const ro = new ResizeObserver(() => {
    const w = container.clientWidth;
    if (w > 0 && Math.abs(w - chart.width) > 2) chart.setSize({ width: w, height });
  });
  ro.observe(container);
  chart.ro = ro;
  return chart;
}

export function destroyChart(chart) {
  if (!chart) return;
  chart.ro?.disconnect();
  chart.group?.charts.delete(chart);
  chart.destroy();
}

export const line = (label, stroke, extra = {}) => ({ label, stroke, width: 1.5, spanGaps: true, ...extra });

/** A series that is in the legend and the y range but draws nothing itself (candlesticks draw OHLC). */
export const quiet = (label, extra = {}) => ({ label, paths: () => null, points: { show: false }, ...extra });

export const bars = (label, fill, extra = {}) => ({
  label,
  fill,
  stroke: fill,
  width: 0,
  paths: uPlot.paths.bars({ size: [0.7, 40] }),
  points: { show: false },
  ...extra,
});

/**
 * Candlesticks drawn from the series at indexes o, h, l, c (of chart.data): a wick from low to high and a body
 * from open to close, green when close ≥ open, red otherwise.
 */
export function candlesticks({ o, h, l, c }) {
  return {
    hooks: {
      draw: [
        (u) => {
          const xs = u.data[0];
          const [i0, i1] = u.series[c].idxs ?? [0, xs.length - 1];
          if (xs.length === 0 || i0 === null || i1 === null) return;
          const ctx = u.ctx;
          const px = (v, s) => Math.round(u.valToPos(v, s, true));
          const n = Math.max(1, i1 - i0);
          const span = i1 > i0 ? u.valToPos(xs[i1], 'x', true) - u.valToPos(xs[i0], 'x', true) : u.bbox.width / 4;
          const body = Math.max(1, Math.min(24 * devicePixelRatio, (span / n) * 0.7));
          ctx.save();
          ctx.beginPath();
          ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
          ctx.clip();
          for (let i = i0; i <= i1; i++) {
            const [vo, vh, vl, vc] = [u.data[o][i], u.data[h][i], u.data[l][i], u.data[c][i]];
            if ([vo, vh, vl, vc].some((v) => typeof v !== 'number')) continue;
            const x = px(xs[i], 'x');
            const color = vc >= vo ? UP : DOWN;
            ctx.fillStyle = color;
            ctx.fillRect(
              x - Math.max(1, devicePixelRatio) / 2,
              px(vh, 'y'),
              Math.max(1, devicePixelRatio),
              px(vl, 'y') - px(vh, 'y') || 1,
            );
            const top = px(Math.max(vo, vc), 'y');
            const bottom = px(Math.min(vo, vc), 'y');
            ctx.fillRect(Math.round(x - body / 2), top, Math.round(body), Math.max(1, bottom - top));
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** Aligns several [xs, ys] tables on the union of their xs (nulls where a table has no point). */
export function alignTables(tables) {
  if (tables.length === 0) return [[]];
  return uPlot.join(tables);
}

// uPlot wrappers (window.uPlot from /vendor/uplot.js) and the derived series the live charts draw.

const uPlot = window.uPlot;

export const COLORS = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#db2777'];

/**
 * Bollinger bands over `n` values: the simple moving average and mid ± k population standard deviations of the
 * last n closes. The first n - 1 points (and any window with a null close) are null.
 */
export function bollinger(closes, n = 20, k = 2) {
  const mid = [];
  const upper = [];
  const lower = [];
  for (let i = 0; i < closes.length; i++) {
    let ok = i >= n - 1;
    let sum = 0;
    for (let j = i - n + 1; ok && j <= i; j++) {
      if (typeof closes[j] !== 'number') ok = false;
      else sum += closes[j];
    }
    if (!ok) {
      mid.push(null);
      upper.push(null);
      lower.push(null);
      continue;
    }
    const m = sum / n;
    let ss = 0;
    for (let j = i - n + 1; j <= i; j++) ss += (closes[j] - m) ** 2;
    const sd = Math.sqrt(ss / n);
    mid.push(m);
    upper.push(m + k * sd);
    lower.push(m - k * sd);
  }
  return { mid, upper, lower };
}

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

function axisValues(_u, vals) {
  return vals.map((v) => {
    if (v === null || v === undefined) return '';
    const a = Math.abs(v);
    if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
    if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
    if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
    return String(+v.toPrecision(6));
  });
}

/**
 * A time-series chart in `container`, sized to it (and resized with it). `series`: uPlot series options after the
 * x series. Returns the uPlot instance; `chart.setData([xsSeconds, ...ys])` updates it.
 */
export function timeChart(container, series, { height = 220, bands, sync, yRange } = {}) {
  container.textContent = '';
  const width = Math.max(200, container.clientWidth || 600);
  const opts = {
    width,
    height,
    tzDate: utc,
    cursor: sync ? { sync: { key: sync } } : {},
    scales: { x: { time: true }, ...(yRange ? { y: { range: yRange } } : {}) },
    axes: [
      { stroke: '#555', grid: { stroke: '#eee' }, values: timeValues, space: 90 },
      { stroke: '#555', size: 64, values: axisValues, space: height < 120 ? 18 : 30, grid: { stroke: '#eee' } },
    ],
    series: [{ label: 'UTC', value: timeLegend }, ...series],
    bands,
  };
  const chart = new uPlot(opts, [[], ...series.map(() => [])], container);
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
  chart.destroy();
}

export const line = (label, stroke, extra = {}) => ({ label, stroke, width: 1.5, spanGaps: true, ...extra });

export const bars = (label, fill) => ({
  label,
  fill,
  stroke: fill,
  width: 0,
  paths: uPlot.paths.bars({ size: [0.7, 40] }),
  points: { show: false },
});

/** Aligns several [xs, ys] tables on the union of their xs (nulls where a table has no point). */
export function alignTables(tables) {
  if (tables.length === 0) return [[]];
  return uPlot.join(tables);
}

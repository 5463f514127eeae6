// Query results as the API returns them ({columns, rows, row_count, truncated}): a table, and a chart when the
// result is a time series (a date/timestamp column and numeric columns). Series whose magnitudes differ (BTC at
// 67,000 beside equities at 150) are not drawn on one axis: the chart shows each as % change since its first
// value (the legend keeps the raw value), or on an axis of its own; a selector switches between the scales.

import { alignTables, COLORS, destroyChart, line, timeChart } from './charts.js';
import { el, select } from './dom.js';
import { fmtNum, parseTime } from './format.js';

const SHOWN_ROWS = 500;
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;
const TEMPORAL = /^(DATE|TIMESTAMP)/;
/** Series whose typical magnitudes differ by more than this factor do not share an axis. */
export const MAGNITUDE_RATIO = 10;

export { errorBox, fetchJson } from './api.js';

function cell(v, numeric) {
  if (v === null || v === undefined) return el('td', { class: 'null' }, '');
  if (typeof v === 'object') return el('td', {}, JSON.stringify(v));
  return el('td', { class: numeric ? 'num' : '', title: String(v) }, numeric ? fmtNum(v) : String(v));
}

/** The result table (the first SHOWN_ROWS rows). */
export function resultTable(body) {
  const numeric = body.columns.map((c) => NUMERIC.test(c.type));
  const head = el(
    'tr',
    {},
    ...body.columns.map((c, i) => el('th', { title: c.type, class: numeric[i] ? 'num' : '' }, c.name)),
  );
  const rows = body.rows
    .slice(0, SHOWN_ROWS)
    .map((r) => el('tr', {}, ...body.columns.map((c, i) => cell(r[c.name], numeric[i]))));
  return el(
    'div',
    { class: 'table-wrap' },
    el('table', { class: 'result-table' }, el('thead', {}, head), el('tbody', {}, ...rows)),
  );
}

export function resultMeta(body) {
  const n = body.row_count ?? body.rows.length;
  const parts = [`${fmtNum(n)} row${n === 1 ? '' : 's'}`];
  if (n > SHOWN_ROWS) parts.push(`first ${SHOWN_ROWS} shown`);
  if (body.truncated) parts.push('truncated by the server’s row cap');
  return parts.join(' · ');
}

/**
 * How to chart a result, or null: x = the first date/timestamp column (at least two distinct times); with a text
 * column of 2 or more distinct values (e.g. symbol, portfolio_id), one line per value (the first 12) of the first
 * numeric column, otherwise one line per numeric column (at most 6).
 */
export function chartPlan(body) {
  const cols = body.columns;
  const x = cols.find((c) => TEMPORAL.test(c.type));
  if (!x || new Set(body.rows.map((r) => r[x.name])).size < 2) return null;
  const nums = cols.filter((c) => NUMERIC.test(c.type));
  if (nums.length === 0) return null;
  const key = cols.find((c) => c.type === 'VARCHAR');
  if (key) {
    const values = [...new Set(body.rows.map((r) => r[key.name]))];
    if (values.length >= 2) {
      return { x: x.name, key: key.name, groups: values.slice(0, 12), total: values.length, y: nums[0].name };
    }
  }
  return { x: x.name, ys: nums.slice(0, 6).map((c) => c.name) };
}

function plannedData(body, plan) {
  const rows = body.rows
    .map((r) => ({ r, t: parseTime(r[plan.x]) }))
    .filter((p) => p.t !== null)
    .sort((a, b) => a.t - b.t);
  const num = (v) => (typeof v === 'number' ? v : null);
  if (plan.groups) {
    const tables = plan.groups.map((g) => {
      const mine = rows.filter((p) => p.r[plan.key] === g);
      return [mine.map((p) => p.t / 1000), mine.map((p) => num(p.r[plan.y]))];
    });
    return alignTables(tables);
  }
  return [rows.map((p) => p.t / 1000), ...plan.ys.map((y) => rows.map((p) => num(p.r[y])))];
}

/** A series' typical magnitude: the median of its absolute non-zero values (null when it has none). */
function magnitude(ys) {
  const a = ys.filter((v) => typeof v === 'number' && v !== 0).map(Math.abs);
  if (a.length === 0) return null;
  a.sort((p, q) => p - q);
  return a[Math.floor(a.length / 2)];
}

/** True when the series' magnitudes differ by more than MAGNITUDE_RATIO (they should not share an axis). */
export function magnitudesDiffer(data) {
  const m = data
    .slice(1)
    .map(magnitude)
    .filter((v) => v !== null);
  return m.length >= 2 && Math.max(...m) / Math.min(...m) > MAGNITUDE_RATIO;
}

/** Each series as % change since its first non-zero value. */
export function percentChange(data) {
  return data.map((ys, si) => {
    if (si === 0) return ys;
    const first = ys.find((v) => typeof v === 'number' && v !== 0);
    return ys.map((v) => (typeof v === 'number' && first ? (v / first - 1) * 100 : null));
  });
}

const SCALES = [
  ['shared', 'one axis'],
  ['pct', '% change since first value'],
  ['own', 'an axis per series'],
];

/** The chart of a planned result in `holder` with the given scale mode; returns the chart. */
function drawChart(holder, labels, raw, mode) {
  const legendRaw = (_u, v, si, i) => {
    const r = raw[si]?.[i];
    if (v === null || v === undefined || r === null || r === undefined) return '--';
    return mode === 'pct' ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}% (${fmtNum(r)})` : fmtNum(r);
  };
  const own = mode === 'own';
  const series = labels.map((l, i) => ({
    ...line(l, COLORS[i % COLORS.length], { value: legendRaw }),
    ...(own ? { scale: `y${i}` } : {}),
  }));
  const chart = timeChart(holder, series, {
    height: 260,
    // own: the first series on the left axis, the second on the right one, the others without an axis
    yScale: own ? 'y0' : 'y',
    yStroke: own ? COLORS[0] : undefined,
    axes:
      own && labels.length > 1 ? [{ scale: 'y1', side: 1, stroke: COLORS[1], grid: { show: false }, size: 64 }] : [],
    yValues: mode === 'pct' ? (_u, vals) => vals.map((v) => (v === null ? '' : `${+v.toFixed(2)}%`)) : undefined,
  });
  chart.update(mode === 'pct' ? percentChange(raw) : raw);
  chart.scaleMode = mode;
  return chart;
}

/**
 * Renders the result (meta, chart when it is a time series, table) into `box`. Returns a handle: `chart` (the
 * current chart or null) and `destroy()`; pass the previous handle to have it destroyed.
 */
export function renderResult(box, body, previous) {
  previous?.destroy();
  box.textContent = '';
  box.append(el('p', { class: 'muted meta' }, resultMeta(body)));
  const view = { chart: null, destroy: () => destroyChart(view.chart) };
  const plan = chartPlan(body);
  if (plan) {
    const first =
      plan.groups && plan.total > plan.groups.length ? ` (first ${plan.groups.length} of ${plan.total})` : '';
    const title = plan.groups ? `${plan.y} by ${plan.key}${first} over ${plan.x}` : `over ${plan.x}`;
    const holder = el('div', { class: 'chart result-chart' });
    const labels = plan.groups ? plan.groups.map(String) : plan.ys;
    const raw = plannedData(body, plan);
    const differ = magnitudesDiffer(raw);
    const redraw = (mode) => {
      destroyChart(view.chart);
      view.chart = drawChart(holder, labels, raw, mode);
    };
    const picker = select(SCALES, differ ? 'pct' : 'shared', redraw, {
      class: 'scale-mode',
      title: 'how the series share the y axis',
    });
    const note = differ ? el('small', { class: 'scale-note' }, ' magnitudes differ, not drawn on one axis') : null;
    box.append(el('h3', {}, `Chart: ${title}`, note, ' ', picker), holder);
    redraw(differ ? 'pct' : 'shared');
  }
  box.append(resultTable(body));
  return view;
}

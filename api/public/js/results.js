// Query results as the API returns them ({columns, rows, row_count, truncated}): a table, a chart when the result
// is a time series (a date/timestamp column and numeric columns), and errors in the API's one shape.

import { alignTables, COLORS, destroyChart, line, timeChart } from './charts.js';
import { el, fmtNum, parseTime } from './format.js';

const SHOWN_ROWS = 500;
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;
const TEMPORAL = /^(DATE|TIMESTAMP)/;

/** Fetches JSON; resolves {ok, body} or {ok: false, error: {code, message}} (network errors too). */
export async function fetchJson(url, init) {
  try {
    const res = await fetch(url, init);
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (!res.ok) {
      const error = body?.error ?? { code: `HTTP ${res.status}`, message: text.slice(0, 300) };
      return { ok: false, error };
    }
    return { ok: true, body };
  } catch (e) {
    return { ok: false, error: { code: 'NETWORK', message: String(e?.message ?? e) } };
  }
}

export function errorBox(error) {
  return el('div', { class: 'error', role: 'alert' }, el('b', { class: 'code' }, error.code), ' ', error.message);
}

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

/** Renders the result (meta, chart when it is a time series, table) into `box`; returns the chart or null. */
export function renderResult(box, body, previousChart) {
  destroyChart(previousChart);
  box.textContent = '';
  box.append(el('p', { class: 'muted meta' }, resultMeta(body)));
  const plan = chartPlan(body);
  let chart = null;
  if (plan) {
    const first =
      plan.groups && plan.total > plan.groups.length ? ` (first ${plan.groups.length} of ${plan.total})` : '';
    const title = plan.groups ? `${plan.y} by ${plan.key}${first} over ${plan.x}` : `over ${plan.x}`;
    const holder = el('div', { class: 'chart result-chart' });
    box.append(el('h3', {}, `Chart: ${title}`), holder);
    const labels = plan.groups ? plan.groups.map(String) : plan.ys;
    chart = timeChart(
      holder,
      labels.map((l, i) => line(l, COLORS[i % COLORS.length])),
      { height: 240 },
    );
    chart.setData(plannedData(body, plan));
  }
  box.append(resultTable(body));
  return chart;
}

// #/fundamentals[/<ticker or CIK>]?as_of=YYYY-MM-DD&index=SYMBOL (docs/fundamentals.md): a company picker over
// GET /api/companies, the company's KPIs per fiscal period (GET /api/companies/:id/kpis), its standardised income
// statement, balance sheet and cash flows for a chosen period (the statement reports), a KPI trend chart, and the
// valuation (market cap at each period end) against the lake's daily closes. Everything is "as known at" as_of.

import { errorBox, getJson } from '../lib/api.js';
import { COLORS, destroyChart, line, timeChart } from '../lib/charts.js';
import { el } from '../lib/dom.js';
import { dataTable } from '../lib/table.js';

const KPI_ROWS = [
  ['revenue', 'Revenue', 'money'],
  ['gross_profit', 'Gross profit', 'money'],
  ['operating_income', 'Operating income', 'money'],
  ['net_income', 'Net income', 'money'],
  ['working_capital', 'Working capital', 'money'],
  ['current_ratio', 'Current ratio', 'ratio'],
  ['quick_ratio', 'Quick ratio', 'ratio'],
  ['cash_ratio', 'Cash ratio', 'ratio'],
  ['gross_margin', 'Gross margin', 'pct'],
  ['operating_margin', 'Operating margin', 'pct'],
  ['net_margin', 'Net margin', 'pct'],
  ['fcf', 'Free cash flow', 'money'],
  ['fcf_ttm', 'Free cash flow (TTM)', 'money'],
  ['debt_to_equity', 'Debt / equity', 'ratio'],
  ['asset_turnover', 'Asset turnover', 'ratio'],
  ['interest_coverage', 'Interest coverage', 'ratio'],
  ['roa', 'Return on assets', 'pct'],
  ['roe', 'Return on equity', 'pct'],
  ['close', 'Close on the period date', 'price'],
  ['shares_on_price_basis', 'Shares (price basis)', 'money'],
  ['market_cap', 'Market cap', 'money'],
  ['enterprise_value', 'Enterprise value', 'money'],
  ['beta', 'Beta', 'ratio'],
  ['cost_of_equity', 'Cost of equity', 'pct'],
  ['cost_of_debt', 'Cost of debt', 'pct'],
  ['tax_rate', 'Tax rate', 'pct'],
  ['wacc', 'WACC', 'pct'],
];

export function fmtKpi(v, kind) {
  if (v === null || v === undefined || v === '') return '–';
  const x = Number(v);
  if (kind === 'pct') return `${(x * 100).toFixed(1)}%`;
  if (kind === 'ratio') return x.toFixed(2);
  if (kind === 'price') return x.toFixed(2);
  return x.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

const days = (d) => Date.parse(`${String(d).slice(0, 10)}T00:00:00Z`) / 1000;
const periodLabel = (r) => `${r.fy} ${r.fp}${String(r.form).endsWith('/A') ? ' (A)' : ''}`;

export async function mount(root, ctx) {
  const asOf = ctx.query.get('as_of') ?? '';
  const index = ctx.query.get('index') ?? 'SPY';
  const id = ctx.params[0] ?? null;
  const search = el('input', { id: 'fund-search', type: 'search', placeholder: 'company, ticker or CIK', size: 28 });
  const asOfInput = el('input', {
    id: 'fund-asof',
    type: 'text',
    placeholder: 'as of (YYYY-MM-DD)',
    size: 16,
    value: asOf,
  });
  const indexInput = el('input', {
    id: 'fund-index',
    type: 'text',
    size: 8,
    value: index,
    title: 'index symbol for beta',
  });
  const hits = el('div', { id: 'fund-companies', class: 'fund-companies' });
  const head = el(
    'div',
    { class: 'panel fund-head' },
    el('h2', {}, 'Fundamentals ', el('small', { id: 'fund-title' }, id ? '' : 'pick a company')),
    el(
      'div',
      { class: 'fund-controls' },
      search,
      el('label', {}, 'as of ', asOfInput),
      el('label', {}, 'index ', indexInput),
    ),
    hits,
  );
  const kpiBox = el('div', { class: 'panel', id: 'fund-kpis' });
  const trendBox = el(
    'div',
    { class: 'panel' },
    el('h3', {}, 'Margins and returns'),
    el('div', { id: 'fund-trend', class: 'chart' }),
  );
  const valBox = el(
    'div',
    { class: 'panel' },
    el('h3', {}, 'Valuation against the price'),
    el('div', { id: 'fund-valuation', class: 'chart' }),
    el('div', { id: 'fund-marketcap', class: 'chart' }),
  );
  const stmtBox = el('div', { class: 'panel', id: 'fund-statements' });
  const grid = el('div', { class: 'fund-grid', hidden: !id });
  grid.append(trendBox, valBox);
  root.append(head, kpiBox, grid, stmtBox);
  const charts = [];
  ctx.onCleanup(() => charts.forEach(destroyChart));
  const hashFor = (company) => {
    const q = new URLSearchParams();
    if (asOfInput.value.trim()) q.set('as_of', asOfInput.value.trim());
    if (indexInput.value.trim() && indexInput.value.trim() !== 'SPY')
      q.set('index', indexInput.value.trim().toUpperCase());
    return `#/fundamentals${company ? `/${encodeURIComponent(company)}` : ''}${q.size ? `?${q}` : ''}`;
  };

  async function listCompanies() {
    const q = search.value.trim();
    const res = await getJson('/api/companies', q ? { q } : {}, ctx.signal);
    if (!res.ok) return hits.replaceChildren(errorBox(res.error));
    const rows = res.body.rows;
    ctx.expose({ companies: rows });
    hits.replaceChildren(
      dataTable({
        columns: [
          { key: 'ticker', label: 'ticker' },
          { key: 'name', label: 'company' },
          { key: 'cik', label: 'CIK', num: true, format: (v) => String(v) },
          { key: 'periods', label: 'periods', num: true },
          { key: 'latest_period', label: 'latest period' },
        ],
        rows,
        onRow: (r) => ctx.go(hashFor(r.ticker ?? r.cik)),
        empty: q
          ? 'no company matches'
          : 'no company matches: no filings in the lake yet (ticklake filings load <quarter.zip>, then ticklake process; docs/fundamentals.md)',
      }),
    );
  }
  search.addEventListener('input', () => listCompanies());
  for (const i of [asOfInput, indexInput]) i.addEventListener('change', () => ctx.go(hashFor(id)));
  await listCompanies();
  if (!id) return;
  hits.hidden = true;
  search.addEventListener('focus', () => {
    hits.hidden = false;
  });

  const params = { index_symbol: index.toUpperCase() };
  if (asOf) params.as_of = asOf.length === 10 ? `${asOf} 23:59:59` : asOf;
  const res = await getJson(`/api/companies/${encodeURIComponent(id)}/kpis`, params, ctx.signal);
  if (!res.ok) return kpiBox.replaceChildren(errorBox(res.error));
  const rows = res.body.rows;
  ctx.expose({ kpis: rows });
  const last = rows[rows.length - 1];
  document.getElementById('fund-title').textContent = last
    ? `${last.name} · ${last.ticker ?? ''} · CIK ${last.cik}${asOf ? ` · as known at ${asOf}` : ''}`
    : 'no filings';
  if (!last) return;

  // KPI table: one row per KPI, one column per fiscal period (newest right)
  kpiBox.replaceChildren(
    el('h3', {}, 'KPIs per fiscal period ', el('small', {}, `(${last.uom ?? ''}; ratios as fractions, margins in %)`)),
    dataTable({
      columns: [
        { key: 'label', label: 'KPI' },
        ...rows.map((r, i) => ({ key: `p${i}`, label: periodLabel(r), num: true })),
      ],
      rows: KPI_ROWS.map(([k, label, kind]) => ({
        label,
        kpi: k,
        ...Object.fromEntries(rows.map((r, i) => [`p${i}`, fmtKpi(r[k], kind)])),
      })),
    }),
  );
  kpiBox.querySelector('table')?.setAttribute('id', 'fund-kpi-table');

  // trends
  const trend = timeChart(
    document.getElementById('fund-trend'),
    [
      line('gross margin', COLORS[0]),
      line('operating margin', COLORS[1]),
      line('net margin', COLORS[2]),
      line('ROE', COLORS[3]),
    ],
    { height: 200 },
  );
  charts.push(trend);
  ctx.expose({ charts: { trend } });
  trend.setData([
    rows.map((r) => days(r.period)),
    ...['gross_margin', 'operating_margin', 'net_margin', 'roe'].map((k) =>
      rows.map((r) => (r[k] === null ? null : Number(r[k]))),
    ),
  ]);

  // valuation against the price
  const ticker = last.ticker;
  const closes = ticker
    ? await getJson(
        '/api/reports/daily-closes',
        { symbol: ticker, ...(asOf ? { to: asOf.slice(0, 10) } : {}) },
        ctx.signal,
      )
    : { ok: true, body: { rows: [] } };
  if (ctx.signal.aborted) return;
  const px = closes.ok ? closes.body.rows : [];
  const caps = new Map(
    rows.filter((r) => r.market_cap !== null).map((r) => [days(r.price_date ?? r.period), Number(r.market_cap)]),
  );
  const xs = [...new Set([...px.map((p) => days(p.day)), ...caps.keys()])].sort((a, b) => a - b);
  const closeBy = new Map(px.map((p) => [days(p.day), Number(p.close)]));
  const val = timeChart(document.getElementById('fund-valuation'), [line(`${ticker ?? ''} close`, COLORS[0])], {
    height: 150,
    sync: 'fund-valuation',
  });
  const cap = timeChart(
    document.getElementById('fund-marketcap'),
    [
      line('market cap', COLORS[1], { points: { show: true, size: 7 } }),
      line('enterprise value', COLORS[2], { points: { show: true, size: 7 } }),
    ],
    { height: 130, sync: 'fund-valuation' },
  );
  charts.push(val, cap);
  ctx.expose({ charts: { trend, price: val, valuation: cap } });
  const evs = new Map(
    rows
      .filter((r) => r.enterprise_value !== null)
      .map((r) => [days(r.price_date ?? r.period), Number(r.enterprise_value)]),
  );
  val.setData([xs, xs.map((x) => closeBy.get(x) ?? null)]);
  cap.setData([xs, xs.map((x) => caps.get(x) ?? null), xs.map((x) => evs.get(x) ?? null)]);
  if (!px.length)
    valBox.append(
      el('p', { class: 'muted', id: 'fund-no-prices' }, `no daily closes of ${ticker ?? 'this company'} in the lake`),
    );

  // statements of a chosen period
  const pick = el(
    'select',
    { id: 'fund-period' },
    ...rows.map((r, i) => el('option', { value: String(i) }, periodLabel(r))),
  );
  pick.value = String(rows.length - 1);
  const tables = el('div', { class: 'fund-statements' });
  stmtBox.replaceChildren(el('h3', {}, 'Statements ', pick), tables);
  async function showStatements() {
    const r = rows[Number(pick.value)];
    const q = { cik: String(r.cik), fy: String(r.fy), ...(params.as_of ? { as_of: params.as_of } : {}) };
    const [inc, bal, cf] = await Promise.all(
      ['income-statement', 'balance-sheet', 'cash-flow-statement'].map((n) =>
        getJson(`/api/reports/${n}`, q, ctx.signal),
      ),
    );
    if (ctx.signal.aborted) return;
    const only = (x) => (x.ok ? x.body.rows.filter((l) => l.fp === r.fp && l.period === r.period) : []);
    const money = () => (v) => fmtKpi(v, 'money');
    tables.replaceChildren(
      el(
        'div',
        { id: 'fund-income' },
        el('h4', {}, 'Income statement'),
        dataTable({
          columns: [
            { key: 'label', label: 'line' },
            { key: 'value', label: 'period', num: true, format: money('value') },
            { key: 'year_to_date', label: 'year to date', num: true, format: money('year_to_date') },
            { key: 'ttm', label: 'TTM', num: true, format: money('ttm') },
            { key: 'source', label: 'from' },
          ],
          rows: only(inc),
        }),
      ),
      el(
        'div',
        { id: 'fund-balance' },
        el('h4', {}, 'Balance sheet'),
        dataTable({
          columns: [
            { key: 'label', label: 'line' },
            { key: 'value', label: 'at period end', num: true, format: money('value') },
            { key: 'source', label: 'from' },
          ],
          rows: only(bal),
        }),
      ),
      el(
        'div',
        { id: 'fund-cashflow' },
        el('h4', {}, 'Cash flows'),
        dataTable({
          columns: [
            { key: 'label', label: 'line' },
            { key: 'year_to_date', label: 'year to date', num: true, format: money('year_to_date') },
            { key: 'quarter', label: 'quarter', num: true, format: money('quarter') },
            { key: 'ttm', label: 'TTM', num: true, format: money('ttm') },
          ],
          rows: only(cf),
        }),
      ),
    );
  }
  pick.addEventListener('change', showStatements);
  await showStatements();
}

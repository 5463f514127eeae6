// #/retail (docs/retail.md): the administrator's live dashboard of the shop, from the retail reports over the lake
// (sql/reports/top-products.sql, loss-risk.sql, client-loyalty.sql, revenue-by-month.sql): the most profitable
// products as bars, the stock at risk of loss, the loyalty tiers with the clients eligible for the promotion, and
// revenue and profit per month. Polled every 3 s, redrawn when a report's rows change: an upload shows up here as
// soon as the keyed-table engine has folded it into the lake, without reloading the page.

import { dataTable, el, errorBox, getJson } from '../ops/ui.js';

const REPORTS = ['top-products', 'loss-risk', 'client-loyalty', 'revenue-by-month'];
const TIERS = ['platinum', 'gold', 'silver', 'bronze'];

const money = (v) =>
  v === null || v === undefined
    ? '–'
    : Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (v) => (v === null || v === undefined ? '–' : `${(Number(v) * 100).toFixed(1)} %`);

function topChart(rows) {
  if (rows.length === 0) return el('p', { class: 'muted' }, 'no sales yet');
  const max = Math.max(...rows.map((r) => Number(r.profit)), 1);
  return el(
    'div',
    { class: 'hbars', id: 'retail-top-chart' },
    rows.flatMap((r) => [
      el('span', { title: r.product_id }, r.name ?? r.product_id),
      el('div', {
        class: 'bar',
        style: `width: ${Math.max(0, (Number(r.profit) / max) * 100).toFixed(1)}%`,
        dataset: { product: r.product_id, profit: String(r.profit) },
      }),
      el('span', { class: 'num' }, money(r.profit)),
    ]),
  );
}

function monthChart(rows) {
  const months = new Map();
  for (const r of rows) {
    const m = String(r.month).slice(0, 7);
    const t = months.get(m) ?? { revenue: 0, profit: 0 };
    t.revenue += Number(r.revenue ?? 0);
    t.profit += Number(r.profit ?? 0);
    months.set(m, t);
  }
  if (months.size === 0) return el('p', { class: 'muted' }, 'no sales yet');
  const max = Math.max(...[...months.values()].map((t) => t.revenue), 1);
  const h = (v) => `height: ${Math.max(0, (v / max) * 100).toFixed(1)}%`;
  return el(
    'div',
    { id: 'retail-months' },
    el(
      'div',
      { class: 'vbars' },
      [...months].map(([m, t]) =>
        el(
          'div',
          {
            class: 'col',
            title: `${m}: revenue ${money(t.revenue)}, profit ${money(t.profit)}`,
            dataset: { month: m, revenue: t.revenue.toFixed(2), profit: t.profit.toFixed(2) },
          },
          el('span', {}, money(t.revenue)),
          el('div', { class: 'bar', style: h(t.revenue - Math.max(t.profit, 0)) }),
          el('div', { class: 'profit', style: h(Math.max(t.profit, 0)) }),
        ),
      ),
    ),
    el(
      'div',
      { class: 'vbars-labels' },
      [...months.keys()].map((m) => el('span', {}, m)),
    ),
    el('p', { class: 'muted' }, 'blue: cost, green: profit (per calendar month of the invoice date)'),
  );
}

function loyalty(rows) {
  const count = Object.fromEntries(TIERS.map((t) => [t, rows.filter((r) => r.tier === t).length]));
  const eligible = rows.filter((r) => r.eligible_promo);
  return [
    el(
      'div',
      { class: 'tiers', id: 'retail-tiers' },
      TIERS.map((t) =>
        el('div', { class: `tier tier-${t}`, dataset: { tier: t } }, el('b', { class: 'num' }, String(count[t])), t),
      ),
    ),
    el('h3', {}, 'Eligible for the promotion ', el('small', {}, 'revenue above 10,000')),
    el(
      'div',
      { id: 'retail-eligible' },
      dataTable({
        columns: [
          { key: 'client_id', label: 'client' },
          { key: 'name' },
          { key: 'city' },
          { key: 'revenue', num: true, format: money },
          { key: 'orders', num: true },
          { key: 'last_purchase', label: 'last purchase' },
        ],
        rows: eligible,
        empty: 'no client above the threshold yet',
      }),
    ),
  ];
}

export async function mount(root, ctx) {
  const meta = el('small', { id: 'retail-meta' }, '');
  const note = el('div', { id: 'retail-error' });
  const top = el('div', { class: 'panel', id: 'retail-top' });
  const risk = el('div', { class: 'panel', id: 'retail-risk' });
  const tiers = el('div', { class: 'panel', id: 'retail-loyalty' });
  const months = el('div', { class: 'panel', id: 'retail-revenue' });
  root.append(
    el('div', { class: 'panel' }, el('h2', {}, 'Shop ', meta)),
    note,
    el('div', { class: 'retail-grid' }, top, risk, tiers, months),
  );
  const last = {};
  const data = {};
  ctx.expose({ data });

  const draw = {
    'top-products': (rows) =>
      top.replaceChildren(
        el('h2', {}, 'Most profitable products ', el('small', {}, 'profit at the buy price in effect on each sale')),
        topChart(rows),
        el(
          'div',
          { id: 'retail-top-table' },
          dataTable({
            columns: [
              { key: 'product_id', label: 'product' },
              { key: 'category' },
              { key: 'revenue', num: true, format: money },
              { key: 'cost', num: true, format: money },
              { key: 'profit', num: true, format: money },
              { key: 'margin', num: true, format: pct },
              { key: 'units', num: true },
            ],
            rows,
            empty: 'no sales yet',
          }),
        ),
      ),
    'loss-risk': (rows) =>
      risk.replaceChildren(
        el(
          'h2',
          {},
          'Stock at risk of loss ',
          el('small', {}, rows[0] ? `as of ${rows[0].as_of}: expiring within 7 days, or no movement for 30` : ''),
        ),
        el(
          'div',
          { id: 'retail-risk-table' },
          dataTable({
            columns: [
              { key: 'product_id', label: 'product' },
              { key: 'name' },
              { key: 'stock_qty', label: 'quantity', num: true },
              { key: 'stock_value', label: 'value at risk', num: true, format: money },
              { key: 'expiry_date', label: 'expiry' },
              { key: 'last_movement', label: 'last movement' },
              {
                key: 'reason',
                format: (v) => el('span', { class: `reason-${String(v).split(',')[0].replace(' ', '-')}` }, v),
              },
            ],
            rows,
            empty: 'nothing at risk',
          }),
        ),
      ),
    'client-loyalty': (rows) =>
      tiers.replaceChildren(
        el('h2', {}, 'Loyalty tiers ', el('small', {}, `${rows.length} clients`)),
        ...loyalty(rows),
      ),
    'revenue-by-month': (rows) => months.replaceChildren(el('h2', {}, 'Revenue over time'), monthChart(rows)),
  };

  // a server whose lake has no retail tables (run without the retail sources) says so instead of failing 4 reports
  let ready = false;
  const refresh = async () => {
    if (!ready) {
      const t = await getJson('/api/uploads', {}, ctx.signal);
      if (ctx.signal.aborted) return;
      if (!t.ok) {
        note.replaceChildren(errorBox(t.error));
        return;
      }
      ready = t.body.retailTables;
      if (!ready) {
        note.replaceChildren(
          el(
            'p',
            { class: 'muted' },
            "This server's lake has no retail tables: run the processor and the API with the bundled sql/ (its retail sources and jobs), then upload a workbook on #/upload (docs/retail.md).",
          ),
        );
        return;
      }
    }
    const results = await Promise.all(REPORTS.map((r) => getJson(`/api/reports/${r}`, {}, ctx.signal)));
    if (ctx.signal.aborted) return;
    const failed = results.find((r) => !r.ok);
    note.replaceChildren(...(failed ? [errorBox(failed.error)] : []));
    REPORTS.forEach((name, i) => {
      if (!results[i].ok) return;
      const rows = results[i].body.rows;
      const key = JSON.stringify(rows);
      if (last[name] === key) return;
      last[name] = key;
      data[name] = rows;
      draw[name](rows);
    });
    meta.textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC, every 3 s`;
  };
  await refresh();
  ctx.every(3000, refresh);
}

// The portfolio page: #/portfolio lists the portfolios (seed files; newest NAV from the lake); #/portfolio/<id>
// drills into one (GET /api/live/portfolios/<id>): its holdings with quantity, reference price, price, value,
// weight and P&L over the range (the reference is the price at the range's start, docs/dashboard.md), and its NAV
// history. Ranges: today (the UTC day of the newest valuation, the default), the last 15m … 1w, all, or custom.
// New valuations of the portfolio (the live stream) refresh it while the range reaches the newest data.

import { hashOf } from '../app/router.js';
import { errorBox, getJson } from '../lib/api.js';
import { COLORS, destroyChart, line, timeChart } from '../lib/charts.js';
import { el } from '../lib/dom.js';
import { fmtDateTime, fmtFixed, fmtNum, fmtPct, fmtPrice, setPriceDecimals } from '../lib/format.js';
import { rangeFromQuery, rangePicker, rangeToQuery } from '../lib/range.js';
import { dataTable, signClass } from '../lib/table.js';

const REFRESH_MS = 2000;
const money = (v) => fmtFixed(v, 2);
const signedMoney = (v) => (typeof v === 'number' ? `${v > 0 ? '+' : ''}${fmtFixed(v, 2)}` : '');

async function loadDecimals(signal) {
  const res = await getJson('/api/live/symbols', {}, signal);
  if (res.ok) for (const s of res.body.symbols) setPriceDecimals(s.symbol, s.decimals);
}

function listView(root, ctx) {
  const box = el('div', { class: 'panel' }, el('h2', {}, 'Portfolios'));
  root.append(box);
  (async () => {
    const res = await getJson('/api/live/portfolios', {}, ctx.signal);
    if (res.aborted) return;
    if (!res.ok) {
      box.append(errorBox(res.error));
      return;
    }
    ctx.expose({ portfolios: res.body.portfolios });
    box.append(
      dataTable({
        columns: [
          { key: 'portfolioId', label: 'portfolio' },
          { key: 'name', label: 'name' },
          { key: 'investor', label: 'investor', format: (v, r) => `${v ?? ''} (${r.investorId})` },
          { key: 'positions', label: 'positions', num: true },
          { key: 'nav', label: 'NAV', num: true, format: money },
          { key: 'asOf', label: 'as of (UTC)', format: (v) => (v ? fmtDateTime(v) : '') },
        ],
        rows: res.body.portfolios,
        rowKey: (r) => r.portfolioId,
        onRow: (r) => ctx.go(hashOf('portfolio', [r.portfolioId])),
        empty: 'no portfolios in the seed files',
      }),
    );
  })();
}

/** The query of the detail route for a range value. */
function rangeQuery(range) {
  if (!range || range.preset === 'day') return {};
  if (range.preset === 'all') return { from: 0 };
  if (range.preset === 'custom') return { from: range.from ?? 0, to: range.to ?? undefined };
  return { span: range.preset };
}

function detailView(root, ctx, id) {
  let range = rangeFromQuery(ctx.query, { preset: 'day' });
  let chart = null;
  let seq = 0;
  let pending = null;
  const head = el('div', { class: 'pf-head' });
  const controls = el('div', { class: 'chart-controls' });
  const holdings = el('div', { class: 'pf-holdings' });
  const chartBox = el('div', { id: 'chart-nav-history', class: 'chart' });
  const note = el('small', { class: 'muted', id: 'pf-note' });
  root.append(
    el(
      'div',
      { class: 'panel' },
      el('p', { class: 'crumbs' }, el('a', { href: '#/portfolio' }, 'Portfolios'), ' / ', id),
      head,
      controls,
      el('h3', {}, 'Holdings ', el('small', {}, 'P&L since the start of the range, at the price of its newest bar')),
      holdings,
      el('h3', {}, 'NAV history ', note),
      chartBox,
    ),
  );
  ctx.onCleanup(() => destroyChart(chart));
  const state = { detail: null };
  ctx.expose(state);

  function renderControls() {
    controls.replaceChildren(
      el('span', { class: 'ctl-label' }, 'range'),
      rangePicker(range, setRange, { extra: [['day', 'today']], newest: state.detail?.to }),
    );
  }

  function setRange(r) {
    range = r;
    history.replaceState(null, '', hashOf('portfolio', [id], rangeToQuery(range)));
    renderControls();
    load();
  }

  async function load() {
    const mine = ++seq;
    const res = await getJson(`/api/live/portfolios/${encodeURIComponent(id)}`, rangeQuery(range), ctx.signal);
    if (mine !== seq || res.aborted) return;
    if (!res.ok) {
      head.replaceChildren(errorBox(res.error));
      return;
    }
    state.detail = res.body;
    render(res.body);
  }

  function render(d) {
    const p = d.portfolio;
    const t = d.totals;
    head.replaceChildren(
      el('h2', {}, `${p.portfolioId} · ${p.name} `, el('small', {}, `${p.investor ?? ''} (${p.investorId})`)),
      el(
        'div',
        { class: 'pf-totals' },
        el('span', {}, 'value ', el('b', { id: 'pf-value' }, money(t.value))),
        el(
          'span',
          {},
          'P&L ',
          el('b', { id: 'pf-pnl', class: signClass(t.pnl) }, signedMoney(t.pnl)),
          ' ',
          el('span', { class: signClass(t.pnlPct) }, fmtPct(t.pnlPct)),
        ),
        el(
          'span',
          { class: 'muted' },
          `${d.from !== null ? fmtDateTime(d.from) : '…'} – ${d.to !== null ? fmtDateTime(d.to) : '…'} UTC`,
        ),
      ),
    );
    holdings.replaceChildren(
      dataTable({
        className: 'data-table pf-table',
        columns: [
          { key: 'symbol', label: 'symbol', format: (v) => el('a', { href: hashOf('live', [], { symbol: v }) }, v) },
          { key: 'quantity', label: 'quantity', num: true, format: (v) => fmtNum(v) },
          {
            key: 'refPrice',
            label: 'ref. price',
            num: true,
            format: (v, r) => fmtPrice(r.symbol, v),
            title: 'price at the start of the range',
          },
          { key: 'price', label: 'price', num: true, format: (v, r) => fmtPrice(r.symbol, v) },
          { key: 'value', label: 'value', num: true, format: money },
          {
            key: 'weight',
            label: 'weight',
            num: true,
            format: (v) => (typeof v === 'number' ? `${v.toFixed(2)}%` : ''),
          },
          { key: 'pnl', label: 'P&L', num: true, format: signedMoney, cls: signClass },
          { key: 'pnlPct', label: 'P&L %', num: true, format: (v) => fmtPct(v), cls: signClass },
        ],
        rows: d.holdings,
        rowKey: (r) => r.symbol,
        empty: 'no holdings',
      }),
    );
    note.textContent = d.window
      ? `${d.nav.t.length} ${d.window} valuations${d.truncated ? ' (the newest; shorten the range for all)' : ''}`
      : 'no valuations';
    if (!chart) {
      chart = timeChart(chartBox, [line(`${p.portfolioId} NAV`, COLORS[0], { value: (_u, v) => money(v) })], {
        height: 260,
        yValues: (_u, vals) => vals.map((v) => (v === null ? '' : fmtNum(v, 0))),
      });
      state.chart = chart;
    }
    chart.update([d.nav.t.map((x) => x / 1000), d.nav.nav]);
    renderControls();
  }

  /** A new valuation of this portfolio: load again (at most every REFRESH_MS) while the range reaches now. */
  function onValuations(v) {
    if (!v.navs?.[id] || (range.preset === 'custom' && range.to)) return;
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      load();
    }, REFRESH_MS);
  }
  ctx.onCleanup(() => clearTimeout(pending));

  renderControls();
  loadDecimals(ctx.signal).then(load);
  ctx.stream('/api/live', { valuations: onValuations });
}

export function mount(root, ctx) {
  const id = ctx.params[0];
  if (id) detailView(root, ctx, id);
  else listView(root, ctx);
}

// The live page (#/live?symbol=&window=&range=&mode=): one EventSource on /api/live (snapshot, then bars /
// valuations / anomalies / health as they come), the health strip, the symbol search, the chart panel of the
// selected symbol (candlesticks, window and range, zoom and pan that survive updates), NAV per portfolio (rows open
// the drill-down) and the anomalies feed. The settings live in the hash, so a view can be linked.

import { hashOf } from '../app/router.js';
import { getJson } from '../lib/api.js';
import { windowMs } from '../lib/bars.js';
import { el } from '../lib/dom.js';
import { learnPrices, setPriceDecimals } from '../lib/format.js';
import { rangeFromQuery, rangeToQuery } from '../lib/range.js';
import { renderAnomalies } from './live/anomalies.js';
import { renderHealth } from './live/health.js';
import { NavPanel } from './live/nav-panel.js';
import { PricePanel } from './live/price-panel.js';
import { SymbolList } from './live/symbol-list.js';

const FIELDS = ['t', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'volatility'];
const MAX_ANOMALIES = 100;
const SYMBOLS_EVERY_MS = 30_000;

function trimTo(arr, max) {
  if (arr.length > max) arr.splice(0, arr.length - max);
}

export function mount(root, ctx) {
  const state = {
    window: null,
    navWindow: null,
    maxBars: 240,
    bars: {},
    navs: {},
    anomalies: [],
    health: null,
    info: new Map(),
    windows: [],
  };
  const charts = { price: null, volume: null, volatility: null, nav: null };

  const healthBox = el('div', { id: 'health', class: 'health' });
  const symbolsPanel = el(
    'aside',
    { class: 'panel symbols' },
    el('h2', {}, 'Symbols ', el('small', { id: 'bar-window' })),
  );
  const chartPanel = el('div', { class: 'panel charts' });
  const navPanelBox = el('div', { class: 'panel nav' });
  const anomalyList = el('ol', { id: 'anomalies', class: 'feed' });
  const anomalyCount = el('small', { id: 'anomaly-count' });
  root.append(
    healthBox,
    el(
      'div',
      { class: 'live-grid' },
      symbolsPanel,
      chartPanel,
      el(
        'div',
        { class: 'side' },
        navPanelBox,
        el('div', { class: 'panel anomalies' }, el('h2', {}, 'Anomalies ', anomalyCount), anomalyList),
      ),
    ),
  );

  /** Settings change from a control: into the hash (replaceState: no history entry per click), then applied. */
  const change = (s) => {
    const next = { ...price.settings(), ...s };
    const q = { symbol: next.symbol, window: next.window, mode: next.mode !== 'candles' ? next.mode : undefined };
    history.replaceState(null, '', hashOf('live', [], { ...q, ...rangeToQuery(next.range) }));
    price.set(s);
    symbols.render(view());
  };

  const symbols = new SymbolList(symbolsPanel, { onSelect: (sym) => change({ symbol: sym }) });
  const price = new PricePanel(chartPanel, {
    ctx,
    streamWindow: () => state.window,
    newest: () => newestBarEnd(),
    info: (sym) => state.info.get(sym),
    onChange: change,
    exposeCharts: (c) => Object.assign(charts, c),
  });
  const nav = new NavPanel(navPanelBox, { ctx });
  nav.onChart = (c) => {
    charts.nav = c;
  };
  ctx.onCleanup(() => {
    price.destroy();
    nav.destroy();
    symbols.destroy();
  });
  ctx.expose({ state, charts, price });

  const view = () => ({ bars: state.bars, info: state.info, selected: price.symbol });

  function newestBarEnd() {
    let max = null;
    const w = windowMs(state.window) || 0;
    for (const s of Object.values(state.bars)) {
      const t = s.t.at(-1);
      if (typeof t === 'number' && (max === null || t + w > max)) max = t + w;
    }
    return max;
  }

  /** Applies the hash's settings (on mount and when a link changes them). */
  function fromHash(query) {
    const s = {};
    if (query.get('symbol')) s.symbol = query.get('symbol');
    if (query.get('window')) s.window = query.get('window');
    if (query.get('mode')) s.mode = query.get('mode');
    s.range = rangeFromQuery(query, price.range);
    return s;
  }

  const pending = fromHash(ctx.query);

  function firstSymbol() {
    return Object.keys(state.bars).sort()[0] ?? null;
  }

  function onSnapshot(d) {
    state.window = d.window;
    state.navWindow = d.navWindow;
    state.maxBars = d.maxBars ?? state.maxBars;
    state.bars = d.bars ?? {};
    state.navs = d.navs ?? {};
    state.anomalies = d.anomalies ?? [];
    if (d.health) state.health = d.health;
    for (const [sym, s] of Object.entries(state.bars)) learnPrices(sym, [...s.open, ...s.high, ...s.low, ...s.close]);
    const symbol = price.symbol && state.bars[price.symbol] ? price.symbol : (pending.symbol ?? firstSymbol());
    const window = price.window ?? pending.window ?? state.window;
    $('bar-window').textContent = state.window ? `stream: ${state.window} bars` : 'no bars yet';
    if (!price.windows?.length && state.window) price.renderControls([state.window]);
    price.set({ ...pending, symbol, window });
    symbols.render(view());
    nav.render(state.navs, state.navWindow);
    renderAnomalies(anomalyList, anomalyCount, state.anomalies, 0, (sym) => change({ symbol: sym }));
    renderHealth(healthBox, state.health);
  }

  function onBars(d) {
    state.window = d.window ?? state.window;
    for (const [sym, add] of Object.entries(d.bars)) {
      learnPrices(sym, [...add.open, ...add.high, ...add.low, ...add.close]);
      const s = state.bars[sym];
      if (!s) {
        state.bars[sym] = add;
        continue;
      }
      for (const f of FIELDS) {
        s[f].push(...add[f]);
        trimTo(s[f], state.maxBars);
      }
    }
    if (!price.symbol) price.set({ symbol: firstSymbol(), window: price.window ?? state.window });
    else if (d.bars[price.symbol]) price.onStreamBars(d.bars[price.symbol]);
    symbols.render(view());
  }

  function onValuations(d) {
    state.navWindow = d.window ?? state.navWindow;
    for (const [id, add] of Object.entries(d.navs)) {
      const s = state.navs[id];
      if (!s) {
        state.navs[id] = add;
        continue;
      }
      s.t.push(...add.t);
      s.nav.push(...add.nav);
      trimTo(s.t, state.maxBars);
      trimTo(s.nav, state.maxBars);
    }
    nav.render(state.navs, state.navWindow);
  }

  function onAnomalies(d) {
    state.anomalies = [...d.anomalies.slice().reverse(), ...state.anomalies].slice(0, MAX_ANOMALIES);
    renderAnomalies(anomalyList, anomalyCount, state.anomalies, d.anomalies.length, (sym) => change({ symbol: sym }));
  }

  function onHealth(h) {
    state.health = h;
    renderHealth(healthBox, h);
  }

  async function loadSymbols() {
    const res = await getJson('/api/live/symbols', {}, ctx.signal);
    if (!res.ok) return;
    for (const s of res.body.symbols) {
      state.info.set(s.symbol, s);
      if (typeof s.decimals === 'number') setPriceDecimals(s.symbol, s.decimals);
    }
    state.windows = res.body.windows;
    price.renderControls(state.windows);
    symbols.render(view());
    price.draw();
  }

  const $ = (id) => root.querySelector(`#${id}`);
  renderHealth(healthBox, null);
  loadSymbols();
  ctx.every(SYMBOLS_EVERY_MS, loadSymbols);
  ctx.stream('/api/live', {
    snapshot: onSnapshot,
    bars: onBars,
    valuations: onValuations,
    anomalies: onAnomalies,
    health: onHealth,
  });

  return {
    update(c) {
      const s = fromHash(c.query);
      price.set(s);
      symbols.render(view());
    },
  };
}

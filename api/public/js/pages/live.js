// The live page (#/live): one EventSource on /api/live (snapshot, then bars / valuations / anomalies / health as they come),
// a symbol list, the selected symbol's price (close, VWAP, Bollinger 20 x 2σ), volume and volatility charts, NAV
// lines per portfolio, the anomalies feed and the pipeline health strip.

import { bollinger } from '../lib/bars.js';
import { alignTables, bars, COLORS, destroyChart, line, timeChart } from '../lib/charts.js';
import { el } from '../lib/dom.js';
import { fmtDateTime, fmtDuration, fmtNum, fmtTime } from '../lib/format.js';

const FIELDS = ['t', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'volatility'];
const MAX_ANOMALIES = 100;

let state;
const initialState = () => ({
  window: null,
  navWindow: null,
  maxBars: 240,
  bars: {},
  navs: {},
  anomalies: [],
  health: null,
  selected: null,
});
let charts;
let navKeys = '';

const $ = (id) => document.getElementById(id);

function trimTo(arr, max) {
  if (arr.length > max) arr.splice(0, arr.length - max);
}

function onSnapshot(d) {
  state.window = d.window;
  state.navWindow = d.navWindow;
  state.maxBars = d.maxBars ?? state.maxBars;
  state.bars = d.bars ?? {};
  state.navs = d.navs ?? {};
  state.anomalies = d.anomalies ?? [];
  if (!state.selected || !state.bars[state.selected]) state.selected = Object.keys(state.bars).sort()[0] ?? null;
  navKeys = '';
  if (d.health) state.health = d.health;
  renderAll();
}

function onBars(d) {
  state.window = d.window ?? state.window;
  for (const [sym, add] of Object.entries(d.bars)) {
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
  state.selected ??= Object.keys(state.bars).sort()[0] ?? null;
  renderSymbols();
  if (state.selected && d.bars[state.selected]) renderSymbolCharts();
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
  renderNav();
}

function onAnomalies(d) {
  state.anomalies = [...d.anomalies.slice().reverse(), ...state.anomalies].slice(0, MAX_ANOMALIES);
  renderAnomalies(d.anomalies.length);
}

function onHealth(h) {
  state.health = h;
  renderHealth();
}

const LAYOUT = `
  <div id="health" class="health"></div>
  <div class="live-grid">
    <aside class="panel symbols">
      <h2>Symbols <small id="bar-window"></small></h2>
      <table id="symbols" class="sym-table"><thead><tr><th>symbol</th><th>last</th><th title="change over the bars shown">Δ%</th></tr></thead><tbody></tbody></table>
    </aside>
    <div class="panel charts">
      <h2><span id="sym-title">–</span> <small>close, VWAP, Bollinger bands (20 bars, 2σ)</small></h2>
      <div id="chart-price" class="chart"></div>
      <h3>Volume</h3>
      <div id="chart-volume" class="chart"></div>
      <h3>Volatility <small>(sample stddev of tick log returns per bar)</small></h3>
      <div id="chart-volatility" class="chart"></div>
    </div>
    <div class="side">
      <div class="panel nav">
        <h2>Portfolio NAV <small id="nav-window"></small>
          <select id="nav-mode" title="how the NAV lines are drawn">
            <option value="pct">% change since the first point</option>
            <option value="abs">NAV</option>
          </select>
        </h2>
        <div id="chart-nav" class="chart"></div>
      </div>
      <div class="panel anomalies">
        <h2>Anomalies <small id="anomaly-count"></small></h2>
        <ol id="anomalies" class="feed"></ol>
      </div>
    </div>
  </div>`;

export function mount(root, ctx) {
  state = initialState();
  charts = { price: null, volume: null, volatility: null, nav: null };
  navKeys = '';
  root.innerHTML = LAYOUT;
  ctx.expose({ state, charts });
  $('nav-mode').addEventListener('change', renderNav);
  ctx.stream('/api/live', {
    snapshot: onSnapshot,
    bars: onBars,
    valuations: onValuations,
    anomalies: onAnomalies,
    health: onHealth,
  });
  ctx.onCleanup(() => {
    for (const c of Object.values(charts)) destroyChart(c);
  });
}

function renderAll() {
  renderSymbols();
  renderSymbolCharts();
  renderNav();
  renderAnomalies(0);
  renderHealth();
}

function renderSymbols() {
  $('bar-window').textContent = state.window ? `${state.window} bars` : 'no bars yet';
  const body = $('symbols').tBodies[0];
  body.textContent = '';
  for (const sym of Object.keys(state.bars).sort()) {
    const s = state.bars[sym];
    const last = s.close.at(-1);
    const first = s.open.find((x) => typeof x === 'number') ?? s.close[0];
    const chg = typeof last === 'number' && first ? (last / first - 1) * 100 : null;
    const tr = el(
      'tr',
      { class: sym === state.selected ? 'selected' : '', 'data-symbol': sym, onclick: () => select(sym) },
      el('td', {}, sym),
      el('td', { class: 'num' }, fmtNum(last)),
      el('td', { class: `num ${chg > 0 ? 'up' : chg < 0 ? 'down' : ''}` }, chg === null ? '' : chg.toFixed(2)),
    );
    body.append(tr);
  }
}

function select(sym) {
  state.selected = sym;
  renderSymbols();
  renderSymbolCharts();
}

function ensureSymbolCharts() {
  if (charts.price) return;
  charts.price = timeChart(
    $('chart-price'),
    [
      line('close', COLORS[0], { width: 2 }),
      line('VWAP', COLORS[1]),
      line('BB upper', '#7c83c9', { width: 1, points: { show: false } }),
      line('SMA 20', '#7c83c9', { width: 1, dash: [5, 4], points: { show: false } }),
      line('BB lower', '#7c83c9', { width: 1, points: { show: false } }),
    ],
    { height: 240, sync: 'symbol', bands: [{ series: [3, 5], fill: 'rgba(124,131,201,0.12)' }] },
  );
  charts.volume = timeChart($('chart-volume'), [bars('volume', 'rgba(37,99,235,0.55)')], {
    height: 90,
    sync: 'symbol',
    yRange: (_u, _min, max) => [0, max || 1],
  });
  charts.volatility = timeChart($('chart-volatility'), [line('volatility', COLORS[4])], {
    height: 90,
    sync: 'symbol',
  });
}

function renderSymbolCharts() {
  ensureSymbolCharts();
  const s = state.selected ? state.bars[state.selected] : null;
  $('sym-title').textContent = state.selected ?? 'no data yet';
  if (!s) return;
  const xs = s.t.map((t) => t / 1000);
  const bb = bollinger(s.close, 20, 2);
  charts.price.setData([xs, s.close, s.vwap, bb.upper, bb.mid, bb.lower]);
  charts.volume.setData([xs, s.volume]);
  charts.volatility.setData([xs, s.volatility]);
}

let navRaw = [[]];

/** NAV lines: `pct` (default) as % change since each portfolio's first point shown, or `abs` as NAV. */
function renderNav() {
  $('nav-window').textContent = state.navWindow ? `${state.navWindow} valuations` : '';
  const mode = $('nav-mode').value;
  const ids = Object.keys(state.navs).sort();
  const keys = `${mode}:${ids.join(',')}`;
  if (keys !== navKeys) {
    destroyChart(charts.nav);
    const legend = (_u, v, si, i) => {
      const raw = navRaw[si]?.[i];
      if (v === null || v === undefined || raw === null || raw === undefined) return '--';
      return mode === 'pct' ? `${v >= 0 ? '+' : ''}${v.toFixed(3)}% (${fmtNum(raw, 2)})` : fmtNum(raw, 2);
    };
    charts.nav = timeChart(
      $('chart-nav'),
      ids.map((id, i) =>
        line(`${id} (${state.navs[id].investor ?? '?'})`, COLORS[i % COLORS.length], { value: legend }),
      ),
      { height: 200 },
    );
    navKeys = keys;
  }
  if (ids.length === 0) return;
  navRaw = alignTables(ids.map((id) => [state.navs[id].t.map((t) => t / 1000), state.navs[id].nav]));
  if (mode === 'abs') {
    charts.nav.setData(navRaw);
    return;
  }
  const pct = navRaw.map((ys, si) => {
    if (si === 0) return ys;
    const first = ys.find((v) => typeof v === 'number' && v !== 0);
    return ys.map((v) => (typeof v === 'number' && first ? (v / first - 1) * 100 : null));
  });
  charts.nav.setData(pct);
}

function anomalyValue(a) {
  if (typeof a.value !== 'number') return '';
  return a.kind === 'VOLUME_SPIKE' ? `${a.value.toFixed(1)}× mean volume` : `${(a.value * 100).toFixed(2)}% move`;
}

function renderAnomalies(fresh) {
  const list = $('anomalies');
  list.textContent = '';
  $('anomaly-count').textContent = state.anomalies.length ? `newest ${state.anomalies.length}` : 'none yet';
  state.anomalies.forEach((a, i) => {
    list.append(
      el(
        'li',
        { class: `${a.severity === 'CRITICAL' ? 'critical' : 'warning'}${i < fresh ? ' fresh' : ''}` },
        el('time', { title: fmtDateTime(a.t) }, fmtTime(a.t)),
        el('b', {}, a.symbol),
        el('span', { class: 'kind' }, a.kind),
        el('span', { class: 'sev' }, a.severity),
        el('span', { class: 'val' }, anomalyValue(a)),
        typeof a.price === 'number' ? el('span', { class: 'muted' }, `@ ${fmtNum(a.price)}`) : null,
      ),
    );
  });
}

function card(label, value, cls, title) {
  return el(
    'div',
    { class: `card ${cls ?? ''}`, title },
    el('span', { class: 'label' }, label),
    el('span', { class: 'value' }, value),
  );
}

function renderHealth() {
  const h = state.health;
  const box = $('health');
  box.textContent = '';
  if (!h) {
    box.append(card('pipeline', 'waiting for data…'));
    return;
  }
  const na = (v, f) => (v === null || v === undefined ? 'n/a' : f(v));
  const mysqlCls = h.mysql === 'up' ? 'ok' : h.mysql === 'down' ? 'bad' : '';
  box.append(
    card(
      'throughput',
      na(h.ticksPerSecond, (v) => `${fmtNum(Math.round(v))} ticks/s`),
    ),
    card(
      'consumer lag',
      na(h.consumerLag, (v) => `${fmtNum(v)} msgs`),
      h.consumerLag > 10000 ? 'warn' : '',
    ),
    card(
      'watermark delay',
      na(h.watermarkDelayMs, fmtDuration),
      '',
      h.source === 'lake'
        ? 'newest tick minus the end of the newest closed bar (from the lake)'
        : 'newest event time minus the watermark',
    ),
    card('DLQ / rejected', na(h.dlq, fmtNum), h.dlq > 0 ? 'warn' : ''),
    card('MySQL', h.mysql ?? 'n/a', mysqlCls),
    card(
      'newest tick (UTC)',
      na(h.newestTick, (v) => fmtDateTime(v).slice(5)),
      '',
      na(h.newestTick, fmtDateTime),
    ),
    card(
      'source',
      h.error ? `error: ${h.error}` : h.source,
      h.error ? 'bad' : '',
      'pipeline: the running processor; lake: derived from the Parquet lake',
    ),
  );
}

// The live page's chart panel for one symbol: OHLC candlesticks (or a close line) with VWAP and Bollinger bands,
// volume and volatility below, for a chosen bar window (10s, 1m, 1h, 1d: what the lake has) and time range.
//
// History comes from GET /api/live/bars; the stream then adds bars. In the stream's own window new bars are
// appended; in a coarser window the bar still forming is rolled up from the stream's finer bars (lib/bars.js rollUp)
// and the closed bars are fetched again when one closes. A range preset ends at the newest bar and moves along;
// a custom range is fixed. Zoom and pan (lib/charts.js) are kept while data arrive.

import { getJson } from '../../lib/api.js';
import { appendBars, bollinger, concatBars, dropBefore, emptyBars, rollUp, windowMs } from '../../lib/bars.js';
import {
  bars,
  ChartGroup,
  COLORS,
  candlesticks,
  compactValues,
  destroyChart,
  halfBar,
  line,
  quiet,
  timeChart,
  zeroToNice,
} from '../../lib/charts.js';
import { el } from '../../lib/dom.js';
import { fmtDateTime, fmtPct, fmtPrice, learnPrices } from '../../lib/format.js';
import { rangePicker, resolveRange, segmented } from '../../lib/range.js';

const HISTORY_LIMIT = 5000;
/** One y-axis width for the three stacked charts, so their plots line up (fits 67,250.13 and 1.08523). */
const Y_AXIS = 84;
const RELOAD_MS = 5000;

export class PricePanel {
  /** opts: {ctx, streamWindow(), newest(), info(symbol), onChange(settings)} */
  constructor(root, opts) {
    this.o = opts;
    this.symbol = null;
    this.window = null;
    this.range = { preset: 'all' };
    this.mode = 'candles';
    this.closed = emptyBars();
    this.fine = emptyBars();
    this.seq = 0;
    this.loadedAt = 0;
    this.charts = { price: null, volume: null, volatility: null };
    this.group = new ChartGroup((view) => this.renderZoom(view));
    this.title = el('span', { id: 'sym-title' }, '–');
    this.subtitle = el('small', { id: 'sym-info' });
    this.quote = el('span', { id: 'sym-quote', class: 'quote' });
    this.controls = el('div', { class: 'chart-controls' });
    this.zoomNote = el('span', { class: 'zoom-note', id: 'zoom-note', hidden: true });
    this.note = el('small', { class: 'muted', id: 'chart-note' });
    this.holders = {
      price: el('div', { id: 'chart-price', class: 'chart' }),
      volume: el('div', { id: 'chart-volume', class: 'chart' }),
      volatility: el('div', { id: 'chart-volatility', class: 'chart' }),
    };
    root.append(
      el('h2', { class: 'chart-title' }, this.title, ' ', this.subtitle, ' ', this.quote),
      this.controls,
      el('div', { class: 'chart-status' }, this.zoomNote, this.note),
      this.holders.price,
      el('h3', {}, 'Volume ', el('small', {}, '(green: close ≥ open)')),
      this.holders.volume,
      el('h3', {}, 'Volatility ', el('small', {}, '(sample stddev of tick log returns per bar)')),
      this.holders.volatility,
    );
    this.createCharts();
  }

  destroy() {
    for (const c of Object.values(this.charts)) destroyChart(c);
  }

  settings() {
    return { symbol: this.symbol, window: this.window, range: this.range, mode: this.mode };
  }

  /** Applies settings (any subset); reloads when the symbol, window or range changed. */
  set({ symbol, window, range, mode }) {
    let reload = false;
    let resetZoom = false;
    if (symbol !== undefined && symbol !== this.symbol) {
      this.symbol = symbol;
      // no other symbol's bars under this one's name while its own load
      this.closed = emptyBars();
      this.fine = emptyBars();
      reload = true;
    }
    if (window !== undefined && window !== this.window) {
      this.window = window;
      reload = resetZoom = true;
    }
    if (range !== undefined && JSON.stringify(range) !== JSON.stringify(this.range)) {
      this.range = range;
      reload = resetZoom = true;
    }
    if (mode !== undefined && mode !== this.mode) {
      this.mode = mode;
      this.createCharts();
    }
    if (resetZoom) this.group.view = null;
    this.renderControls();
    this.draw();
    if (reload) this.load();
  }

  renderControls(windows = this.windows ?? []) {
    this.windows = windows;
    const ws = windows.length ? windows : this.window ? [this.window] : [];
    this.controls.replaceChildren(
      el('span', { class: 'ctl-label' }, 'bars'),
      segmented(
        ws.map((w) => [w, w, `${w} bars`]),
        this.window,
        (w) => this.o.onChange({ window: w }),
        { class: 'segmented window-select', id: 'window-select' },
      ),
      el('span', { class: 'ctl-label' }, 'range'),
      rangePicker(this.range, (r) => this.o.onChange({ range: r }), { newest: this.o.newest() }),
      segmented(
        [
          ['candles', 'candles', 'OHLC candlesticks'],
          ['line', 'line', 'close as a line'],
        ],
        this.mode,
        (m) => this.o.onChange({ mode: m }),
        { class: 'segmented mode-select', id: 'mode-select' },
      ),
    );
  }

  renderZoom(view) {
    this.zoomNote.hidden = !view;
    if (!view) return;
    this.zoomNote.replaceChildren(
      `zoomed to ${fmtDateTime(view.min * 1000).slice(5)} – ${fmtDateTime(view.max * 1000).slice(5)} `,
      el('button', { type: 'button', class: 'link', onclick: () => this.group.setView(null) }, 'show all'),
      el('small', {}, ' (or double-click a chart)'),
    );
  }

  createCharts() {
    for (const c of Object.values(this.charts)) destroyChart(c);
    const price = (_u, v) => (v === null || v === undefined ? '--' : fmtPrice(this.symbol, v));
    const candles = this.mode === 'candles';
    this.charts.price = timeChart(
      this.holders.price,
      [
        quiet('open', { value: price }),
        quiet('high', { value: price }),
        quiet('low', { value: price }),
        candles ? quiet('close', { value: price }) : line('close', COLORS[0], { width: 2, value: price }),
        line('VWAP', COLORS[1], { value: price }),
        line('BB upper', '#7c83c9', { width: 1, points: { show: false }, value: price }),
        line('SMA 20', '#7c83c9', { width: 1, dash: [5, 4], points: { show: false }, value: price }),
        line('BB lower', '#7c83c9', { width: 1, points: { show: false }, value: price }),
      ],
      {
        height: 260,
        sync: 'symbol',
        group: this.group,
        ySize: Y_AXIS,
        xPad: halfBar,
        yValues: (_u, vals) => vals.map((v) => (v === null ? '' : fmtPrice(this.symbol, v))),
        bands: [{ series: [6, 8], fill: 'rgba(124,131,201,0.10)' }],
        plugins: candles ? [candlesticks({ o: 1, h: 2, l: 3, c: 4 })] : [],
      },
    );
    this.charts.volume = timeChart(
      this.holders.volume,
      [bars('up volume', 'rgba(22,163,74,0.6)'), bars('down volume', 'rgba(220,38,38,0.6)')],
      {
        height: 120,
        sync: 'symbol',
        group: this.group,
        yRange: zeroToNice,
        yValues: compactValues,
        ySize: Y_AXIS,
        xPad: halfBar,
      },
    );
    this.charts.volatility = timeChart(this.holders.volatility, [line('volatility', COLORS[4])], {
      height: 110,
      sync: 'symbol',
      group: this.group,
      ySize: Y_AXIS,
      xPad: halfBar,
    });
    this.o.exposeCharts?.(this.charts);
    this.draw();
  }

  /** The stream window's newest bars for the current symbol, when a bar event has some. */
  onStreamBars(add) {
    if (!add || !this.symbol) return;
    const r = resolveRange(this.range, this.o.newest());
    if (!r.live) return;
    if (this.window === this.o.streamWindow()) {
      appendBars(this.closed, add);
      if (r.length) dropBefore(this.closed, r.from);
    } else {
      appendBars(this.fine, add);
      // a coarse bar closed: fetch the closed bars again (the processor writes them), not more often than RELOAD_MS
      const forming = rollUp(this.fine, windowMs(this.window), this.formingFrom());
      if (forming.t.length > 1 && Date.now() - this.loadedAt > RELOAD_MS) {
        this.load();
        return;
      }
    }
    this.draw();
  }

  formingFrom() {
    const w = windowMs(this.window);
    const last = this.closed.t.at(-1);
    return last !== undefined ? last + w : Number.NEGATIVE_INFINITY;
  }

  async load() {
    const seq = ++this.seq;
    const { symbol, window } = this;
    if (!symbol || !window) return;
    const stream = this.o.streamWindow();
    const r = resolveRange(this.range, this.o.newest());
    this.note.textContent = 'loading…';
    const res = await getJson(
      '/api/live/bars',
      { symbol, window, from: r.from, to: r.to, limit: HISTORY_LIMIT },
      this.o.ctx.signal,
    );
    if (seq !== this.seq || res.aborted) return;
    if (!res.ok) {
      this.note.textContent = `${res.error.code}: ${res.error.message}`;
      return;
    }
    const closed = res.body.bars ?? emptyBars();
    let fine = emptyBars();
    if (stream && window !== stream && r.live && windowMs(window) > windowMs(stream)) {
      const w = windowMs(window);
      const formingFrom = closed.t.length ? closed.t.at(-1) + w : r.from;
      const f = await getJson(
        '/api/live/bars',
        { symbol, window: stream, from: formingFrom, limit: 20000 },
        this.o.ctx.signal,
      );
      if (seq !== this.seq) return;
      if (f.ok && f.body.bars) fine = f.body.bars;
    }
    this.closed = closed;
    this.fine = fine;
    this.loadedAt = Date.now();
    const n = closed.t.length;
    this.note.textContent = res.body.truncated
      ? `newest ${n} ${window} bars of the range (pick a shorter range or a coarser window for more)`
      : `${n} ${window} bars${res.body.source === 'bars_1h' ? ' (rolled up from 1m bars)' : ''}`;
    this.draw();
  }

  /** The bars shown: the closed ones, then the forming ones rolled up from the stream window. */
  shown() {
    if (this.fine.t.length === 0) return this.closed;
    return concatBars(this.closed, rollUp(this.fine, windowMs(this.window), this.formingFrom()));
  }

  draw() {
    if (!this.charts.price) return;
    const s = this.shown();
    const sym = this.symbol;
    const info = sym ? this.o.info(sym) : null;
    this.title.textContent = sym ?? 'no data yet';
    this.subtitle.textContent = info?.exchange ? `${info.exchange} · ${info.assetClass ?? ''}` : '';
    if (sym) learnPrices(sym, [...s.open, ...s.high, ...s.low, ...s.close]);
    const last = s.close.at(-1);
    const first = s.open.find((v) => typeof v === 'number');
    this.quote.replaceChildren(
      typeof last === 'number' ? el('b', {}, fmtPrice(sym, last)) : '',
      ' ',
      typeof last === 'number' && first
        ? el('span', { class: last >= first ? 'up' : 'down' }, fmtPct((last / first - 1) * 100))
        : '',
    );
    const xs = s.t.map((t) => t / 1000);
    const bb = bollinger(s.close, 20, 2);
    this.charts.price.update([xs, s.open, s.high, s.low, s.close, s.vwap, bb.upper, bb.mid, bb.lower]);
    const upVol = s.volume.map((v, i) => (s.close[i] >= s.open[i] ? v : null));
    const downVol = s.volume.map((v, i) => (s.close[i] < s.open[i] ? v : null));
    this.charts.volume.update([xs, upVol, downVol]);
    this.charts.volatility.update([xs, s.volatility]);
    this.lastShown = s;
  }
}

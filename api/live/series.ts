/**
 * The live poller's bounded buffers and incremental cursor: per-symbol bar series and per-portfolio NAV series as
 * column arrays (what the browser's charts take as they are), trimmed to a maximum length; a cursor over event
 * time that remembers the keys inside the overlap so a row read twice is sent once.
 */
import type { JsonValue } from '../../lake/json-value.js';
import { windowLabelMs } from '../../processors/time/windows.js';

/** Bars of one symbol, oldest first; `t` = window_start in epoch ms. */
export interface BarSeries {
  t: number[];
  open: (number | null)[];
  high: (number | null)[];
  low: (number | null)[];
  close: (number | null)[];
  volume: (number | null)[];
  vwap: (number | null)[];
  volatility: (number | null)[];
}

/** Valuations of one portfolio, oldest first; `t` = as_of in epoch ms. */
export interface NavSeries {
  investor: string | null;
  t: number[];
  nav: (number | null)[];
}

type Row = Record<string, JsonValue>;

const BAR_FIELDS = ['open', 'high', 'low', 'close', 'volume', 'vwap', 'volatility'] as const;

const n = (v: JsonValue | undefined): number | null => (typeof v === 'number' ? v : null);

/** Event-time cursor: newest time seen; keys seen within `overlapMs` of it. */
export class Cursor {
  max: number | null = null;
  private readonly seen = new Map<string, number>();

  constructor(private readonly overlapMs: number) {}

  /** Lower bound of the next incremental query (exclusive), or null before anything was seen. */
  since(): number | null {
    return this.max === null ? null : this.max - this.overlapMs;
  }

  /** True when the key is new (and remembers it). */
  take(key: string, t: number): boolean {
    if (this.seen.has(key)) return false;
    this.seen.set(key, t);
    if (this.max === null || t > this.max) this.max = t;
    return true;
  }

  /** Forgets keys older than the overlap: the next query cannot return them again. */
  prune(): void {
    const floor = this.since();
    if (floor === null) return;
    for (const [k, t] of this.seen) if (t <= floor) this.seen.delete(k);
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Length of a window name like `1500ms`, `1m`, `15m`, `1h`, `1d` in ms (Infinity when unknown). */
export function windowMs(name: string): number {
  return windowLabelMs(name) ?? Number.POSITIVE_INFINITY;
}

/** The shortest window among the names, or null when there are none. */
export function finestWindow(names: string[]): string | null {
  const sorted = names.filter((x) => x && x !== 'null').sort((a, b) => windowMs(a) - windowMs(b));
  return sorted[0] ?? null;
}

const emptyBars = (): BarSeries => ({
  t: [],
  open: [],
  high: [],
  low: [],
  close: [],
  volume: [],
  vwap: [],
  volatility: [],
});

function trim<T>(a: T[], max: number): void {
  if (a.length > max) a.splice(0, a.length - max);
}

/**
 * Appends rows (ordered by time) to the per-symbol series; a bar not newer than its symbol's last one is dropped
 * (the charts only append). Returns the appended bars per symbol.
 */
export function pushBars(buf: Map<string, BarSeries>, rows: Row[], max: number): Record<string, BarSeries> {
  const added: Record<string, BarSeries> = {};
  for (const r of rows) {
    const symbol = String(r.symbol);
    const t = Number(r.t);
    let s = buf.get(symbol);
    if (!s) {
      s = emptyBars();
      buf.set(symbol, s);
    }
    if (s.t.length && t <= s.t[s.t.length - 1]) continue;
    added[symbol] ??= emptyBars();
    const a = added[symbol];
    s.t.push(t);
    a.t.push(t);
    for (const f of BAR_FIELDS) {
      s[f].push(n(r[f]));
      a[f].push(n(r[f]));
    }
    trim(s.t, max);
    for (const f of BAR_FIELDS) trim(s[f], max);
  }
  return added;
}

/** Appends valuations (ordered by time) to the per-portfolio series, as pushBars. */
export function pushNav(buf: Map<string, NavSeries>, rows: Row[], max: number): Record<string, NavSeries> {
  const added: Record<string, NavSeries> = {};
  for (const r of rows) {
    const id = String(r.portfolio_id);
    const t = Number(r.t);
    const investor = typeof r.investor_id === 'string' ? r.investor_id : null;
    let s = buf.get(id);
    if (!s) {
      s = { investor, t: [], nav: [] };
      buf.set(id, s);
    }
    if (s.t.length && t <= s.t[s.t.length - 1]) continue;
    added[id] ??= { investor, t: [], nav: [] };
    const a = added[id];
    s.t.push(t);
    s.nav.push(n(r.nav));
    a.t.push(t);
    a.nav.push(n(r.nav));
    trim(s.t, max);
    trim(s.nav, max);
  }
  return added;
}

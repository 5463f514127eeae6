/**
 * The live poller behind GET /api/live: one per app, shared by every connected dashboard. While at least one
 * client listens it polls the lake views about once a second, incrementally (rows newer than the newest
 * window_end / as_of / ts seen, minus an overlap that catches files landing slightly out of order, deduplicated by
 * key), keeps a bounded window of recent data for the snapshot a new client gets, and fans out what is new.
 * When the last client leaves it stops and forgets (the next client starts from a fresh snapshot).
 *
 * Memory is bounded by the buffers (maxBars per symbol, maxPoints per portfolio, maxAnomalies) and the dedup sets
 * (rows inside the overlap), never by the lake's size.
 */

import type { FastifyBaseLogger } from 'fastify';
import type { DuckDBValue } from '../../core/duckdb.js';
import type { JsonValue } from '../../lake/json-value.js';
import type { LakeSession } from '../../lake/session.js';
import { type HealthEvent, type HealthProvider, HealthTracker, type LakeHealth } from './health.js';
import { lakeRows, type Row } from './lake-rows.js';
import { newestTick } from './newest-tick.js';
import { type BarSeries, Cursor, finestWindow, type NavSeries, pushBars, pushNav } from './series.js';

export interface LiveOptions {
  /** Poll period while clients are connected (default 1000 ms). */
  intervalMs?: number;
  /** Bars kept per symbol (default 240). */
  maxBars?: number;
  /** Valuations kept per portfolio (default 240). */
  maxPoints?: number;
  /** Anomalies kept (default 100). */
  maxAnomalies?: number;
  /** Event-time overlap of the incremental queries (default 10 minutes). */
  overlapMs?: number;
  health?: HealthProvider;
  timeoutMs?: number;
}

export type Anomaly = Record<string, JsonValue>;
export type LiveEvent = 'snapshot' | 'bars' | 'valuations' | 'anomalies' | 'health';
export type Listener = (event: LiveEvent, data: unknown) => void;

export interface LiveStats {
  clients: number;
  running: boolean;
  polls: number;
}

const LAKE_HEALTH_MS = 5000;

const BAR_COLS = `symbol, epoch_ms(window_start) as t, epoch_ms(window_end) as e, open, high, low, close, volume,
  vwap, volatility`;
const NAV_COLS = 'portfolio_id, investor_id, epoch_ms(as_of) as t, nav';
/** Rows past the `$since` cursor (epoch ms), reading only date partitions from the day before it on. */
const RECENT = `epoch_ms(cast($since as bigint)) and date >= cast(epoch_ms(cast($since as bigint)) - interval 1 day as date)`;
const ANOMALY_COLS = `symbol, epoch_ms(ts) as t, kind, severity, "window", value, threshold, price`;

export class LivePoller {
  private readonly listeners = new Set<Listener>();
  private waiting = 0;
  private generation = 0;
  private timer?: NodeJS.Timeout;
  private inflight: Promise<void> = Promise.resolve();
  private ready: Promise<void> = Promise.resolve();
  private loaded = false;
  private polls = 0;
  private window: string | null = null;
  private navWindow: string | null = null;
  private bars = new Map<string, BarSeries>();
  private navs = new Map<string, NavSeries>();
  private anomalies: Anomaly[] = [];
  private barCursor!: Cursor;
  private navCursor!: Cursor;
  private anomalyCursor!: Cursor;
  private lakeNumbers: Omit<LakeHealth, 'newestBarEnd'> | null = null;
  private lakeNumbersAt = 0;
  private lastHealth: HealthEvent | null = null;
  private readonly tracker: HealthTracker;
  private readonly o: Required<Omit<LiveOptions, 'health'>>;

  constructor(
    private readonly session: LakeSession,
    opts: LiveOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    this.o = {
      intervalMs: opts.intervalMs ?? 1000,
      maxBars: opts.maxBars ?? 240,
      maxPoints: opts.maxPoints ?? 240,
      maxAnomalies: opts.maxAnomalies ?? 100,
      overlapMs: opts.overlapMs ?? 10 * 60_000,
      timeoutMs: opts.timeoutMs ?? 30_000,
    };
    this.tracker = new HealthTracker(opts.health);
    this.reset();
  }

  stats(): LiveStats {
    return { clients: this.listeners.size, running: this.timer !== undefined || this.waiting > 0, polls: this.polls };
  }

  /**
   * Adds a client: resolves once its snapshot is sent (after the first poll of a fresh start), returning the
   * unsubscribe function. Events reach it in order: the snapshot first, then only what is newer.
   */
  async subscribe(listener: Listener): Promise<() => void> {
    this.waiting++;
    if (this.waiting === 1 && this.listeners.size === 0) this.start();
    await this.ready;
    this.waiting--;
    this.listeners.add(listener);
    listener('snapshot', this.snapshot());
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.waiting === 0) void this.stop();
    };
  }

  /** Stops polling and waits for a poll in flight (before the session closes). */
  async stop(): Promise<void> {
    this.generation++;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inflight;
    if (this.listeners.size === 0 && this.waiting === 0) this.reset();
  }

  /** Ends every client (app close). */
  async close(): Promise<void> {
    this.listeners.clear();
    this.waiting = 0;
    await this.stop();
  }

  private reset(): void {
    this.loaded = false;
    this.window = null;
    this.navWindow = null;
    this.bars = new Map();
    this.navs = new Map();
    this.anomalies = [];
    this.barCursor = new Cursor(this.o.overlapMs);
    this.navCursor = new Cursor(this.o.overlapMs);
    this.anomalyCursor = new Cursor(this.o.overlapMs);
    this.lakeNumbers = null;
    this.lastHealth = null;
    this.tracker.reset();
  }

  private start(): void {
    const gen = ++this.generation;
    // the next poll starts intervalMs after this one ends, later when polls are slow (a big lake, a busy
    // machine): at most a third of the time is spent polling
    const loop = async () => {
      if (gen !== this.generation) return;
      const started = Date.now();
      this.inflight = this.poll(gen);
      await this.inflight;
      const delay = Math.max(this.o.intervalMs, 2 * (Date.now() - started));
      if (gen === this.generation) this.timer = setTimeout(loop, delay);
    };
    this.ready = (async () => {
      await this.inflight; // a stopping generation's last poll
      if (gen !== this.generation) return;
      this.reset();
      await loop();
    })();
  }

  private snapshot() {
    return {
      window: this.window,
      navWindow: this.navWindow,
      maxBars: this.o.maxBars,
      bars: Object.fromEntries(this.bars),
      navs: Object.fromEntries(this.navs),
      anomalies: this.anomalies,
      health: this.lastHealth,
    };
  }

  private emit(event: LiveEvent, data: unknown): void {
    for (const l of this.listeners) l(event, data);
  }

  private rows(sql: string, params?: Record<string, DuckDBValue>): Promise<Row[]> {
    return lakeRows(this.session, sql, { params, timeoutMs: this.o.timeoutMs });
  }

  private async poll(gen: number): Promise<void> {
    let error: string | null = null;
    try {
      if (!this.loaded) {
        await this.fetch();
        if (gen !== this.generation) return;
        this.loaded = true;
        this.emit('snapshot', this.snapshot());
      } else {
        await this.update(gen);
      }
    } catch (e) {
      if (gen !== this.generation) return;
      error = (e as Error).message.split('\n')[0];
      this.log.warn({ err: e }, 'live poll failed');
    }
    try {
      const lake = await this.lakeHealth();
      if (gen !== this.generation) return;
      this.lastHealth = await this.tracker.sample(lake, error);
      this.polls++;
      this.emit('health', this.lastHealth);
    } catch (e) {
      if (gen === this.generation) this.log.warn({ err: e }, 'live health failed');
    }
  }

  private async chooseWindows(): Promise<void> {
    this.window ??= finestWindow((await this.rows('select distinct "window" as w from bars')).map((r) => String(r.w)));
    this.navWindow ??= finestWindow(
      (await this.rows('select distinct "window" as w from valuations')).map((r) => String(r.w)),
    );
  }

  /**
   * Queries every stream: a stream that has seen nothing yet (first poll, or an empty table until now) gets its
   * newest maxBars / maxPoints / maxAnomalies rows, the others only rows newer than their cursor minus the overlap.
   * Returns what is new, per stream.
   */
  private async fetch() {
    if (this.window === null || this.navWindow === null) await this.chooseWindows();
    // every stream is read before any is accepted: a query that fails (a file the compactor just replaced, one
    // still being written) leaves every cursor where it was, and the next poll reads again what this one read
    // (a cursor takes a row once: taken by a poll that then fails, it would never be sent).
    const barRows = this.window
      ? await this.series(
          { table: 'bars', cols: BAR_COLS, key: 'symbol', start: 'window_start', end: 'window_end' },
          { window: this.window, n: this.o.maxBars, cursor: this.barCursor },
        )
      : [];
    const navRows = this.navWindow
      ? await this.series(
          { table: 'valuations', cols: NAV_COLS, key: 'portfolio_id', start: 'as_of', end: 'as_of' },
          { window: this.navWindow, n: this.o.maxPoints, cursor: this.navCursor },
        )
      : [];
    const anomalyRows =
      this.anomalyCursor.max === null
        ? (
            await this.rows(`select ${ANOMALY_COLS} from anomalies order by ts desc, symbol, kind limit $n`, {
              n: this.o.maxAnomalies,
            })
          ).reverse()
        : await this.rows(`select ${ANOMALY_COLS} from anomalies where ts > ${RECENT} order by ts, symbol, kind`, {
            since: BigInt(this.anomalyCursor.since() ?? 0),
          });
    return {
      bars: this.window ? this.acceptBars(barRows) : {},
      navs: this.navWindow ? this.acceptNavs(navRows) : {},
      anomalies: this.acceptAnomalies(anomalyRows),
    };
  }

  /**
   * New rows of one per-key series (bars per symbol, NAVs per portfolio) of one window: on the first poll the
   * newest `n` per key, afterwards the rows that end past the cursor (with RECENT's overlap; the cursor drops repeats).
   */
  private series(
    s: { table: string; cols: string; key: string; start: string; end: string },
    q: { window: string; n: number; cursor: Cursor },
  ): Promise<Row[]> {
    const first = q.cursor.max === null;
    const sql = first
      ? `select ${s.cols} from ${s.table} where "window" = $w
         qualify row_number() over (partition by ${s.key} order by ${s.start} desc) <= $n
         order by ${s.start}, ${s.key}`
      : `select ${s.cols} from ${s.table} where "window" = $w and ${s.end} > ${RECENT}
         order by ${s.start}, ${s.key}`;
    return this.rows(sql, { w: q.window, ...(first ? { n: q.n } : { since: BigInt(q.cursor.since() ?? 0) }) });
  }

  private async update(gen: number): Promise<void> {
    const { bars, navs, anomalies } = await this.fetch();
    if (gen !== this.generation) return;
    if (Object.keys(bars).length) this.emit('bars', { window: this.window, bars });
    if (Object.keys(navs).length) this.emit('valuations', { window: this.navWindow, navs });
    if (anomalies.length) this.emit('anomalies', { anomalies });
  }

  private acceptBars(rows: Row[]): Record<string, BarSeries> {
    const fresh = rows.filter((r) => this.barCursor.take(`${r.symbol}|${r.t}`, Number(r.e)));
    this.barCursor.prune();
    return pushBars(this.bars, fresh, this.o.maxBars);
  }

  private acceptNavs(rows: Row[]): Record<string, NavSeries> {
    const fresh = rows.filter((r) => this.navCursor.take(`${r.portfolio_id}|${r.t}`, Number(r.t)));
    this.navCursor.prune();
    return pushNav(this.navs, fresh, this.o.maxPoints);
  }

  /** Rows oldest first; the buffer keeps the newest first. */
  private acceptAnomalies(rows: Row[]): Anomaly[] {
    const fresh = rows.filter((r) => this.anomalyCursor.take(`${r.symbol}|${r.kind}|${r.window}|${r.t}`, Number(r.t)));
    this.anomalyCursor.prune();
    this.anomalies = [...fresh.slice().reverse(), ...this.anomalies].slice(0, this.o.maxAnomalies);
    return fresh;
  }

  /** The lake's health numbers, queried at most every LAKE_HEALTH_MS (cheap queries, but not free). */
  private async lakeHealth(): Promise<LakeHealth> {
    const now = Date.now();
    if (!this.lakeNumbers || now - this.lakeNumbersAt >= LAKE_HEALTH_MS) {
      const tick = await newestTick(this.session, this.o.timeoutMs);
      const [r] = await this.rows('select count(*) as n from rejected');
      const [l] = await this.rows('select count(*) as n from late_ticks');
      this.lakeNumbers = {
        newestTick: tick,
        rejected: typeof r.n === 'number' ? r.n : null,
        late: typeof l.n === 'number' ? l.n : null,
      };
      this.lakeNumbersAt = now;
    }
    return { ...this.lakeNumbers, newestBarEnd: this.barCursor.max };
  }
}

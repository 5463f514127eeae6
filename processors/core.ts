/**
 * The processor core: one batch of Kafka messages in, one state transaction out (docs/processor.md).
 *
 * Per batch, inside ONE DuckDB transaction on the state database:
 *  1. parse every message; valid ticks go to the in-memory `batch_ticks` and straight into the lake's `ticks`
 *     archive (one file per partition and date, named by its offset range, written before COMMIT: a crash before
 *     COMMIT leaves files whose first offset is at or past the state's next offset, which `open` deletes as
 *     orphans); invalid ones go to `ob_rejected` with the reason;
 *  2. for every tick and window size, decide late or on time against the watermark of its partition *just before
 *     that tick* (so the result does not depend on where batches were cut): on-time ticks go to `buf_<window>`,
 *     late ones to `ob_late_ticks`;
 *  3. run the `ticks` stage SQL (per-tick anomalies), advance the per-partition watermarks (max ts − lateness,
 *     never backwards), move the ticks of every window whose end the watermark reached into `closing` and run the
 *     `close` stage (bars) and the `bars` stage (volume spikes);
 *  4. valuations (a separate stage, fed only by the closes the bar stage publishes into `val_closes`) value every
 *     window end that the minimum watermark over all partitions has passed;
 *  5. record the consumed offsets and the outbox batch, then COMMIT.
 * Delivery (delivery.ts) reads the outbox afterwards; a crash before COMMIT loses nothing (the offsets did not move).
 */
import { type DuckDBConnection, DuckDBDateValue, DuckDBTimestampValue } from '@duckdb/node-api';
import { tlError } from '../core/errors.js';
import { writeLakeFile } from '../lake/writer.js';
import { parseTick } from '../producers/tick.js';
import { crashPoint } from './crash-points.js';
import { type PartitionState, readMeta, readPartitions, resetScratch, type StateDb, writeMeta } from './state.js';
import { bindParams, loadStreamFiles, type Stage, type StreamFile } from './stream-sql.js';
import { removeOrphanTickFiles, tickFileName } from './tick-archive.js';
import { BATCH_TICKS_DDL, TickColumns } from './tick-columns.js';
import {
  type HoldingRow,
  loadPortfolios,
  type PortfolioRow,
  publishCloses,
  valueWindowEnds,
} from './valuation-stage.js';
import { bufferTicks, defineClosing, dropClosed, keepBarHistory, type LateTick } from './window-buffer.js';
import { minWatermark, NO_WATERMARK, type WindowSpec, windowStart } from './windows.js';

export interface InMessage {
  partition: number;
  offset: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

export type { HoldingRow, PortfolioRow };

export interface Thresholds {
  /** Tick move (fraction) above which a SPIKE / FLASH_CRASH is raised. */
  spike: number;
  /** Tick move (fraction) above which its severity is CRITICAL. */
  critical: number;
  /** Bar volume above this multiple of the previous 20 bars' mean is a VOLUME_SPIKE. */
  volumeSpikeFactor: number;
}

export type CorePhase = 'parse' | 'archive' | 'buffer' | 'stages' | 'collect' | 'close' | 'valuations' | 'commit';

export const DEFAULT_THRESHOLDS: Thresholds = { spike: 0.03, critical: 0.08, volumeSpikeFactor: 5 };

export interface CoreOptions {
  state: StateDb;
  /** The lake: the core archives ticks there itself (see step 1). */
  lakeDir: string;
  windows: WindowSpec[];
  latenessMs: number;
  topic: string;
  /** Partitions of the topic: valuations wait for the watermark of every one of them. */
  partitionCount: number;
  portfolios: PortfolioRow[];
  holdings: HoldingRow[];
  thresholds?: Partial<Thresholds>;
  clock?: () => number;
  streams?: StreamFile[];
}

export interface BatchResult {
  batchId: number;
  messages: number;
  ticks: number;
  rejected: number;
  late: number;
  bars: number;
  anomalies: number;
  valuations: number;
}

const DAY_MS = 86_400_000;
const ts = (ms: number) => new DuckDBTimestampValue(BigInt(ms) * 1000n);
const date = (ms: number) => new DuckDBDateValue(Math.floor(ms / DAY_MS));

export class ProcessorCore {
  readonly windows: WindowSpec[];
  private readonly parts: Map<number, PartitionState>;
  /** Mirror of the state's last_tick: the previous price of each symbol, in arrival order. */
  private readonly lastPrice = new Map<string, number>();
  private nextBatch: number;
  private partitionCount: number;
  /** Partitions the processor declared idle: they do not hold valuations back (setIdlePartitions). */
  private idle: ReadonlySet<number> = new Set();
  private readonly streams: StreamFile[];
  private readonly params: Record<string, number>;
  private readonly clock: () => number;
  /** Cumulative wall time per phase of `run` (ms), for the benchmark's breakdown. */
  readonly phaseMs: Record<CorePhase, number> = {
    parse: 0,
    archive: 0,
    buffer: 0,
    stages: 0,
    collect: 0,
    close: 0,
    valuations: 0,
    commit: 0,
  };

  private constructor(
    private readonly opts: CoreOptions,
    parts: Map<number, PartitionState>,
    nextBatch: number,
    /** A second connection to the state instance: writes the tick archive while the first runs the batch. */
    private readonly archiveConn: DuckDBConnection,
  ) {
    this.windows = opts.windows;
    this.parts = parts;
    this.nextBatch = nextBatch;
    this.partitionCount = opts.partitionCount;
    this.streams = opts.streams ?? loadStreamFiles();
    const t = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
    this.params = {
      spike_threshold: t.spike,
      critical_threshold: t.critical,
      volume_spike_factor: t.volumeSpikeFactor,
    };
    this.clock = opts.clock ?? Date.now;
  }

  /** Opens the core over an already created schema (see state.ts), checks the configuration it was built with. */
  static async open(opts: CoreOptions): Promise<ProcessorCore> {
    const { conn } = opts.state;
    const config = JSON.stringify({ topic: opts.topic, windows: opts.windows.map((w) => w.label) });
    const stored = await readMeta(conn, 'config');
    if (stored !== undefined && stored !== config) {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '--state-dir',
        value: opts.state.path,
        reason: `this state was built for ${stored}, not ${config}; use a new state directory`,
      });
    }
    if (stored === undefined) await writeMeta(conn, 'config', config);
    const nextBatch = Number((await readMeta(conn, 'next_batch_id')) ?? '1');
    const parts = await readPartitions(conn);
    // files of a batch that never committed (crash between writing the archive and COMMIT); only for a state
    // that existed before, never against a lake that a fresh state knows nothing about
    if (stored !== undefined) await removeOrphanTickFiles(opts.lakeDir, (p) => parts.get(p)?.nextOffset ?? 0);
    const archiveConn = await opts.state.instance.connect();
    await archiveConn.run(BATCH_TICKS_DDL);
    const core = new ProcessorCore(opts, parts, nextBatch, archiveConn);
    await loadPortfolios(conn, opts.portfolios, opts.holdings);
    const last = await conn.runAndReadAll('SELECT symbol, price FROM last_tick');
    for (const [symbol, price] of last.getRowsJS()) core.lastPrice.set(String(symbol), Number(price));
    for (const f of core.streams) bindParams(f, core.params); // a file using an unknown $param fails at start
    return core;
  }

  private get conn() {
    return this.opts.state.conn;
  }

  /** Closes the core's own (archive) connection; the state's connection is the caller's to close. */
  close(): void {
    this.archiveConn.closeSync();
  }

  setPartitionCount(n: number): void {
    this.partitionCount = Math.max(this.partitionCount, n);
  }

  /**
   * Partitions that stop holding valuations back until they are declared active again (the processor's
   * `--idle-timeout`: nothing left to read and no message for that long). Bars are not affected: they close per
   * partition. Ticks that later arrive on such a partition behind the valued window ends are late for valuations.
   * Returns true when a partition became idle (then `revalue` values what its watermark was holding back).
   */
  setIdlePartitions(idle: ReadonlySet<number>): boolean {
    const more = [...idle].some((p) => !this.idle.has(p));
    this.idle = new Set(idle);
    return more;
  }

  /**
   * A batch without messages: values the window ends that the minimum watermark now passes (after partitions were
   * declared idle, with no message to carry the change). Rare (a partition going idle), so an empty batch is cheap.
   */
  async revalue(): Promise<BatchResult> {
    return this.run([], false);
  }

  /** Next offset to consume of a partition (0 when never seen). */
  nextOffset(partition: number): number {
    return this.parts.get(partition)?.nextOffset ?? 0;
  }

  offsets(): Map<number, number> {
    return new Map([...this.parts].map(([p, s]) => [p, s.nextOffset]));
  }

  watermarks(): Map<number, number> {
    return new Map([...this.parts].map(([p, s]) => [p, s.watermark]));
  }

  /**
   * Processes one batch (messages in offset order per partition; already-consumed offsets are skipped, so a
   * re-delivered Kafka batch is harmless). Returns null when nothing was new.
   */
  async processBatch(messages: InMessage[]): Promise<BatchResult | null> {
    const fresh = messages.filter((m) => m.offset >= this.nextOffset(m.partition));
    if (fresh.length === 0) return null;
    return this.run(fresh, false);
  }

  /** Closes every open window and values every closed window end (`--until-idle`, once input is drained). */
  async flush(): Promise<BatchResult> {
    return this.run([], true);
  }

  private async run(messages: InMessage[], flush: boolean): Promise<BatchResult> {
    const conn = this.conn;
    const b = this.nextBatch;
    const res: BatchResult = {
      batchId: b,
      messages: messages.length,
      ticks: 0,
      rejected: 0,
      late: 0,
      bars: 0,
      anomalies: 0,
      valuations: 0,
    };
    // new partition states, computed in TS while parsing
    const next = new Map<number, PartitionState>();
    const late: LateTick[] = [];
    /** Last price per symbol in arrival order, as of this batch (merged into lastPrice after COMMIT). */
    const batchLast = new Map<string, number>();
    const files = new Map<number, { partition: number; day: number; lo: number; hi: number }>();
    const now = this.clock();
    const phase = this.phaseMs;
    let mark = performance.now();
    const lap = (p: CorePhase) => {
      const t = performance.now();
      phase[p] += t - mark;
      mark = t;
    };

    const cols = new TickColumns();
    const rejected: { m: InMessage; error: string }[] = [];
    for (const m of messages) {
      let st = next.get(m.partition);
      if (!st) {
        const old = this.parts.get(m.partition) ?? { nextOffset: 0, maxTs: NO_WATERMARK, watermark: NO_WATERMARK };
        st = { ...old };
        next.set(m.partition, st);
      }
      if (m.offset < st.nextOffset) continue; // duplicate inside one batch
      st.nextOffset = m.offset + 1;
      const parsed = parseTick(m.value);
      if ('error' in parsed) {
        rejected.push({ m, error: parsed.error });
        continue;
      }
      const t = parsed.tick;
      const prev = batchLast.get(t.symbol) ?? this.lastPrice.get(t.symbol);
      cols.push(t.symbol, t.exchange, t.assetClass, t.ts, t.price, t.size, m.partition, m.offset, prev);
      batchLast.set(t.symbol, t.price);
      const day = Math.floor(t.ts / DAY_MS);
      const fileKey = m.partition * 1_000_000 + day; // partition and UTC day: one archive file each
      const range = files.get(fileKey);
      if (range) range.hi = m.offset;
      else files.set(fileKey, { partition: m.partition, day, lo: m.offset, hi: m.offset });
      res.ticks++;
      // the watermark this tick meets: the start-of-batch one, or what the ticks before it in the batch raised
      const wmBefore = Math.max(st.watermark, st.maxTs - this.opts.latenessMs);
      if (t.ts > st.maxTs) st.maxTs = t.ts;
      for (const w of this.windows) {
        const s = windowStart(t.ts, w.ms);
        if (s + w.ms <= wmBefore) {
          late.push({ partition: m.partition, offset: m.offset, window: w.label, watermark: wmBefore, ts: t.ts });
        }
      }
    }
    // the batch's columns go to the scratch database outside the transaction, so that the archive connection
    // can read them while this one runs the state transaction
    await cols.write(conn);
    lap('parse');
    const archive = this.archive([...files.values()]);
    // an archive failure is reported by the await before COMMIT; never leave the promise unobserved
    archive.catch(() => {});

    await conn.run('BEGIN TRANSACTION');
    try {
      if (rejected.length > 0) {
        const rejAp = await conn.createAppender('ob_rejected');
        for (const { m, error } of rejected) {
          rejAp.appendBigInt(BigInt(b));
          rejAp.appendDate(date(now));
          rejAp.appendVarchar(this.opts.topic);
          rejAp.appendInteger(m.partition);
          rejAp.appendBigInt(BigInt(m.offset));
          rejAp.appendTimestamp(ts(now));
          rejAp.appendVarchar(error);
          appendText(rejAp, m.key);
          appendText(rejAp, m.value);
          rejAp.endRow();
        }
        rejAp.closeSync();
        res.rejected = rejected.length;
      }
      if (res.ticks > 0) res.late += await bufferTicks(conn, b, this.windows, late);
      lap('buffer');
      if (res.ticks > 0) res.anomalies += await this.runStage('ticks', b);
      if (res.ticks > 0) {
        // one row per symbol: rewrite the small table from the mirror rather than scan the batch
        await conn.run('DELETE FROM last_tick');
        const a = await conn.createAppender('last_tick');
        for (const [symbol, price] of new Map([...this.lastPrice, ...batchLast])) {
          a.appendVarchar(symbol);
          a.appendDouble(price);
          a.endRow();
        }
        a.closeSync();
      }

      // advance the watermarks (never backwards)
      for (const [p, st] of next) {
        const wm = st.maxTs === NO_WATERMARK ? st.watermark : Math.max(st.watermark, st.maxTs - this.opts.latenessMs);
        if (wm < st.watermark) throw new Error(`watermark of partition ${p} would go backwards`);
        st.watermark = wm;
      }
      if (flush) this.flushWatermarks(next);
      lap('stages');

      const { closing, dropped } = await defineClosing(
        conn,
        this.windows,
        new Set([...this.parts.keys(), ...next.keys()]),
        (p) => {
          const before = this.parts.get(p)?.watermark ?? NO_WATERMARK;
          return [before, next.get(p)?.watermark ?? before];
        },
      );
      lap('collect');
      res.bars = closing > 0 ? await this.runStage('close', b) : 0;
      if (res.bars > 0) res.anomalies += await this.runStage('bars', b);
      if (res.bars > 0) {
        await keepBarHistory(conn);
        await publishCloses(conn);
      }
      await dropClosed(conn, dropped);
      lap('close');
      const wms = this.watermarks();
      for (const [p, st] of next) wms.set(p, st.watermark);
      // a partition that gets a message in this batch is active, whatever it was declared
      const idle = new Set([...this.idle].filter((p) => !next.has(p)));
      const minWm = minWatermark(wms, this.partitionCount, idle);
      if (Number.isFinite(minWm) && minWm > NO_WATERMARK) {
        res.valuations = await valueWindowEnds(conn, minWm, () => this.runStage('valuation', b));
      }

      await conn.run(`INSERT INTO outbox VALUES (${b}, epoch_ms(${now}::BIGINT), false, false, false)`);
      await writeMeta(conn, 'next_batch_id', String(b + 1));
      for (const [p, st] of next) {
        await conn.run(`DELETE FROM partitions WHERE kafka_partition = ${p}`);
        await conn.run(`INSERT INTO partitions VALUES (${p}, ${st.nextOffset}, ${st.maxTs}, ${st.watermark})`);
      }
      lap('valuations');
      // the tick files must be durable before the offsets that consumed them are
      await archive;
      lap('archive');
      crashPoint('mid-batch');
      await conn.run('COMMIT');
      lap('commit');
    } catch (e) {
      await archive.catch(() => {});
      await conn.run('ROLLBACK').catch(() => {});
      throw e;
    }
    for (const [p, st] of next) this.parts.set(p, st);
    for (const [symbol, price] of batchLast) this.lastPrice.set(symbol, price);
    this.nextBatch = b + 1;
    return res;
  }

  /**
   * Writes the batch's tick files (one per partition and UTC date, named by offset range) from the archive
   * connection, reading the scratch columns `cols.write` left there; runs while the state transaction does.
   */
  private async archive(files: { partition: number; day: number; lo: number; hi: number }[]): Promise<void> {
    for (const f of files) {
      const day = new Date(f.day * DAY_MS).toISOString().slice(0, 10);
      await writeLakeFile(this.archiveConn, {
        lakeDir: this.opts.lakeDir,
        table: 'ticks',
        partition: { date: day },
        fileName: tickFileName(f.partition, f.lo, f.hi),
        query: `SELECT * FROM batch_ticks WHERE kafka_partition = ${f.partition} AND date = '${day}'::DATE`,
      });
      crashPoint('mid-archive');
    }
  }

  /** Runs the stream files of one stage, appending their rows to the outbox. Returns the row count. */
  private async runStage(stage: Stage, b: number, extra: Record<string, number> = {}): Promise<number> {
    let n = 0;
    for (const f of this.streams.filter((s) => s.stage === stage)) {
      const params = bindParams(f, { ...this.params, ...extra });
      const target = stage === 'close' ? 'new_bars' : stage === 'valuation' ? 'new_valuations' : 'new_anomalies';
      await resetScratch(this.conn, target);
      await this.conn.run(`INSERT INTO ${target} BY NAME ${f.sql}`, params);
      const dateCol = f.output === 'bars' ? 'window_start' : f.output === 'valuations' ? 'as_of' : 'ts';
      const r = await this.conn.run(
        `INSERT INTO ob_${f.output} BY NAME SELECT ${b} AS batch_id, CAST(${dateCol} AS DATE) AS date, * FROM ${target}`,
      );
      n += Number(r.rowsChanged);
    }
    return n;
  }

  /** `--until-idle`: every partition's watermark jumps past every buffered window and every pending close. */
  private flushWatermarks(next: Map<number, PartitionState>): void {
    let target = NO_WATERMARK;
    for (const st of [...this.parts.values(), ...next.values()]) target = Math.max(target, st.watermark);
    // windows may be open beyond the smallest buffered start: the largest possible end is max ts rounded up
    for (const st of [...this.parts.values(), ...next.values()]) {
      if (st.maxTs === NO_WATERMARK) continue;
      for (const w of this.windows) target = Math.max(target, windowStart(st.maxTs, w.ms) + w.ms);
    }
    for (let p = 0; p < this.partitionCount; p++) {
      let st = next.get(p);
      if (!st) {
        st = { ...(this.parts.get(p) ?? { nextOffset: 0, maxTs: NO_WATERMARK, watermark: NO_WATERMARK }) };
        next.set(p, st);
      }
      st.watermark = Math.max(st.watermark, target);
    }
  }
}

function appendText(a: { appendVarchar(v: string): void; appendNull(): void }, v: Buffer | string | null): void {
  if (v === null) a.appendNull();
  else a.appendVarchar(typeof v === 'string' ? v : v.toString('utf8'));
}

/**
 * The processor core: one batch of Kafka messages in, one state transaction out (docs/processor.md).
 *
 * Messages arrive parsed into columns (tick-batch.ts): by the processor's consumer thread (`submitParsed`), or on
 * the calling thread with the same function (`submit`, tests and the core bench). Per batch, in two halves that let
 * consecutive batches overlap:
 *  prepare (at once, JavaScript): read the columns (skipping offsets already consumed, the previous price of each
 *     symbol in arrival order); drop a tick whose identity was counted already (tick-identity.ts); dead-letter one
 *     outside the bounds the arithmetic and the sinks take, or dated too far ahead (tick-guard.ts); decide for every
 *     tick and window size late or on time against
 *     the watermark of its partition *just before that tick* (so the result does not depend on where batches were
 *     cut); advance the per-partition watermarks (max ts − lateness, never backwards). The partition states and last
 *     prices this leads to are kept `ahead` of the committed ones, so the next batch can be prepared before this one
 *     committed. In the background: the valid ticks' columns go to the batch's scratch slot (an in-memory database,
 *     two slots used in turn) and from there straight into the lake's `ticks` archive (one file per partition and
 *     date, named by its offset range, written before COMMIT: a crash before COMMIT leaves files whose first offset
 *     is at or past the state's next offset, which `open` deletes as orphans).
 *  apply (ONE DuckDB transaction on the state database, after the previous batch's committed):
 *  1. invalid messages go to `ob_rejected` with the reason; on-time ticks go to `buf`, late ones to `ob_late_ticks`;
 *  2. the `ticks` stage SQL (per-tick anomalies);
 *  3. the windows whose end the watermark reached are read from `buf` through the `closing` view by the `close` stage
 *     (bars) and the `bars` stage (volume spikes);
 *  4. valuations (a separate stage, fed only by the closes the bar stage publishes into `val_closes`) value every
 *     window end that the minimum watermark over all partitions has passed;
 *  5. record the consumed offsets and the outbox batch, wait for the batch's tick files, then COMMIT.
 * Delivery (delivery.ts) reads the outbox afterwards; a crash before COMMIT loses nothing (the offsets did not move).
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';
import { crashPoint } from '../crash-points.js';
import { StateCheckpoints } from '../state-checkpoints.js';
import { LatenessRules, minWatermark, NO_WATERMARK, noEventTime } from '../time/watermarks.js';
import type { WindowSpec } from '../time/windows.js';
import type { BatchResult, CoreOptions, CorePhase, InMessage, Prepared } from './core-types.js';
import { DEFAULT_THRESHOLDS } from './core-types.js';

export type {
  BatchResult,
  CoreOptions,
  CorePhase,
  CoreScope,
  HoldingRow,
  InMessage,
  PortfolioRow,
  Thresholds,
} from './core-types.js';
export { DEFAULT_THRESHOLDS } from './core-types.js';

import { appendDeadLetters, type DeadLetter, guardedLetter, rejectedLetter } from './dead-letters.js';
import { type PartitionState, readBuffered, readMeta, readPartitions, writeMeta, writePartition } from './state.js';
import { holdBuffer, reopenState } from './state-reopen.js';
import { bindStreamParams, loadStreamFiles, runStage, type Stage, type StreamFile } from './stream-sql.js';
import { findProcessorOutput, removeOrphanTickFiles, writeTickFiles } from './tick-archive.js';
import { packTicks, type TickBatch } from './tick-batch.js';
import { batchTicksDdl, type Slot, TickColumns } from './tick-columns.js';
import { Breach, TickGuard } from './tick-guard.js';
import { type SeqEntry, SeqLedger, type SeqRow, writeSeqRows } from './tick-identity.js';
import { loadPortfolios, publishCloses, valueWindowEnds } from './valuation-stage.js';
import {
  bufferTicks,
  defineClosing,
  dropClosed,
  keepBarHistory,
  type LateTick,
  restoreBuffer,
} from './window-buffer.js';

const DAY_MS = 86_400_000;
/**
 * `buf` rows inserted or deleted after which the state connection checkpoints its temp catalog: DuckDB keeps a
 * temporary table's deleted rows until then (never by itself), and the checkpoint also compresses what is
 * buffered (~57 → ~9 bytes a tick, measured). Incremental: ~0.1 µs per row changed since the last one, so
 * checkpointing often costs about the same in total; 100k bounds the uncompressed part at ~6 MB (at 1M it reached
 * ~57 MB, after almost three hours at start's default 100 ticks/s: bench/HISTORY.md, "Memory over hours").
 */
const BUF_CHECKPOINT_ROWS = 100_000;

export class ProcessorCore {
  readonly windows: WindowSpec[];
  /** Committed partition states (what the state database holds). */
  private readonly parts: Map<number, PartitionState>;
  /** Partition states after every batch submitted so far (committed or not): what the next batch starts from. */
  private readonly ahead: Map<number, PartitionState>;
  /** Mirror of the state's last_tick: the previous price of each symbol, in arrival order. */
  private readonly lastPrice = new Map<string, number>();
  /** lastPrice after every batch submitted so far. */
  private readonly lastPriceAhead = new Map<string, number>();
  private nextBatch: number;
  /** Committed count of buffered ticks per partition (the `buffered` column of `partitions`). */
  private readonly buffered: Map<number, number>;
  /** `buf` rows inserted or deleted since the temp catalog was last checkpointed (BUF_CHECKPOINT_ROWS). */
  private bufChanged = 0;
  /** Checkpoints of the state database every few batches (processors/state-checkpoints.ts). */
  private readonly checkpoints: StateCheckpoints;
  /** The transactions of submitted batches run one after another: the last one queued. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Set when a batch transaction failed: the in-memory state ran ahead of the database, nothing more is accepted. */
  private broken: Error | undefined;
  /** The last batch's column write (ingest connection) and tick files (archive connection): the next ones follow. */
  private ingestTail: Promise<unknown> = Promise.resolve();
  private archiveTail: Promise<unknown> = Promise.resolve();
  /** When each of the two scratch slots is free again: the transaction of the batch last written there ended. */
  private readonly slotFree: [Promise<unknown>, Promise<unknown>] = [Promise.resolve(), Promise.resolve()];
  private partitionCount: number;
  /** Partitions the processor declared idle: they do not hold valuations back (setIdlePartitions). */
  private idle: ReadonlySet<number> = new Set();
  private readonly streams: StreamFile[];
  private readonly params: Record<string, number>;
  private readonly clock: () => number;
  private readonly rules: LatenessRules;
  private readonly guard: TickGuard;
  /** Highest seq per (src, symbol) after every batch submitted so far (committed or not). */
  private seqs = new SeqLedger();
  /** Cumulative wall time per phase of `run` (ms), for the benchmark's breakdown. */
  readonly phaseMs: Record<CorePhase, number> = {
    parse: 0,
    ingest: 0,
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
    buffered: Map<number, number>,
    nextBatch: number,
    /** A second connection to the state instance: writes the tick archive while the first runs the batch. */
    private archiveConn: DuckDBConnection,
    /** A third connection: writes the next batch's columns while the current batch's transaction runs. */
    private ingestConn: DuckDBConnection,
  ) {
    this.windows = opts.windows;
    this.parts = parts;
    this.buffered = buffered;
    this.ahead = new Map([...parts].map(([p, st]) => [p, { ...st }]));
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
    this.rules = new LatenessRules(opts.latenessMs);
    this.guard = new TickGuard(opts.windows, opts.bounds);
    this.checkpoints = new StateCheckpoints(opts.stateCheckpointBatches);
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
    if (stored === undefined && !opts.scope) {
      // a new state over a lake a processor already wrote: a lost or mistyped --state-dir, never reprocess into it
      const found = await findProcessorOutput(opts.lakeDir);
      if (found !== undefined) {
        throw tlError('TL_LAKE_NOT_EMPTY', { state: opts.state.path, dir: opts.lakeDir, found });
      }
      await writeMeta(conn, 'config', config);
    }
    if (stored === undefined && opts.scope) await writeMeta(conn, 'config', config);
    const nextBatch = Number((await readMeta(conn, 'next_batch_id')) ?? '1');
    const parts = await readPartitions(conn);
    // files of a batch that never committed (crash between writing the archive and COMMIT); only for a state
    // that existed before, never against a lake that a fresh state knows nothing about
    // (partition-scoped: the files are staged, and published only with their commit entry)
    if (stored !== undefined && !opts.scope)
      await removeOrphanTickFiles(opts.lakeDir, (p) => parts.get(p)?.nextOffset ?? 0);
    // the open windows' ticks live in memory; their durable copy is the tick archive (window-buffer.ts)
    const buffered = await restoreBuffer(conn, {
      lakeDir: opts.lakeDir,
      windows: opts.windows,
      parts,
      buffered: await readBuffered(conn),
      statePath: opts.state.path,
    });
    const { archiveConn, ingestConn } = await ProcessorCore.connect(opts);
    const core = new ProcessorCore(opts, parts, buffered, nextBatch, archiveConn, ingestConn);
    core.seqs = await SeqLedger.load(conn);
    const last = await conn.runAndReadAll('SELECT symbol, price FROM last_tick');
    for (const [symbol, price] of last.getRowsJS()) {
      core.lastPrice.set(String(symbol), Number(price));
      core.lastPriceAhead.set(String(symbol), Number(price));
    }
    for (const f of core.streams) bindStreamParams(f, core.params); // a file using an unknown $param fails at start
    return core;
  }

  /**
   * The core's own connections to the state instance (archive, ingest), the scratch views of both slots on them and
   * on the state's connection, and the portfolios: what a newly opened instance needs besides the file.
   */
  private static async connect(
    opts: CoreOptions,
  ): Promise<{ archiveConn: DuckDBConnection; ingestConn: DuckDBConnection }> {
    const { conn, instance } = opts.state;
    const archiveConn = await instance.connect();
    for (const c of [conn, archiveConn]) {
      for (const slot of [0, 1] as const) await c.run(batchTicksDdl(slot, `batch_ticks_${slot}`));
    }
    const ingestConn = await instance.connect();
    await loadPortfolios(conn, opts.portfolios, opts.holdings);
    return { archiveConn, ingestConn };
  }

  /**
   * Closes the state database's instance and opens it again (state-reopen.ts: DuckDB gives back what it keeps per
   * instance), once everything submitted committed. The caller closes its own connections to the instance first
   * (delivery's) and opens them again after. The open windows' ticks go through the file and come back. An
   * in-memory state (no `--state-dir`) would lose everything: it is left as it is (returns false).
   */
  async reopen(): Promise<boolean> {
    if (this.opts.state.opened.stateDir === undefined) return false;
    const done = this.tail.then(async () => {
      if (this.broken) throw this.broken;
      await Promise.all([this.ingestTail, this.archiveTail]);
      await holdBuffer(this.conn);
      crashPoint('mid-reopen');
      this.archiveConn.closeSync();
      this.ingestConn.closeSync();
      await reopenState(this.opts.state);
      // checked against the committed counts: one that differs (never expected) stops the core like a failed batch
      await restoreBuffer(this.conn, {
        lakeDir: this.opts.lakeDir,
        windows: this.windows,
        parts: this.parts,
        buffered: new Map(this.buffered),
        statePath: this.opts.state.path,
      });
      const c = await ProcessorCore.connect(this.opts);
      this.archiveConn = c.archiveConn;
      this.ingestConn = c.ingestConn;
      this.bufChanged = 0;
    });
    this.tail = done.catch((e: Error) => {
      this.broken ??= e;
    });
    await done;
    return true;
  }

  private get conn() {
    return this.opts.state.conn;
  }

  /** Resolves when nothing submitted is still running (transactions, column writes, tick files), failed or not. */
  async settled(): Promise<void> {
    await Promise.all([this.tail, this.ingestTail, this.archiveTail]).catch(() => {});
  }

  /** Closes the core's own connections (archive, ingest); the state's connection is the caller's to close. */
  close(): void {
    this.archiveConn.closeSync();
    this.ingestConn.closeSync();
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
    return this.enqueue(this.prepare([], false)) as Promise<BatchResult>;
  }

  /** Next offset to consume of a partition (0 when never seen), as committed. */
  nextOffset(partition: number): number {
    return this.parts.get(partition)?.nextOffset ?? 0;
  }

  /** Ticks the open windows hold (`buf`), as committed. */
  bufferedTicks(): number {
    let n = 0;
    for (const x of this.buffered.values()) n += x;
    return n;
  }

  /** Committed next offsets. */
  offsets(): Map<number, number> {
    return new Map([...this.parts].map(([p, s]) => [p, s.nextOffset]));
  }

  /** Committed watermarks. */
  watermarks(): Map<number, number> {
    return new Map([...this.parts].map(([p, s]) => [p, s.watermark]));
  }

  /**
   * Processes one batch (messages in offset order per partition; already-consumed offsets are skipped, so a
   * re-delivered Kafka batch is harmless) and returns at once: the batch is parsed now, its columns and tick files
   * are written while the transactions of batches submitted before it run, and its own transaction follows theirs.
   * The promise resolves when it committed (batches commit in submission order), with null when nothing was new;
   * awaiting it at once processes one batch at a time. Submitting the next batch before this one resolves overlaps
   * the JavaScript work of one batch with the DuckDB work of the other (docs/processor.md). After a failed
   * transaction every later one fails too: the core must be opened again. The messages are parsed here, on the
   * calling thread, into the columns the processor's consumer thread makes (tick-batch.ts `packTicks`).
   */
  submit(messages: InMessage[]): Promise<BatchResult | null> {
    const t0 = performance.now();
    const batch = packTicks(messages);
    this.phaseMs.parse += performance.now() - t0;
    return this.submitParsed([batch]);
  }

  /**
   * `submit` for messages already parsed into columns (the processor's consumer thread does that, tick-batch.ts):
   * one batch of their messages, in the order given (per partition in offset order; arrival order across them).
   */
  submitParsed(batches: readonly TickBatch[]): Promise<BatchResult | null> {
    if (this.broken) return Promise.reject(this.broken);
    if (!this.anyFresh(batches)) return this.tail.then(() => null);
    return this.enqueue(this.prepare(batches, false));
  }

  /** Whether any message is at or past its partition's next offset (ahead): otherwise the batch is all re-sends. */
  private anyFresh(batches: readonly TickBatch[]): boolean {
    for (const b of batches) {
      let partition = -1;
      let next = 0;
      for (let i = 0; i < b.count; i++) {
        if (b.partitions[i] !== partition) {
          partition = b.partitions[i];
          next = this.ahead.get(partition)?.nextOffset ?? 0;
        }
        if (b.offsets[i] >= next) return true;
      }
    }
    return false;
  }

  /** Closes every open window and values every closed window end (`--until-idle`, once input is drained). */
  async flush(): Promise<BatchResult> {
    return this.enqueue(this.prepare([], true)) as Promise<BatchResult>;
  }

  /** Queues the transaction of a prepared batch behind those already queued. */
  private enqueue(batch: Prepared): Promise<BatchResult> {
    const done = this.tail.then(() => {
      if (this.broken) throw this.broken;
      return this.apply(batch);
    });
    this.tail = done.catch((e: Error) => {
      this.broken ??= e;
    });
    this.slotFree[batch.slot] = this.tail;
    return done;
  }

  /**
   * The batch's JavaScript half, at once: previous prices, lateness, watermarks, the partition states it leads to
   * (`ahead`), from the parsed columns (phase `parse`, the name kept for the bench's figures);
   * then, in the background, its columns into its scratch slot (once the batch that used the slot before committed)
   * and its tick files from the archive connection.
   */
  private prepare(batches: readonly TickBatch[], flush: boolean): Prepared {
    const b = this.nextBatch++;
    const slot: Slot = b % 2 === 0 ? 0 : 1;
    const res: BatchResult = {
      batchId: b,
      messages: 0,
      ticks: 0,
      rejected: 0,
      outOfRange: 0,
      ahead: 0,
      duplicates: 0,
      late: 0,
      bars: 0,
      anomalies: 0,
      valuations: 0,
    };
    const t0 = performance.now();
    const now = this.clock();
    const guard = this.guard;
    // the tick identities this batch advanced (written with its transaction)
    const seqTouched = new Set<SeqEntry>();
    // new partition states, computed in TS while reading the columns
    const next = new Map<number, PartitionState>();
    const late: LateTick[] = [];
    const buffering = new Map<number, number>();
    const largest = this.windows[this.windows.length - 1];
    const files = new Map<number, { partition: number; day: number; lo: number; hi: number }>();
    const cols = new TickColumns();
    const rejected: DeadLetter[] = [];
    // last price per symbol in arrival order, as of this batch, by the symbol's id in `cols` (no per-tick string
    // lookup); `symbols` lists the ids met as a symbol, in first-met order (merged into lastPrice after COMMIT)
    const lastById: (number | undefined)[] = [];
    const met: boolean[] = [];
    const symbols: { id: number; symbol: string }[] = [];
    const rules = this.rules;
    for (const batch of batches) {
      // the batch's dictionary ids → the columns' ids (0: not mapped yet), and whether an id was met as a symbol
      const ids = new Int32Array(batch.strings.length);
      const col = (i: number): number => {
        let id = ids[i];
        if (id === 0) id = ids[i] = cols.intern(batch.strings[i]);
        return id;
      };
      // per symbol of the batch's dictionary: the identity ledger's entry last used, and the src it is for
      const seqOf: (SeqEntry | undefined)[] = [];
      const seqSrc = new Int32Array(batch.strings.length);
      let rej = 0;
      let partition = -1;
      let aheadNext = 0;
      let st: PartitionState | undefined;
      for (let i = 0; i < batch.count; i++) {
        const valid = batch.valid[i] === 1;
        const reject = valid ? undefined : batch.rejected[rej++];
        const p = batch.partitions[i];
        if (p !== partition) {
          partition = p;
          aheadNext = this.ahead.get(p)?.nextOffset ?? 0;
          st = next.get(p);
        }
        const offset = batch.offsets[i];
        if (offset < aheadNext) continue; // consumed already (a re-delivery)
        res.messages++;
        if (!st) {
          const old = this.ahead.get(p) ?? { nextOffset: 0, ...noEventTime() };
          st = { ...old };
          next.set(p, st);
        }
        if (offset < st.nextOffset) continue; // duplicate inside one batch
        st.nextOffset = offset + 1;
        if (reject) {
          rejected.push(rejectedLetter(p, offset, reject));
          continue;
        }
        const tickTs = batch.ts[i];
        const price = batch.price[i];
        const seq = batch.seq[i];
        let seen: SeqEntry | undefined;
        if (!Number.isNaN(seq)) {
          // the tick has an identity: counted already when its seq is at or below the highest one seen
          const sym = batch.symbol[i];
          const src = batch.src[i] >= 0 ? batch.src[i] : batch.exchange[i];
          seen = seqOf[sym];
          if (seen === undefined || seqSrc[sym] !== src) {
            seen = seqOf[sym] = this.seqs.entry(batch.strings[src], batch.strings[sym]);
            seqSrc[sym] = src;
          }
          if (seq <= seen.max) {
            res.duplicates++;
            continue;
          }
        }
        const breach = guard.check(tickTs, price, batch.size[i], batch.timestamps[i], now);
        if (breach !== Breach.None) {
          const reason = guard.reason(breach, tickTs, price, batch.size[i], batch.timestamps[i], now);
          rejected.push(guardedLetter(batch, i, p, offset, reason));
          if (breach === Breach.Ahead) res.ahead++;
          else res.outOfRange++;
          continue;
        }
        if (seen !== undefined) {
          seen.max = seq;
          seqTouched.add(seen);
        }
        const symbolId = col(batch.symbol[i]);
        if (!met[symbolId]) {
          met[symbolId] = true;
          const symbol = batch.strings[batch.symbol[i]];
          symbols.push({ id: symbolId, symbol });
          lastById[symbolId] = this.lastPriceAhead.get(symbol);
        }
        const prev = lastById[symbolId];
        cols.pushIds(
          symbolId,
          col(batch.exchange[i]),
          col(batch.assetClass[i]),
          tickTs,
          price,
          batch.size[i],
          p,
          offset,
          prev,
        );
        lastById[symbolId] = price;
        const day = Math.floor(tickTs / DAY_MS);
        const fileKey = p * 10_000_000 + day; // partition and UTC day (< 3M up to year 9999): one archive file each
        const range = files.get(fileKey);
        if (range) range.hi = offset;
        else files.set(fileKey, { partition: p, day, lo: offset, hi: offset });
        res.ticks++;
        // the watermark this tick meets: the start-of-batch one, or what the ticks before it in the batch raised
        const wmBefore = rules.observe(st, tickTs);
        let lateForLargest = false;
        for (const w of this.windows) {
          if (rules.isLate(tickTs, w, wmBefore)) {
            late.push({ partition: p, offset, window: w.label, watermark: wmBefore });
            if (w === largest) lateForLargest = true;
          }
        }
        if (!lateForLargest) buffering.set(p, (buffering.get(p) ?? 0) + 1);
      }
    }
    const batchLast = new Map<string, number>();
    for (const { id, symbol } of symbols) batchLast.set(symbol, lastById[id] as number);
    // advance the watermarks (never backwards)
    for (const [p, st] of next) {
      // (a partition without ticks keeps its watermark: NO_WATERMARK − lateness is below any watermark)
      rules.advance(st, p);
      this.ahead.set(p, { ...st });
    }
    for (const [symbol, price] of batchLast) this.lastPriceAhead.set(symbol, price);
    this.phaseMs.parse += performance.now() - t0;

    // the columns go to the scratch slot outside any transaction, so that the archive connection can read them
    // while the state transaction of an earlier batch (or of this one) runs
    // one statement at a time per connection (a DuckDB connection runs one query; two appenders or COPYs from
    // different batches interleaved on it fail), so the writes and the archives each form a chain in batch order
    const written = Promise.all([this.slotFree[slot], this.ingestTail]).then(() => cols.write(this.ingestConn, slot));
    const tickFiles = [...files.values()];
    const archive = Promise.all([written, this.archiveTail]).then(() =>
      writeTickFiles(this.archiveConn, this.opts.lakeDir, `batch_ticks_${slot}`, tickFiles, this.opts.scope?.writer),
    );
    // the tails observe both promises (no unhandled rejection meanwhile); failures are reported by the awaits in apply
    this.ingestTail = written.catch(() => {});
    this.archiveTail = archive.catch(() => {});
    const seqRows: SeqRow[] = [...seqTouched].map((e) => [e.src, e.symbol, e.max]);
    return {
      b,
      slot,
      flush,
      now,
      res,
      next,
      late,
      buffering,
      batchLast,
      rejected,
      seqRows,
      tickFiles,
      written,
      archive,
    };
  }

  /** The batch's state transaction (runs after the previous batch's committed, see enqueue). */
  private async apply(x: Prepared): Promise<BatchResult> {
    const conn = this.conn;
    const { b, res, next, late, batchLast, rejected, seqRows, now } = x;
    const buffered = new Map<number, number>();
    let changed = 0;
    const phase = this.phaseMs;
    let mark = performance.now();
    const lap = (p: CorePhase) => {
      const t = performance.now();
      phase[p] += t - mark;
      mark = t;
    };
    try {
      await x.written;
    } catch (e) {
      await x.archive.catch(() => {});
      throw e;
    }
    lap('ingest');

    await conn.run('BEGIN TRANSACTION');
    try {
      if (rejected.length > 0) {
        await appendDeadLetters(conn, b, this.opts.topic, now, rejected);
        res.rejected = rejected.length;
      }
      if (res.ticks > 0) res.late += await bufferTicks(conn, b, this.windows, late, `batch_ticks_${x.slot}`);
      lap('buffer');
      if (res.ticks > 0) res.anomalies += await this.runStage('ticks', b, x.slot);
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
      await writeSeqRows(conn, seqRows);
      if (x.flush) this.flushWatermarks(next);
      lap('stages');
      const { closing, dropped } = await defineClosing(
        conn,
        this.windows,
        new Set([...this.parts.keys(), ...next.keys()]),
        (p) => {
          const before = this.parts.get(p)?.watermark ?? NO_WATERMARK;
          return [before, next.get(p)?.watermark ?? before];
        },
        late.length > 0,
      );
      lap('collect');
      res.bars = closing > 0 ? await this.runStage('close', b) : 0;
      if (res.bars > 0) res.anomalies += await this.runStage('bars', b);
      if (res.bars > 0) {
        await keepBarHistory(conn);
        // a partition-scoped core values nothing (the valuation stage does): its val_closes would only grow
        if (!this.opts.scope) await publishCloses(conn);
      }
      const gone = await dropClosed(conn, dropped);
      lap('close');
      const wms = this.watermarks();
      for (const [p, st] of next) wms.set(p, st.watermark);
      // a partition that gets a message in this batch is active, whatever it was declared
      const idle = new Set([...this.idle].filter((p) => !next.has(p)));
      const minWm = minWatermark(wms, this.partitionCount, idle);
      if (!this.opts.scope && Number.isFinite(minWm) && minWm > NO_WATERMARK) {
        res.valuations = await valueWindowEnds(conn, minWm, () => this.runStage('valuation', b));
      }

      if (this.opts.publishCloses) {
        if (res.bars > 0) {
          await conn.run(`INSERT INTO ob_closes SELECT ${b}, symbol, "window", window_end, close FROM new_bars`);
        }
        // after the closes: every close of a partition's bars ending at or before its mark precedes the mark
        for (let p = 0; p < this.partitionCount; p++) {
          const w = wms.get(p);
          if (w === undefined && !idle.has(p)) continue;
          await conn.run(`INSERT INTO ob_marks VALUES (${b}, ${p}, ${this.partitionCount}, ${w ?? NO_WATERMARK},
            ${idle.has(p)})`);
        }
      }
      // partition-scoped, the lake gets the batch through its commit entry (scope.beforeCommit), not from the outbox
      const lakeDone = this.opts.scope !== undefined;
      await conn.run(`INSERT INTO outbox VALUES (${b}, epoch_ms(${now}::BIGINT), ${lakeDone}, false, false)`);
      await writeMeta(conn, 'next_batch_id', String(b + 1));
      // a partition whose buffer shrank had its watermark moved, so it is in `next`
      for (const [p, st] of next) {
        const n = (this.buffered.get(p) ?? 0) + (x.buffering.get(p) ?? 0) - (gone.get(p) ?? 0);
        buffered.set(p, n);
        await writePartition(conn, p, st, n);
      }
      lap('valuations');
      // the tick files must be durable before the offsets that consumed them are
      await x.archive;
      lap('archive');
      crashPoint('mid-batch');
      if (this.opts.scope) await this.opts.scope.beforeCommit(conn, b, x.flush, x.tickFiles);
      await conn.run('COMMIT');
      for (const n of [...x.buffering.values(), ...gone.values()]) changed += n;
      lap('commit');
    } catch (e) {
      await x.archive.catch(() => {});
      await conn.run('ROLLBACK').catch(() => {});
      throw e;
    }
    for (const [p, st] of next) this.parts.set(p, st);
    for (const [p, n] of buffered) this.buffered.set(p, n);
    this.bufChanged += changed;
    if (this.bufChanged >= (this.opts.bufferCheckpointRows ?? BUF_CHECKPOINT_ROWS)) {
      // outside any transaction (after COMMIT); it concerns only this connection's temp catalog
      await conn.run('CHECKPOINT temp');
      this.bufChanged = 0;
      lap('commit');
    }
    if (await this.checkpoints.afterCommit(conn, b)) lap('commit');
    if (x.flush) {
      // the jump of the watermarks carries over to batches submitted after the flush
      for (const [p, st] of next) {
        const a = this.ahead.get(p);
        this.ahead.set(p, a ? { ...a, watermark: Math.max(a.watermark, st.watermark) } : { ...st });
      }
    }
    for (const [symbol, price] of batchLast) this.lastPrice.set(symbol, price);
    return res;
  }

  /** Runs the stream files of one stage, appending their rows to the outbox. Returns the row count. */
  private runStage(stage: Stage, b: number, slot?: Slot): Promise<number> {
    return runStage(this.conn, this.streams, stage, b, this.params, slot);
  }

  /** `--until-idle`: every partition's watermark jumps past every buffered window and every pending close. */
  private flushWatermarks(next: Map<number, PartitionState>): void {
    const target = this.rules.flushTarget([...this.parts.values(), ...next.values()], this.windows);
    const all = [...Array(this.partitionCount).keys()];
    for (const p of this.opts.scope?.partitions ?? all) {
      let st = next.get(p);
      if (!st) {
        st = { ...(this.parts.get(p) ?? { nextOffset: 0, ...noEventTime() }) };
        next.set(p, st);
      }
      st.watermark = Math.max(st.watermark, target);
    }
  }
}

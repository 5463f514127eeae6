/**
 * One partition of a scaled-out tick engine (`--scale-out`, docs/scaling.md): a ProcessorCore scoped to the
 * partition, over a state database that is a cache of the partition's commit log.
 *
 * - `acquire`: rolls the log forward (publishes the outputs a crash left staged), then opens the local cache
 *   `<state-dir>/p<partition>/`; when its last batch is not the log's latest entry (another instance committed since,
 *   or this one never held the partition), the cache's undelivered Kafka and MySQL rows are delivered (they belong
 *   to entries that won: idempotent) and it is rebuilt from the latest entry (partition-state.ts), after the Kafka
 *   and MySQL rows of every entry the previous owner may still owe (from the latest's `owedFrom`) were queued again
 *   from their published files; the open windows' ticks come back from the tick archive, restricted to the partition.
 * - every batch (core batch id = commit sequence): inside its transaction, its result files and tick files are
 *   staged, the entry is created (`PartitionLog.commit`: EEXIST → `TL_LAKE_PARTITION_FENCED`, and the transaction
 *   rolls back), then COMMIT; then the staged files are renamed into view, and Kafka and MySQL get the batch's rows.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '../../core/duckdb.js';
import type { Logger } from '../../core/log.js';
import { crashPoint } from '../crash-points.js';
import { type CommitEntry, type CommitOutput, KEEP_ENTRIES, PartitionLog } from '../partitions/commit-log.js';
import { exportPartitionState, type PartitionEntryState, seedPartitionState } from '../partitions/partition-state.js';
import { redeliverEntry, stageOutbox } from '../partitions/staged-outputs.js';
import { Delivery, type DeliveryOptions } from '../sinks/delivery.js';
import type { WindowSpec } from '../time/windows.js';
import { type BatchResult, type HoldingRow, type PortfolioRow, ProcessorCore, type Thresholds } from './core.js';
import { createSchema, openState, readMeta, STATE_FILE, type StateDb, writeMeta } from './state.js';
import { reopenWithDelivery } from './state-reopen.js';
import { stagedTickFile } from './tick-archive.js';
import type { TickBatch } from './tick-batch.js';
import type { TickBounds } from './tick-guard.js';

/**
 * DuckDB threads of a partition's cache. A partition batch is small (one partition's share of `--max-batch`) and
 * runs some 50 statements whose cost is DuckDB's fixed cost per operator, not the rows: a second thread only adds
 * its scheduling to each (the bar stage over 250 ticks: 11 against 18–25 CPU-ms), and the instance's partitions
 * each have a cache of their own. `npm run bench:scale-batch` (bench/HISTORY.md): most of the 0.68 of the fixed CPU
 * per batch against 0337e5b.
 */
const CACHE_THREADS = 1;

/**
 * Batches after which the delivered ones leave the outbox (`cleanup`: a DELETE per outbox table, ~11 CPU-ms
 * whatever it deletes). Every batch before, that was a tenth of a small batch's cost; a delivered batch's rows
 * staying a few batches longer change nothing (every reader of the outbox asks for its flags or one batch). The
 * acquire's and the drain's delivery clean up as well.
 */
const CLEANUP_EVERY = 8;

export interface PartitionEngineOptions {
  lakeDir: string;
  /** The instance's state directory: the partition's cache is `<stateDir>/p<partition>/`. */
  stateDir: string;
  topic: string;
  partition: number;
  partitionCount: number;
  writer: string;
  windows: WindowSpec[];
  latenessMs: number;
  portfolios: PortfolioRow[];
  holdings: HoldingRow[];
  thresholds?: Partial<Thresholds>;
  bounds?: Partial<TickBounds>;
  publishCloses?: boolean;
  clock?: () => number;
  delivery: Omit<DeliveryOptions, 'conn' | 'lakeDir' | 'log'>;
  log: Logger;
}

export class PartitionEngine {
  /** The entry of the batch in its transaction, created by `beforeCommit`; published once the batch committed. */
  private pendingEntry: CommitEntry<PartitionEntryState> | undefined;
  private staged: CommitOutput[] = [];
  private commits = 0;
  /** Batches committed since the cache's instance was opened (`reopenIfDue`). */
  private sinceReopen = 0;

  private constructor(
    readonly partition: number,
    private readonly o: PartitionEngineOptions,
    private readonly commitLog: PartitionLog<PartitionEntryState>,
    private readonly state: StateDb,
    private core: ProcessorCore | undefined,
    private delivery: Delivery | undefined,
    /** The delivery's own connection to the cache; replaced when the cache's instance is reopened. */
    private deliveryConn: DuckDBConnection,
    /** Whether the partition's final flush (`--until-idle`) is committed. */
    public flushed: boolean,
  ) {}

  static async acquire(o: PartitionEngineOptions): Promise<PartitionEngine> {
    const log = new PartitionLog<PartitionEntryState>(o.lakeDir, o.topic, o.partition, o.writer);
    const latest = await log.acquire();
    const dir = join(o.stateDir, `p${o.partition}`);
    let state = await openState(dir, '256MB', `ticks-p${o.partition}`, CACHE_THREADS);
    await createSchema(state.conn);
    const localSeq = Number((await readMeta(state.conn, 'next_batch_id')) ?? '1') - 1;
    if (localSeq !== (latest?.seq ?? 0)) {
      // a stale cache: what it committed is in the log; deliver its rows still owed to Kafka and MySQL, then rebuild
      const conn = await state.instance.connect();
      try {
        await new Delivery({ ...o.delivery, conn, lakeDir: o.lakeDir, log: o.log }).deliverAll(true);
      } finally {
        conn.closeSync();
      }
      state.conn.closeSync();
      for (const f of [STATE_FILE, `${STATE_FILE}.wal`]) await rm(join(dir, f), { force: true });
      state = await openState(dir, '256MB', `ticks-p${o.partition}`, CACHE_THREADS);
      await createSchema(state.conn);
      if (latest) {
        // the rows owed first, the state (which sets next_batch_id) last: a crash in between leaves a stale cache,
        // rebuilt again at the next acquire, never one that looks current without them
        for (const e of await owedEntries(log, latest, o.log)) {
          await redeliverEntry(
            state.conn,
            o.lakeDir,
            { ...e, watermark: e.state.watermark, partitions: o.partitionCount },
            o.publishCloses === true,
          );
        }
        await seedPartitionState(state.conn, latest.seq, latest.state);
      }
      o.log.info({ partition: o.partition, seq: latest?.seq ?? 0, localSeq }, 'partition state rebuilt from its log');
    }
    const flushed = (await readMeta(state.conn, 'flushed')) === 'true';
    const deliveryConn = await state.instance.connect();
    const engine = new PartitionEngine(o.partition, o, log, state, undefined, undefined, deliveryConn, flushed);
    try {
      engine.core = await ProcessorCore.open({
        state,
        lakeDir: o.lakeDir,
        windows: o.windows,
        latenessMs: o.latenessMs,
        topic: o.topic,
        partitionCount: o.partitionCount,
        portfolios: o.portfolios,
        holdings: o.holdings,
        thresholds: o.thresholds,
        bounds: o.bounds,
        publishCloses: o.publishCloses,
        clock: o.clock,
        scope: {
          partitions: [o.partition],
          writer: o.writer,
          beforeCommit: (conn, b, flush, tickFiles) => engine.beforeCommit(conn, b, flush, tickFiles),
        },
      });
      engine.delivery = new Delivery({ ...o.delivery, conn: deliveryConn, lakeDir: o.lakeDir, log: o.log });
      await engine.delivery.deliverAll(true);
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }

  /** Next offset to consume (committed). */
  nextOffset(): number {
    return this.core?.nextOffset(this.partition) ?? 0;
  }

  watermark(): number | undefined {
    return this.core?.watermarks().get(this.partition);
  }

  /**
   * One batch of this partition's messages: committed, published and delivered when it resolves (null: nothing new).
   * `onCommitted` is called once its state transaction committed, before it is published and delivered.
   */
  async process(batches: readonly TickBatch[], onCommitted?: (r: BatchResult) => void): Promise<BatchResult | null> {
    const r = await this.run(() => (this.core as ProcessorCore).submitParsed(batches));
    if (r) onCommitted?.(r);
    return this.finish(r);
  }

  /** The final flush (`--until-idle`): closes every open window of the partition. */
  async flush(): Promise<BatchResult> {
    const r = await this.finish(await this.run(() => (this.core as ProcessorCore).flush()));
    this.flushed = true;
    return r as BatchResult;
  }

  private async run<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      // fenced or failed: the transaction rolled back; nothing staged may stay behind
      for (const s of this.staged) await rm(join(this.o.lakeDir, s.staged), { force: true }).catch(() => {});
      this.staged = [];
      this.pendingEntry = undefined;
      throw e;
    }
  }

  private async finish<T extends BatchResult | null>(r: T): Promise<T> {
    const entry = this.pendingEntry;
    this.pendingEntry = undefined;
    this.staged = [];
    if (!entry) return r;
    crashPoint('after-commit');
    await this.commitLog.publish(entry);
    crashPoint('after-lake');
    // the lake has the batch through its entry (its outbox row says so from the start): Kafka and MySQL only
    const delivery = this.delivery as Delivery;
    await delivery.deliverKafka();
    await delivery.deliverMysql();
    this.commits++;
    this.sinceReopen++;
    if (this.commits % CLEANUP_EVERY === 0) await delivery.cleanup();
    if (this.commits % KEEP_ENTRIES === 0) await this.commitLog.prune(KEEP_ENTRIES, entry.state.owedFrom);
    return r;
  }

  private async beforeCommit(
    conn: DuckDBConnection,
    b: number,
    flush: boolean,
    tickFiles: import('./tick-archive.js').TickFile[],
  ): Promise<void> {
    const outputs = [
      ...tickFiles.map((f) => stagedTickFile(f, this.o.writer)),
      ...(await stageOutbox(conn, this.o.lakeDir, b, this.partition, this.o.writer)),
    ];
    this.staged = outputs;
    // the lake gets the batch through the entry (its outbox row was born lake_done); the outbox keeps its rows for
    // Kafka and MySQL only
    await conn.run(`DELETE FROM ob_late_ticks WHERE batch_id = ${b}`);
    const flushed = this.flushed || flush;
    // written once, by the final flush: every batch before it leaves the meta as it was (false or absent)
    if (flushed !== this.flushed) await writeMeta(conn, 'flushed', 'true');
    const state = await exportPartitionState(conn, this.partition, flushed);
    // this batch's rows and any an earlier delivery left (MySQL down): what a new owner must deliver again
    const owed = await conn.runAndReadAll('SELECT min(batch_id) FROM outbox WHERE NOT (mysql_done AND kafka_done)');
    state.owedFrom = Math.min(b, Number(owed.getRowsJS()[0][0] ?? b));
    this.pendingEntry = await this.commitLog.commit(b - 1, state, outputs);
  }

  /**
   * Reopens the cache's DuckDB instance (state-reopen.ts: DuckDB gives back what it keeps per instance) once `every`
   * batches committed since it was opened, unless MySQL is failing or the open windows hold more than `maxBuffered`
   * ticks (as the single-instance processor decides, processor.ts `reopenIfDue`). True when it did. Only between two
   * batches of the partition: the scaled loop awaits each batch, its delivery included, so nothing runs on the
   * instance then. A process killed inside it starts from the cache alone (its `buf` table), as one not scaled out.
   */
  async reopenIfDue(every: number, maxBuffered: number): Promise<boolean> {
    const { core, delivery } = this;
    if (!core || !delivery || every <= 0 || this.sinceReopen < every || delivery.mysqlDown) return false;
    if (core.bufferedTicks() > maxBuffered) return false;
    this.deliveryConn = await reopenWithDelivery(core, this.state, delivery, this.deliveryConn);
    this.sinceReopen = 0;
    return true;
  }

  /** Whether the last try to reach MySQL failed (its backoff runs). */
  get mysqlDown(): boolean {
    return this.delivery?.mysqlDown ?? false;
  }

  /** Batches of the partition MySQL has not received yet. */
  mysqlBacklog(): Promise<number> {
    return (this.delivery as Delivery).mysqlBacklog();
  }

  /** Delivers what MySQL has not received (after its backoff); true once it has everything. */
  deliverMysql(): Promise<boolean> {
    return (this.delivery as Delivery).deliverMysql();
  }

  /**
   * The end of an `--until-idle` run: waits until MySQL has every batch of the partition's outbox, however long it
   * stays down (outbox-delivery.ts `drain`), as the single-instance processor does. False when `stopping` ended it.
   */
  drain(stopping: () => boolean): Promise<boolean> {
    return (this.delivery as Delivery).drain(stopping);
  }

  /** Waits for what runs, closes the core and the cache (kept on disk: reused when the partition comes back). */
  async close(): Promise<void> {
    if (this.core) {
      await this.core.settled();
      this.core.close();
      this.core = undefined;
    }
    this.deliveryConn.closeSync();
    await this.state.conn.run('CHECKPOINT').catch(() => {});
    this.state.conn.closeSync();
  }
}

/**
 * The entries whose Kafka and MySQL rows a new owner must queue again, oldest first: from the latest entry's
 * `owedFrom` (its own sequence for entries of older versions) to the latest. An owed entry pruned away (a log
 * written before pruning kept them) cannot be read: its rows are in the lake only, said in the log.
 */
async function owedEntries(
  log: PartitionLog<PartitionEntryState>,
  latest: CommitEntry<PartitionEntryState>,
  logger: Logger,
): Promise<CommitEntry<PartitionEntryState>[]> {
  const out: CommitEntry<PartitionEntryState>[] = [];
  for (let seq = Math.min(latest.state.owedFrom ?? latest.seq, latest.seq); seq < latest.seq; seq++) {
    try {
      out.push(await log.read(seq));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      logger.warn({ partition: latest.partition, seq }, 'an entry owed to Kafka and MySQL was pruned: not delivered');
    }
  }
  out.push(latest);
  return out;
}

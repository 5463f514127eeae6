/**
 * The keyed-table engine's core: one batch of raw Kafka messages in, one state transaction out (docs/tables.md).
 *
 * In ONE DuckDB transaction on the state database (state.ts):
 *  1. the messages are staged as text (stage.ts), skipping offsets already consumed;
 *  2. per source, the decode SQL types and checks them (decode-sql.ts): rejections go to the outbox's
 *     `ob_rejected` with their reasons; the rest become the source's delta (changes.ts) and are applied to its
 *     current state, its log and its outbox table;
 *  3. jobs run in dependency order: `table` jobs recompute what their changed inputs touched and log the
 *     differences (table-jobs.ts); `window` jobs buffer their stream's rows and emit the windows the watermark closed
 *     (window-jobs.ts); each job's delta feeds the jobs after it;
 *  4. the consumed offsets and the outbox batch are recorded, then COMMIT; every 100 batches the state file is
 *     checkpointed after it (processors/state-checkpoints.ts).
 * Delivery (processors/sinks/change-delivery.ts) reads the outbox afterwards. A crash before COMMIT loses nothing
 * (the offsets did not move); after it, the outbox holds the batch until every sink has it.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';
import { sqlIdent } from '../../lake/sql-quote.js';
import { crashPoint } from '../crash-points.js';
import { StateCheckpoints } from '../state-checkpoints.js';
import { relationOf, type TableCatalog } from './catalog.js';
import { applyDelta, expireStream, sourceDelta } from './changes.js';
import { loadConversions } from './debezium-schema.js';
import { DECODE_MACROS, decodeSql, LSN_PARTITIONS } from './decode-sql.js';
import { deliveredTables } from './lake-tables.js';
import { tablesWithHistory } from './relations.js';
import type { SourceDecl } from './source-file.js';
import { type RawMessage, stageMessages } from './stage.js';
import {
  createBaseSchema,
  createTableSchemas,
  findTablesOutput,
  isNewState,
  readMeta,
  readOffsets,
  refuseChangedKeys,
  type TablesState,
  writeMeta,
  writeOffsets,
} from './state.js';
import { deltaName, runTableJob } from './table-jobs.js';
import { runWindowJob } from './window-jobs.js';

const q = sqlIdent;

export interface TablesEngineOptions {
  state: TablesState;
  catalog: TableCatalog;
  clock?: () => number;
  /**
   * The lake the engine's output goes to: a new state over a lake that already holds this engine's output is
   * refused (TL_LAKE_NOT_EMPTY). Undefined: no lake (tests of the engine alone).
   */
  lakeDir?: string;
  /** Batches between checkpoints of the state database (processors/state-checkpoints.ts; 0: DuckDB's own only). */
  stateCheckpointBatches?: number;
}

export interface TablesBatchResult {
  batchId: number;
  messages: number;
  rejected: number;
  /** Changes logged per table (sources and jobs) in this batch. */
  changes: Map<string, number>;
  /** Changes dropped because their key had a newer one (sent to another partition). */
  stale: number;
  /** Rows of window jobs that arrived after their window closed. */
  late: number;
  /** Per job, rows of its select left out for a null in their key. */
  nullKeys: Map<string, number>;
}

/** Meta key prefix of a job whose full recomputation is pending (its declaration or an input's shape changed). */
const RECOMPUTE_META = 'recompute:';

export class TablesEngine {
  private readonly offsetsMap: Map<string, Map<number, number>>;
  private nextBatch: number;
  /** Jobs to recompute in full at the next batch (their declaration changed). */
  private readonly force = new Set<string>();
  private readonly withLog: Set<string>;
  /** The tables started so far (their state tables exist): the catalog narrowed to them, in its order. */
  private started: TableCatalog;
  /** Tables some job reads: a window job keeps its emitted rows only then. */
  private readonly readByJobs: Set<string>;
  private readonly idle = new Map<string, ReadonlySet<number>>();
  private readonly partitionCounts = new Map<string, number>();
  private readonly clock: () => number;
  private readonly checkpoints: StateCheckpoints;

  private constructor(
    private readonly opts: TablesEngineOptions,
    offsets: Map<string, Map<number, number>>,
    nextBatch: number,
  ) {
    this.offsetsMap = offsets;
    this.nextBatch = nextBatch;
    this.withLog = tablesWithHistory(opts.catalog.jobs, opts.catalog.byName);
    this.clock = opts.clock ?? Date.now;
    this.checkpoints = new StateCheckpoints(opts.stateCheckpointBatches);
    this.readByJobs = new Set(opts.catalog.jobs.flatMap((j) => j.reads));
    this.started = { ...opts.catalog, sources: [], jobs: [] };
  }

  /**
   * Opens the engine over its state: checks the lake, reads the offsets and the next batch id, and (unless
   * `lazy`) starts every declared table. With `lazy`, nothing of the catalog runs until `start` names it
   * (processors/tables/startup.ts starts the tables whose topics have something to read).
   */
  static async open(opts: TablesEngineOptions & { lazy?: boolean }): Promise<TablesEngine> {
    const { conn } = opts.state;
    await createBaseSchema(conn);
    if (opts.lakeDir !== undefined && (await isNewState(conn))) {
      // a lost or mistyped --state-dir: never process the topics again into a lake this engine wrote
      const names = deliveredTables(opts.catalog).map((t) => t.name);
      const found = await findTablesOutput(opts.lakeDir, names);
      if (found !== undefined) throw tlError('TL_LAKE_NOT_EMPTY', { state: opts.state.path, dir: opts.lakeDir, found });
    }
    for (const m of DECODE_MACROS) await conn.run(m);
    const nextBatch = Number((await readMeta(conn, 'next_batch_id')) ?? '1');
    const engine = new TablesEngine(opts, await readOffsets(conn), nextBatch);
    if (opts.lazy) await refuseChangedKeys(conn, [...opts.catalog.sources, ...opts.catalog.jobs]);
    else await engine.start(new Set(opts.catalog.byName.keys()));
    return engine;
  }

  /**
   * Starts these tables (sources and jobs; each job's inputs must be started with it or before): creates or
   * migrates their state tables, in one transaction, and marks the jobs whose declaration or inputs changed for a
   * full recomputation at the next batch. Call between batches. Returns the tables it started.
   */
  async start(names: ReadonlySet<string>): Promise<TableCatalog> {
    const c = this.opts.catalog;
    const fresh = (t: { name: string }) => names.has(t.name) && !this.isStarted(t.name);
    const add: TableCatalog = { ...c, sources: c.sources.filter(fresh), jobs: c.jobs.filter(fresh) };
    if (add.sources.length + add.jobs.length === 0) return add;
    const conn = this.conn;
    // one transaction: DuckDB writes and syncs its WAL at every commit, ~8 statements per table otherwise
    await conn.run('BEGIN TRANSACTION');
    const force = new Set<string>();
    try {
      const changed = await createTableSchemas(conn, add, this.withLog);
      for (const j of add.jobs) {
        // a job whose input changed shape is recomputed as well
        const recompute =
          (j.jobKind === 'table' && changed.has(j.name)) ||
          j.reads.some((r) => {
            const input = relationOf(r, c.byName)?.decl.name;
            return input !== undefined && changed.has(input);
          });
        // the new shapes and SQL are stored in this commit: the pending recomputation is stored with them, so a
        // process that ends before the next batch commits still recomputes when it starts again
        if (recompute) await writeMeta(conn, `${RECOMPUTE_META}${j.name}`, '1');
        if (recompute || (await readMeta(conn, `${RECOMPUTE_META}${j.name}`)) !== undefined) force.add(j.name);
      }
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => {});
      throw e;
    }
    for (const j of force) this.force.add(j);
    const now = new Set(
      [...this.started.sources, ...this.started.jobs, ...add.sources, ...add.jobs].map((t) => t.name),
    );
    this.started = {
      ...c,
      sources: c.sources.filter((s) => now.has(s.name)),
      jobs: c.jobs.filter((j) => now.has(j.name)),
    };
    return add;
  }

  isStarted(name: string): boolean {
    return this.started.sources.some((s) => s.name === name) || this.started.jobs.some((j) => j.name === name);
  }

  private get conn(): DuckDBConnection {
    return this.opts.state.conn;
  }

  /** The tables started so far (every declared one unless opened `lazy`). */
  get catalog(): TableCatalog {
    return this.started;
  }

  /** The last batch committed (0 before the first). */
  get lastBatchId(): number {
    return this.nextBatch - 1;
  }

  /** The topics the engine's sources read. */
  topics(): string[] {
    return [...new Set(this.started.sources.map((s) => s.topic))];
  }

  /** Committed next offsets per topic and partition. */
  offsets(): Map<string, Map<number, number>> {
    return new Map([...this.offsetsMap].map(([t, m]) => [t, new Map(m)]));
  }

  nextOffset(topic: string, partition: number): number {
    return this.offsetsMap.get(topic)?.get(partition) ?? 0;
  }

  /** Partitions of a topic: window jobs wait for the watermark of each. */
  setPartitionCount(topic: string, n: number): void {
    this.partitionCounts.set(topic, Math.max(n, this.partitionCounts.get(topic) ?? 0));
  }

  /** Partitions of a topic that stop holding window jobs back (nothing to read, no message for a while). */
  setIdlePartitions(topic: string, idle: ReadonlySet<number>): void {
    this.idle.set(topic, idle);
  }

  /** Whether a batch would do anything: a message not yet consumed, or a job to recompute. */
  hasWork(messages: readonly RawMessage[]): boolean {
    return this.force.size > 0 || messages.some((m) => m.offset >= this.nextOffset(m.topic, m.partition));
  }

  /** Processes one batch (per topic and partition in offset order; consumed offsets are skipped). */
  async process(messages: readonly RawMessage[]): Promise<TablesBatchResult | null> {
    return this.run(messages, false);
  }

  /** Closes every open window (a bounded run's end, `--until-idle`). */
  async flush(): Promise<TablesBatchResult | null> {
    if (!this.started.jobs.some((j) => j.jobKind === 'window')) return null;
    return this.run([], true);
  }

  private async run(messages: readonly RawMessage[], flush: boolean): Promise<TablesBatchResult | null> {
    const next = new Map<string, Map<number, number>>();
    const fresh: RawMessage[] = [];
    /** Per topic, the batch's first `_lsn`: a batch after every current row of a table holds no stale change. */
    const minLsn = new Map<string, bigint>();
    for (const m of messages) {
      const parts = next.get(m.topic) ?? new Map<number, number>();
      next.set(m.topic, parts);
      const at = parts.get(m.partition) ?? this.nextOffset(m.topic, m.partition);
      if (m.offset < at) continue; // consumed already, or twice in this batch
      parts.set(m.partition, m.offset + 1);
      fresh.push(m);
      const lsn = BigInt(m.offset) * BigInt(LSN_PARTITIONS) + BigInt(m.partition);
      const min = minLsn.get(m.topic);
      if (min === undefined || lsn < min) minLsn.set(m.topic, lsn);
    }
    if (fresh.length === 0 && this.force.size === 0 && !flush) return null;
    const b = this.nextBatch;
    const now = this.clock();
    const res: TablesBatchResult = {
      batchId: b,
      messages: fresh.length,
      rejected: 0,
      changes: new Map(),
      stale: 0,
      late: 0,
      nullKeys: new Map(),
    };
    const conn = this.conn;
    await stageMessages(conn, fresh);
    await conn.run('BEGIN TRANSACTION');
    try {
      const changed = new Set<string>();
      let maxTs = Number.NEGATIVE_INFINITY;
      const topics = new Set(fresh.map((m) => m.topic));
      for (const s of this.started.sources) {
        if (!topics.has(s.topic)) continue;
        const r = await this.ingestSource(s, b, now, minLsn.get(s.topic));
        res.rejected += r.rejected;
        res.stale += r.stale;
        if (r.changes > 0) {
          changed.add(s.name);
          res.changes.set(s.name, r.changes);
          maxTs = Math.max(maxTs, r.maxTs);
        }
      }
      const ts = Number.isFinite(maxTs) ? maxTs : now;
      for (const j of this.started.jobs) {
        let n: number;
        if (j.jobKind === 'table') {
          const run = await runTableJob(conn, j, this.opts.catalog.byName, changed, this.force.has(j.name), b, ts);
          n = run.changes;
          if (run.nullKeys > 0) res.nullKeys.set(j.name, run.nullKeys);
        } else {
          const src = this.opts.catalog.byName.get(j.source as string) as SourceDecl;
          const w = await runWindowJob(conn, j, this.opts.catalog.byName, {
            changed,
            batchId: b,
            partitionCount: this.partitionCounts.get(src.topic) ?? 1,
            idle: this.idle.get(src.topic) ?? new Set(),
            flush,
          });
          res.late += w.late;
          n = w.changes;
        }
        if (n > 0) {
          await applyDelta(
            conn,
            j,
            deltaName(j.name),
            b,
            this.withLog.has(j.name),
            j.jobKind === 'table' || this.readByJobs.has(j.name),
          );
          changed.add(j.name);
          res.changes.set(j.name, n);
        }
      }
      await conn.run(`INSERT INTO outbox VALUES (${b}, epoch_ms(${now}::BIGINT), false, false, false)`);
      await writeMeta(conn, 'next_batch_id', String(b + 1));
      for (const j of this.force) await conn.run('DELETE FROM meta WHERE key = $key', { key: `${RECOMPUTE_META}${j}` });
      await writeOffsets(conn, next);
      crashPoint('tables-mid-batch');
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => {});
      throw e;
    }
    this.nextBatch = b + 1;
    this.force.clear();
    for (const [t, parts] of next) {
      const m = this.offsetsMap.get(t) ?? new Map<number, number>();
      this.offsetsMap.set(t, m);
      for (const [p, o] of parts) m.set(p, o);
    }
    await this.checkpoints.afterCommit(conn, b);
    return res;
  }

  /** Decodes, checks and applies one source's messages of the batch. */
  private async ingestSource(
    s: SourceDecl,
    b: number,
    now: number,
    minLsn: bigint | undefined,
  ): Promise<{ rejected: number; changes: number; stale: number; maxTs: number }> {
    const conn = this.conn;
    const dec = `dec_${s.name}`;
    const conv = `conv_${s.name}`;
    if (s.format === 'debezium') await loadConversions(conn, s, conv);
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${q(dec)} AS ${decodeSql(s, s.format === 'debezium' ? { dbzConv: conv } : {})}`,
      { topic: s.topic },
    );
    const rej = await conn.run(
      `INSERT INTO ob_rejected
      SELECT ${b}, CAST(epoch_ms(${now}::BIGINT) AS DATE), $topic, _partition, _offset, epoch_ms(${now}::BIGINT), _reason, _k, _v
      FROM ${q(dec)} WHERE _kind = 'reject'`,
      { topic: s.topic },
    );
    const d = await sourceDelta(conn, s, dec, deltaName(s.name), minLsn);
    const maxTs = d.maxTs;
    if (d.changes > 0) await applyDelta(conn, s, deltaName(s.name), b, this.withLog.has(s.name), true);
    await expireStream(conn, s, now);
    return { rejected: Number(rej.rowsChanged), changes: d.changes, stale: d.stale, maxTs };
  }
}

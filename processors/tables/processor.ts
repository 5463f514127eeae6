/**
 * `startTablesProcessor(opts)`: the keyed-table engine in-process (used by `ticklake process` and `ticklake start`
 * beside the tick engine). One loop, so that the state database sees one writer:
 *
 *   take up to `batchMessages` raw messages of the started tables' topics (consumer thread, raw-source.ts; a group of
 *   tables starts once its topics have something to read, startup.ts, polled with the lag) → engine.process
 *   (one state transaction, engine.ts) → deliver the outbox (lake, Kafka, MySQL; change-delivery.ts) → commit the
 *   state's offsets to Kafka (for lag monitoring).
 *
 * MySQL down: the lake and Kafka keep being delivered; once more than `maxMysqlBacklog` batches wait for MySQL the loop
 * pauses consumption until it is back. `untilIdle`: when no group of tables is due any more and every partition of
 * every started source topic has been consumed, the open windows are closed (engine.flush), delivered, and the run
 * ends (with no table started, at the first check: nothing to take, no consumer).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { settingDefault } from '../../core/config.js';
import { logger } from '../../core/log.js';
import { ensureSchemaFile } from '../../lake/changelog.js';
import { foldTable } from '../../lake/changelog-fold.js';
import { crashPoint } from '../crash-points.js';
import { type RawBatch, rawMessageAt } from '../kafka/raw-batch.js';
import { RawSource } from '../kafka/raw-source.js';
import type { TopicSpec } from '../kafka/thread-source.js';
import { writerId } from '../partitions/commit-log.js';
import { claimSingleWriter, type LakeLease, stateInUse } from '../partitions/lake-guard.js';
import { runToEnd } from '../run-to-end.js';
import { ChangeDelivery, type DeliveredTable } from '../sinks/change-delivery.js';
import { LazyMysql } from '../sinks/lazy-mysql.js';
import { KeyedMysql } from '../sinks/mysql-keyed.js';
import { loadTableCatalog, type TableCatalog } from './catalog.js';
import { TablesEngine } from './engine.js';
import { deliveredTables } from './lake-tables.js';
import type { RawMessage } from './stage.js';
import { PendingTables, selectSources } from './startup.js';
import { openTablesState } from './state.js';

/** The lease name of the keyed-table engine on a lake (`<lake>/_leases/tables-engine.json`). */
const TABLES_LEASE = 'tables-engine';

export interface TablesProcessorOptions {
  brokers: string[];
  group?: string;
  lakeDir: string;
  stateDir: string;
  mysqlUrl?: string;
  /** The user's SQL directories (--sql-dir); ignored when `catalog` is given. */
  sqlDirs?: string[];
  /** Only these sources (and the jobs that read only them); default every declared one. */
  sources?: string[];
  catalog?: TableCatalog;
  untilIdle?: boolean;
  batchMessages?: number;
  lingerMs?: number;
  minBatchIntervalMs?: number;
  idleTimeoutMs?: number;
  maxMysqlBacklog?: number;
  /** How often the change logs are folded into their bases (ms; 0: never; default: --compact-every's). */
  foldEveryMs?: number;
  /** Change files a table must have waiting before it is folded (default: --min-files'). */
  foldMinFiles?: number;
  clock?: () => number;
  onProgress?: (s: TablesStats) => void;
}

export interface TablesStats {
  consumed: number;
  rejected: number;
  changes: number;
  late: number;
  stale: number;
  batches: number;
  lakeFiles: number;
  mysqlFailures: number;
  lag: number;
  startedAt: number;
  finishedAt: number | null;
}

export interface RunningTablesProcessor {
  catalog: TableCatalog;
  stats(): TablesStats;
  done: Promise<TablesStats>;
  close(): Promise<TablesStats>;
}

async function idle(ms: number): Promise<RawMessage[]> {
  if (ms > 0) await sleep(ms);
  return [];
}

function toMessages(batches: readonly RawBatch[]): RawMessage[] {
  const out: RawMessage[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.count; i++) {
      const { key, value } = rawMessageAt(b, i);
      const ts = b.timestamps[i];
      out.push({
        topic: b.topic,
        partition: b.partition,
        offset: b.offsets[i],
        timestamp: Number.isNaN(ts) ? null : ts,
        key,
        value,
      });
    }
  }
  return out;
}

/** Starts the engine over the declared sources; undefined when none is declared (or selected). */
/** The stats of a keyed-table processor that has not consumed anything yet. */
export function emptyTablesStats(startedAt: number): TablesStats {
  return {
    consumed: 0,
    rejected: 0,
    changes: 0,
    late: 0,
    stale: 0,
    batches: 0,
    lakeFiles: 0,
    mysqlFailures: 0,
    lag: 0,
    startedAt,
    finishedAt: null,
  };
}

export async function startTablesProcessor(opts: TablesProcessorOptions): Promise<RunningTablesProcessor | undefined> {
  const log = logger('tables');
  const clock = opts.clock ?? Date.now;
  const loaded = opts.catalog ?? (await loadTableCatalog(opts.sqlDirs ?? []));
  for (const e of loaded.errors) log.error({ file: e.file }, e.message);
  const catalog = selectSources(loaded, opts.sources, log);
  if (catalog.sources.length === 0) return undefined;
  const batchMessages = opts.batchMessages ?? settingDefault('maxBatch');
  const maxMysqlBacklog = opts.maxMysqlBacklog ?? 20;
  const state = await openTablesState(opts.stateDir).catch((e) => {
    throw stateInUse(e, opts.stateDir);
  });
  let engine: TablesEngine;
  let lease: LakeLease;
  try {
    // one keyed-table engine per lake: its change files are named by batch (lake-guard.ts, docs/scaling.md)
    lease = await claimSingleWriter({
      lakeDir: opts.lakeDir,
      topic: TABLES_LEASE,
      stateDir: opts.stateDir,
      writer: writerId(),
    });
    // lazy: each group of tables starts once its topics have something to read (startup.ts)
    engine = await TablesEngine.open({ state, catalog, clock, lakeDir: opts.lakeDir, lazy: true }).catch(async (e) => {
      await lease.release();
      throw e;
    });
  } catch (e) {
    state.conn.closeSync();
    state.instance.closeSync(); // a refused start holds no lock on the state
    throw e;
  }
  // every declared table's empty schema file, started or not, as before the lazy start: the lake shows each declared
  // table's columns from the first start (`views --print` for another engine, a session's views made before the
  // table's first change), and it costs a write per table once (ensureSchemaFile skips an existing one)
  for (const t of deliveredTables(catalog)) await ensureSchemaFile(state.conn, opts.lakeDir, t);
  /** The started tables, as delivery and folding see them. */
  const tables: DeliveredTable[] = [];
  const pending = new PendingTables(catalog);
  const mysql = opts.mysqlUrl ? new KeyedMysql(new LazyMysql(opts.mysqlUrl, false, log), log) : undefined;
  const source = new RawSource({
    brokers: opts.brokers,
    topics: [],
    group: opts.group ?? 'ticklake-tables',
    startOffsets: () => engine.offsets(),
    log,
    queueLimit: batchMessages * 2,
  });
  const dlqs = [...new Set(catalog.sources.map((s) => `${s.topic}.dlq`))];
  const jobTopics = catalog.jobs.flatMap((j) => (j.topic ? [j.topic] : []));
  // a keyed table's topic keeps the latest value of every key, forever, without growing forever (compaction);
  // a stream's is a log with retention; a job's topic is keyed like the job
  const specs: Record<string, TopicSpec> = {};
  for (const s of catalog.sources) {
    specs[s.topic] = {
      numPartitions: s.partitions,
      configs: { 'cleanup.policy': s.key.length > 0 ? 'compact' : 'delete' },
    };
  }
  for (const j of catalog.jobs) if (j.topic) specs[j.topic] = { configs: { 'cleanup.policy': 'compact' } };
  // every declared topic is created now, as its declaration says (partitions, compaction), started or not
  await source.connect([...pending.topics(), ...dlqs, ...jobTopics], specs);
  const deliveryConn = await state.instance.connect();
  const delivery = new ChangeDelivery({
    conn: deliveryConn,
    lakeDir: opts.lakeDir,
    tables: [],
    mysql,
    publisher: source,
    log,
    clock,
  });
  const stats = emptyTablesStats(clock());
  /** High watermarks of the topics of the tables not started yet (a topic that does not exist has none). */
  const pollPending = async (): Promise<Map<string, Map<number, number>>> => {
    const polled = new Map<string, Map<number, number>>();
    if (pending.size === 0) return polled;
    const existing = new Set(await source.admin.listTopics());
    for (const t of pending.topics()) if (existing.has(t)) polled.set(t, await source.highWatermarks(t));
    return polled;
  };
  /** Starts the groups of tables whose topics have something to read now (startup.ts); true when one started. */
  const startDue = async (polled: Map<string, Map<number, number>>): Promise<boolean> => {
    const names = pending.takeDue(polled, engine.offsets());
    if (names.size === 0) return false;
    const added = deliveredTables(await engine.start(names));
    delivery.addTables(added);
    tables.push(...added);
    log.info({ tables: [...names] }, 'tables started');
    return true;
  };
  /**
   * Starts what is due and has the consumer follow the started topics (no consumer while none is started). A topic
   * poll that fails (after kafkajs's retries) is retried at the next call when `tolerant` (the progress tick), else
   * it ends the run (--until-idle's check, as its lag query always did); a table that fails to start ends the run.
   */
  const follow = async (tolerant: boolean): Promise<void> => {
    let polled: Map<string, Map<number, number>>;
    try {
      polled = await pollPending();
    } catch (e) {
      if (!tolerant) throw e;
      log.debug({ err: (e as Error).message }, 'polling the topics of the tables not started');
      return;
    }
    if (await startDue(polled)) await source.follow(engine.topics());
  };
  const highs = new Map<string, Map<number, number>>();
  const updateLag = async (): Promise<boolean> => {
    let lag = 0;
    for (const topic of engine.topics()) {
      const h = await source.highWatermarks(topic);
      highs.set(topic, h);
      engine.setPartitionCount(topic, h.size);
      for (const [p, high] of h) lag += Math.max(0, high - engine.nextOffset(topic, p));
    }
    stats.lag = lag;
    return lag === 0;
  };
  await startDue(await pollPending());
  await updateLag();
  // a crash may have left committed batches undelivered: deliver them first
  await delivery.deliverAll(true);
  if (engine.topics().length > 0) await source.follow(engine.topics());

  let stopping = false;
  const idleTimeoutMs = opts.untilIdle ? 0 : (opts.idleTimeoutMs ?? settingDefault('idleTimeout'));
  const lastMessageAt = new Map<string, number>();
  const declareIdle = (msgs: readonly RawMessage[]) => {
    if (idleTimeoutMs <= 0) return;
    const now = clock();
    for (const m of msgs) lastMessageAt.set(`${m.topic}\0${m.partition}`, now);
    for (const [topic, h] of highs) {
      const idle = new Set<number>();
      for (const [p, high] of h) {
        const quiet = now - (lastMessageAt.get(`${topic}\0${p}`) ?? stats.startedAt) >= idleTimeoutMs;
        if (quiet && engine.nextOffset(topic, p) >= high) idle.add(p);
      }
      engine.setIdlePartitions(topic, idle);
    }
  };

  const deliver = async () => {
    await delivery.deliverLake();
    await delivery.deliverKafka();
    await delivery.deliverMysql();
    await delivery.cleanup();
    stats.lakeFiles = delivery.counts.lakeFiles;
    stats.mysqlFailures = delivery.counts.mysqlFailures;
    source.commit(engine.offsets()).catch((e) => log.debug({ err: (e as Error).message }, 'offset commit'));
  };

  // folding: in the background, on its own connection, only change files already delivered to the lake (a batch
  // not yet marked may be written again, and must not be folded under the writer)
  const foldEveryMs = opts.foldEveryMs ?? settingDefault('compactEvery');
  const foldConn = foldEveryMs > 0 ? await state.instance.connect() : undefined;
  let folding: Promise<void> = Promise.resolve();
  let lastFold = clock();
  const fold = () => {
    if (!foldConn || clock() - lastFold < foldEveryMs) return;
    lastFold = clock();
    folding = folding
      .then(async () => {
        const r = await foldConn.runAndReadAll('SELECT min(batch_id) FROM outbox WHERE NOT lake_done');
        const firstUndelivered = r.getRowsJS()[0][0];
        const upToBatch = firstUndelivered === null ? engine.lastBatchId : Number(firstUndelivered) - 1;
        for (const t of tables) {
          if (stopping) return;
          const f = await foldTable(foldConn, {
            lakeDir: opts.lakeDir,
            table: t,
            upToBatch,
            minFiles: opts.foldMinFiles ?? settingDefault('compactMinFiles'),
          });
          if (f.folded > 0) log.debug({ table: t.name, files: f.folded, rows: f.rows }, 'folded the change log');
        }
      })
      .catch((e) => log.warn({ err: (e as Error).message }, 'fold failed; retried at the next round'));
  };

  let lastBatchAt = 0;
  let lastProgress = clock();
  let lastIdleCheck = 0;
  const loop = async () => {
    while (!stopping) {
      const linger = opts.minBatchIntervalMs ?? settingDefault('batchInterval');
      while (linger > 0 && !stopping && source.queued < batchMessages && clock() < lastBatchAt + linger) {
        await sleep(Math.max(0, Math.min(100, lastBatchAt + linger - clock())));
      }
      // no table started: nothing to take; --until-idle checks at once, a long run waits a linger between polls
      const msgs = source.started
        ? toMessages(await source.take(batchMessages, opts.lingerMs ?? 200))
        : await idle(opts.untilIdle && lastIdleCheck === 0 ? 0 : Math.min(opts.lingerMs ?? 200, 100));
      if (msgs.length > 0) lastBatchAt = clock();
      declareIdle(msgs);
      const r = msgs.length > 0 || engine.hasWork(msgs) ? await engine.process(msgs) : null;
      if (r) {
        crashPoint('tables-after-commit');
        source.noteOffsets(engine.offsets());
        stats.batches++;
        stats.consumed += r.messages;
        stats.rejected += r.rejected;
        stats.stale += r.stale;
        stats.late += r.late;
        for (const n of r.changes.values()) stats.changes += n;
        for (const [job, n] of r.nullKeys) {
          log.warn({ job, rows: n }, 'rows of a job left out: a key column is null (they appear once it is not)');
        }
        await deliver();
      } else if (delivery.mysqlDown) await deliver();
      if ((await delivery.mysqlBacklog()) > maxMysqlBacklog) {
        source.pause();
        log.warn('MySQL behind: consumption paused');
        while (!stopping && !(await delivery.deliverMysql())) await sleep(200);
        await delivery.cleanup();
        source.resume();
      }
      const now = clock();
      if (opts.untilIdle && msgs.length === 0 && source.queued === 0 && now - lastIdleCheck > 100) {
        lastIdleCheck = now;
        await follow(false);
        if (await updateLag()) {
          const f = await engine.flush();
          if (f) {
            for (const n of f.changes.values()) stats.changes += n;
            stats.batches++;
          }
          await delivery.drain(() => stopping);
          return;
        }
      }
      fold();
      if (now - lastProgress >= 1000) {
        lastProgress = now;
        await follow(true);
        await updateLag().catch(() => false);
        opts.onProgress?.({ ...stats });
      }
    }
    await delivery.deliverAll(true).catch((e) => log.warn({ err: (e as Error).message }, 'delivery at stop'));
  };

  const finish = async (): Promise<TablesStats> => {
    await folding;
    foldConn?.closeSync();
    await source.commit(engine.offsets()).catch(() => {});
    await source.stop();
    await mysql?.close().catch(() => {});
    deliveryConn.closeSync();
    await state.conn.run('CHECKPOINT').catch(() => {});
    state.conn.closeSync();
    state.instance.closeSync(); // releases the file lock: another process may open the state now
    await lease.release().catch(() => {});
    stats.finishedAt = clock();
    log.info({ ...stats }, 'tables processor stopped');
    return { ...stats };
  };
  const run = runToEnd({
    loop,
    finish,
    stop: () => {
      stopping = true;
    },
    stats: () => ({ ...stats }),
  });
  return { catalog, ...run };
}

/**
 * `startScaledProcessor(opts)`: the tick engine as one of several instances in a consumer group (`--scale-out`,
 * docs/scaling.md). Kafka's group (with the sticky assigner) decides which partitions this instance *should* hold;
 * the partition commit log in the lake decides which writes *count* (commit-log.ts). Per assigned partition a
 * PartitionEngine (partition-engine.ts) holds a core scoped to it, over a local cache of its state rebuilt from the
 * log when the partition arrives. The loop:
 *
 *   take the queued messages → per partition, one batch: staged outputs, commit entry, COMMIT, publish, Kafka and
 *   MySQL (partition-engine.ts) → note the offsets for the consumer's next rejoin.
 *
 * A batch refused by the log (`TL_LAKE_PARTITION_FENCED`: another instance committed the partition meanwhile, e.g.
 * this one was paused past its session timeout) is rolled back; the partition's engine is closed and, if Kafka still
 * assigns the partition here, acquired again from the log (the consumer is sent back to the log's next offset).
 * Valuations are not computed here: they need every partition (the valuation stage, `--publish-closes`).
 *
 * MySQL down: Kafka and the lake go on (each batch's rows wait in its partition's outbox and entry); once a partition
 * held here has more than `maxMysqlBacklog` batches waiting, consumption pauses until MySQL has them all, as the
 * single-instance processor does: the outboxes, and the commit log entries kept for a new owner (`owedFrom`), stay
 * bounded however long MySQL is down.
 *
 * `untilIdle`: an assigned partition consumed up to its high watermark is flushed once (its entry says so); the run
 * ends when the latest entry of every partition of the topic is flushed and at its high watermark, whoever wrote it,
 * and MySQL has the rows of the partitions held here (waiting for it while it is down).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { settingDefault } from '../../core/config.js';
import { isTicklakeError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { KafkaSource } from '../kafka/kafka-source.js';
import { PartitionLog, writerId } from '../partitions/commit-log.js';
import { joinCoordinated, stateInUse } from '../partitions/lake-guard.js';
import type { PartitionEntryState } from '../partitions/partition-state.js';
import { runToEnd } from '../run-to-end.js';
import { LazyMysql } from '../sinks/lazy-mysql.js';
import { parseWindows } from '../time/windows.js';
import { CLOSES_TOPIC } from '../valuations/closes.js';
import { Closers } from './closers.js';
import type { BatchResult } from './core.js';
import { PartitionEngine } from './partition-engine.js';
import { MAX_MYSQL_BACKLOG, type ProcessorOptions, REOPEN_MAX_BUFFERED, type RunningProcessor } from './processor.js';
import { countBatch, emptyProcessorStats, type ProcessorStats, startBatchTimer } from './processor-stats.js';
import { openState } from './state.js';
import { countOf, type TickBatch } from './tick-batch.js';
import { TickGuard } from './tick-guard.js';

const OUTPUT_TOPICS = { anomalies: 'anomalies', valuations: 'valuations', dlq: 'ticks.dlq' };

export async function startScaledProcessor(opts: ProcessorOptions): Promise<RunningProcessor> {
  const log = logger('processor');
  const clock = opts.clock ?? Date.now;
  const topic = opts.topic ?? settingDefault('topic');
  const windows = parseWindows(opts.windows ?? settingDefault('windows'));
  new TickGuard(windows, opts.bounds);
  const batchMessages = opts.batchMessages ?? settingDefault('maxBatch');
  const lingerMs = opts.lingerMs ?? 200;
  const maxMysqlBacklog = opts.maxMysqlBacklog ?? MAX_MYSQL_BACKLOG;
  const reopenEvery = opts.stateReopenBatches ?? settingDefault('stateReopenEvery');
  const reopenMaxBuffered = opts.stateReopenMaxBuffered ?? REOPEN_MAX_BUFFERED;
  const { loadPortfolioSeeds } = await import('../../contracts/portfolio-seeds.js');
  const seeds = await loadPortfolioSeeds(opts.seedsDir);
  const writer = writerId();
  const closers = new Closers(log);
  const engines = new Map<number, PartitionEngine>();
  let source: KafkaSource;
  let mysql: LazyMysql | undefined;
  let highs: Map<number, number>;
  const topics = opts.publishCloses ? { ...OUTPUT_TOPICS, closes: CLOSES_TOPIC } : OUTPUT_TOPICS;
  try {
    // the state directory's lock (one instance per --state-dir); the partitions' caches live beside it
    const lock = await openState(opts.stateDir, '64MB').catch((e) => {
      throw stateInUse(e, opts.stateDir);
    });
    closers.add('state', async () => lock.conn.closeSync());
    await joinCoordinated({ lakeDir: opts.lakeDir, topic });
    if (opts.mysqlUrl) {
      const my = new LazyMysql(opts.mysqlUrl, seeds, log, opts.mysqlTimeoutMs);
      mysql = my;
      closers.add('mysql', () => my.close());
      await my.warmUp();
    }
    const src = new KafkaSource({
      brokers: opts.brokers,
      topic,
      group: opts.group ?? settingDefault('group'),
      startOffsets: () => offsets(),
      log,
      queueLimit: batchMessages * 2,
      sessionTimeoutMs: opts.sessionTimeoutMs,
    });
    source = src;
    closers.add('kafka', () => src.stop());
    await source.connect(Object.values(topics), { [CLOSES_TOPIC]: { numPartitions: 1 } });
    highs = await source.partitionHighs();
    closers.add('partitions', async () => {
      for (const e of engines.values()) await e.close().catch(() => {});
      engines.clear();
    });
    await source.start();
  } catch (e) {
    await closers.closeAll();
    throw e;
  }
  const src = source;

  function offsets(): Map<number, number> {
    return new Map([...engines].map(([p, e]) => [p, e.nextOffset()]));
  }

  const acquire = async (p: number): Promise<PartitionEngine> => {
    const engine = await PartitionEngine.acquire({
      lakeDir: opts.lakeDir,
      stateDir: opts.stateDir,
      topic,
      partition: p,
      partitionCount: highs.size,
      writer,
      windows,
      latenessMs: opts.latenessMs ?? settingDefault('lateness'),
      portfolios: seeds.portfolios,
      holdings: seeds.holdings,
      thresholds: opts.thresholds,
      bounds: opts.bounds,
      publishCloses: opts.publishCloses,
      clock,
      delivery: { mysql, publisher: src, topics, clock },
      log,
    });
    engines.set(p, engine);
    // fetch from the log's next offset: the consumer may be ahead of it (another instance's entry is shorter)
    src.seek(topic, p, engine.nextOffset(), (b) => b.partitions[0]);
    return engine;
  };
  const drop = async (p: number): Promise<void> => {
    const e = engines.get(p);
    engines.delete(p);
    await e?.close().catch((err) => log.warn({ partition: p, err: (err as Error).message }, 'closing a partition'));
  };
  const assigned = (): Set<number> => new Set(src.assignment.get(topic) ?? []);
  let seenChanges = -1;
  /** Engines for exactly the assigned partitions (acquired from the log as they arrive). */
  const syncAssignment = async (): Promise<void> => {
    if (src.assignmentChanges === seenChanges) return;
    seenChanges = src.assignmentChanges;
    const now = assigned();
    for (const p of [...engines.keys()]) if (!now.has(p)) await drop(p);
    for (const p of [...now].sort((a, b) => a - b)) if (!engines.has(p)) await acquire(p);
    log.info({ partitions: [...now].sort((a, b) => a - b) }, 'holding partitions');
  };

  const stats = emptyProcessorStats(clock());
  const count = (r: BatchResult | null) => {
    if (r) countBatch(stats, r);
  };

  /** Runs `f` on partition p's engine; a fenced batch drops the partition (acquired again if still assigned). */
  const guarded = async (p: number, f: (e: PartitionEngine) => Promise<BatchResult | null>): Promise<void> => {
    const e = engines.get(p);
    if (!e) return;
    try {
      count(await f(e));
    } catch (err) {
      if (!isTicklakeError(err) || err.code !== 'TL_LAKE_PARTITION_FENCED') throw err;
      log.warn({ partition: p, err: err.message }, 'fenced: another instance committed this partition; reloading it');
      await drop(p);
      if (assigned().has(p)) await acquire(p);
    }
  };

  const processTaken = async (msgs: TickBatch[]): Promise<void> => {
    const byPartition = new Map<number, TickBatch[]>();
    for (const b of msgs) {
      if (b.count === 0) continue;
      const p = b.partitions[0];
      const list = byPartition.get(p);
      if (list) list.push(b);
      else byPartition.set(p, [b]);
    }
    for (const [p, list] of byPartition) {
      const e = engines.get(p);
      if (!e) continue; // not (or no longer) this instance's
      // a gap after the engine's next offset: batches fetched before a seek; wait for the re-fetch
      const next = e.nextOffset();
      const fresh = list.filter((b) => b.offsets[b.count - 1] >= next);
      if (fresh.length === 0) continue;
      if (fresh[0].offsets[0] > next) {
        src.seek(topic, p, next, (b) => b.partitions[0]);
        continue;
      }
      await guarded(p, (eng) => eng.process(fresh, startBatchTimer(opts.onBatch)));
      await reopenIfDue(p);
    }
    src.notePartitionOffsets(offsets());
  };

  /** Each partition's cache is a DuckDB instance of its own, reopened every `stateReopenBatches` of its batches. */
  const reopenIfDue = async (p: number): Promise<void> => {
    const e = engines.get(p);
    const t0 = clock();
    if (!e || !(await e.reopenIfDue(reopenEvery, reopenMaxBuffered))) return;
    stats.stateReopens = (stats.stateReopens ?? 0) + 1;
    log.info({ partition: p, ms: clock() - t0 }, 'partition state database reopened');
  };

  /** `untilIdle`: flushes the caught-up partitions held here; true once every partition's log says it is done. */
  const finished = async (): Promise<boolean> => {
    highs = await src.partitionHighs();
    for (const [p, e] of [...engines]) {
      if (!e.flushed && e.nextOffset() >= (highs.get(p) ?? 0)) await guarded(p, (eng) => eng.flush());
    }
    for (const [p, high] of highs) {
      const latest = await new PartitionLog<PartitionEntryState>(opts.lakeDir, topic, p, writer).latest();
      if (!latest?.state.flushed || latest.state.nextOffset < high) return false;
    }
    return true;
  };

  /** A partition held here whose MySQL backlog passed `maxMysqlBacklog` (asked only while MySQL is failing). */
  const mysqlBehind = async (): Promise<boolean> => {
    for (const e of engines.values()) if (e.mysqlDown && (await e.mysqlBacklog()) > maxMysqlBacklog) return true;
    return false;
  };
  /** Consumption paused until MySQL has every batch of the partitions held here (the lake has them already). */
  const waitForMysql = async (): Promise<void> => {
    src.pause();
    stats.mysqlDown = true;
    log.warn({ maxMysqlBacklog }, 'MySQL behind: consumption paused');
    while (!stopping) {
      let done = true;
      for (const e of engines.values()) if (!(await e.deliverMysql())) done = false;
      if (done) break;
      progress();
      await sleep(200); // each engine's delivery retries after its own backoff; this only paces the asking
    }
    stats.mysqlDown = false;
    src.resume();
    log.info('consumption resumed');
  };

  let stopping = false;
  let lastCheck = 0;
  let lastProgress = clock();
  const progress = (): void => {
    const now = clock();
    if (now - lastProgress < 1000) return;
    lastProgress = now;
    refresh();
    opts.onProgress?.({ ...stats });
    src.commitPartitions(offsets()).catch(() => {});
  };
  const loop = async (): Promise<void> => {
    while (!stopping) {
      const msgs = await src.take(batchMessages, lingerMs);
      await syncAssignment();
      if (countOf(msgs) > 0) {
        stats.firstBatchAt ??= clock();
        await processTaken(msgs);
        if (await mysqlBehind()) await waitForMysql();
      }
      const now = clock();
      if (opts.untilIdle && src.queued === 0 && now - lastCheck > 200) {
        lastCheck = now;
        if (await finished()) {
          stats.caughtUpAt = clock();
          // like the single-instance processor: the run ends once MySQL has what this instance holds
          for (const e of engines.values()) await e.drain(() => stopping);
          return;
        }
      }
      progress();
    }
  };
  const refresh = () => {
    const wms = [...engines.values()].map((e) => e.watermark()).filter((w): w is number => w !== undefined);
    stats.watermark = wms.length ? Math.min(...wms) : null;
    stats.partitions = [...engines].map(([p, e]) => ({
      partition: p,
      lag: Math.max(0, (highs.get(p) ?? 0) - e.nextOffset()),
      watermark: e.watermark() ?? null,
    }));
    stats.lag = stats.partitions.reduce((a, x) => a + x.lag, 0);
  };

  const finish = async (): Promise<ProcessorStats> => {
    refresh();
    await src.commitPartitions(offsets()).catch(() => {});
    await closers.closeAll();
    stats.finishedAt = clock();
    log.info({ ...stats }, 'processor stopped');
    return { ...stats };
  };
  return runToEnd({
    loop,
    finish,
    stop: () => {
      stopping = true;
    },
    stats: () => ({ ...stats }),
  });
}

/**
 * `startProcessor(opts)`: the whole windowing processor in-process (used by `ticklake process` and by the
 * one-command mode). One loop, so that the state database sees one writer:
 *
 *   take up to `batchMessages` queued messages (fetched and parsed into columns by the consumer thread,
 *   kafka-source.ts, tick-batch.ts) → core.submitParsed (one state transaction, run while the loop takes and submits
 *   the next batch) → deliver the outbox (lake, Kafka topics, MySQL), one batch behind → commit the state's offsets
 *   to Kafka; every `stateReopenBatches` batches, between two of them, reopen the state database (state-reopen.ts).
 *
 * What the loop runs on is opened by processor-open.ts; the stats it keeps are processor-stats.ts's.
 *
 * MySQL down: the lake and Kafka keep being delivered; once more than `maxMysqlBacklog` batches wait for MySQL the
 * loop pauses consumption and retries MySQL with backoff until it is back. `untilIdle`: when every partition has
 * been consumed up to its high watermark, every open window is closed (core.flush), delivered, and the run ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { settingDefault } from '../../core/config.js';
import { logger } from '../../core/log.js';
import { crashPoint } from '../crash-points.js';
import { runToEnd } from '../run-to-end.js';
import { MysqlLane } from '../sinks/mysql-lane.js';
import { parseWindows } from '../time/windows.js';
import type { BatchResult, ProcessorCore, Thresholds } from './core.js';
import { openProcessor } from './processor-open.js';
import {
  countBatch,
  emptyProcessorStats,
  FreshnessSample,
  type ProcessorStats,
  startBatchTimer,
} from './processor-stats.js';
import { reopenWithDelivery } from './state-reopen.js';
import { countOf, partitionsOf, type TickBatch } from './tick-batch.js';
import { type TickBounds, TickGuard } from './tick-guard.js';

/** Batches waiting for MySQL past which consumption pauses until it has them (the default of `maxMysqlBacklog`). */
export const MAX_MYSQL_BACKLOG = 20;

export type { ProcessorStats } from './processor-stats.js';

export interface ProcessorOptions {
  brokers: string[];
  topic?: string;
  group?: string;
  lakeDir: string;
  stateDir: string;
  mysqlUrl?: string;
  windows?: string | string[];
  latenessMs?: number;
  /**
   * A partition with nothing left to read and no message for this long (ms, processing time) stops holding
   * valuations back until its next message (default: --idle-timeout's; 0: never; ignored with `untilIdle`). See
   * ProcessorCore.setIdlePartitions.
   */
  idleTimeoutMs?: number;
  untilIdle?: boolean;
  /**
   * Publish the closes of every bar and the partition watermarks to the `closes` topic, for a separate valuation
   * stage (`ticklake process --stage valuations`, docs/scaling.md). Default false.
   */
  publishCloses?: boolean;
  /**
   * One of several instances in the consumer group on one lake (docs/scaling.md): partition-scoped, fenced by the
   * partition commit log; no in-process valuations (run the valuation stage, with `publishCloses`). Default false.
   */
  scaleOut?: boolean;
  /** The consumer group's session timeout (ms, default --session-timeout's): failover after a crash (docs/scaling.md). */
  sessionTimeoutMs?: number;
  seedsDir?: string;
  thresholds?: Partial<Thresholds>;
  /** Price, size and event-time bounds of a counted tick (tick-guard.ts). */
  bounds?: Partial<TickBounds>;
  /** Largest processing batch (messages). */
  batchMessages?: number;
  /** Longest wait for a batch to fill before processing what is there (ms, default 200). */
  lingerMs?: number;
  /** Least time between two batches, ms (default: --batch-interval's): a live stream then makes fewer, larger lake files. */
  minBatchIntervalMs?: number;
  maxMysqlBacklog?: number;
  /** Longest one MySQL call may take before it counts as an outage (ms, default: `--mysql-timeout`'s). */
  mysqlTimeoutMs?: number;
  /**
   * Batches between reopenings of the state database's DuckDB instance, which give back the memory DuckDB keeps per
   * instance (state-reopen.ts; default: --state-reopen-every's; 0: never).
   */
  stateReopenBatches?: number;
  /** A due reopening waits until the open windows hold at most this many ticks (default REOPEN_MAX_BUFFERED). */
  stateReopenMaxBuffered?: number;
  clock?: () => number;
  /** Called about once a second with the current stats (progress display). */
  onProgress?: (s: ProcessorStats) => void;
  /** Called when a batch committed: its processing time (submit → state committed) and size (/metrics). */
  onBatch?: (b: { seconds: number; messages: number }) => void;
}

export interface RunningProcessor {
  stats(): ProcessorStats;
  /** Resolves when the run ends (until-idle drained, or close()); rejects on a fatal error. */
  done: Promise<ProcessorStats>;
  /** Graceful stop: finishes the current batch, delivers the outbox, commits. */
  close(): Promise<ProcessorStats>;
}

/**
 * Most ticks the open windows may hold for a due reopening of the state to go ahead (state-reopen.ts): they are
 * copied into the file and back, ~57 bytes a tick in memory on the way (bench:core-memory: +150 MiB of RSS at
 * 1.6M ticks), so 100,000 bounds that at ~6 MiB.
 */
export const REOPEN_MAX_BUFFERED = 100_000;

export async function startProcessor(opts: ProcessorOptions): Promise<RunningProcessor> {
  if (opts.scaleOut) return (await import('./scaled-processor.js')).startScaledProcessor(opts);
  const log = logger('processor');
  const clock = opts.clock ?? Date.now;
  const topic = opts.topic ?? settingDefault('topic');
  const windows = parseWindows(opts.windows ?? settingDefault('windows'));
  new TickGuard(windows, opts.bounds); // a bad bound is a configuration error: before anything is opened
  const batchMessages = opts.batchMessages ?? settingDefault('maxBatch');
  const maxMysqlBacklog = opts.maxMysqlBacklog ?? MAX_MYSQL_BACKLOG;
  const lingerMs = opts.lingerMs ?? 200;
  const { loadPortfolioSeeds } = await import('../../contracts/portfolio-seeds.js');
  const seeds = await loadPortfolioSeeds(opts.seedsDir);

  const o = await openProcessor(opts, { log, clock, topic, windows, batchMessages, seeds });
  const { closers, state, mysql, core, source, delivery } = o;
  let highs = o.highs;
  if (!source.fastFetch) {
    log.info({}, 'kafkajs is not the version kafkajs-fast-fetch.ts was written for: its stock record decoding is used');
  }

  const stats = emptyProcessorStats(clock());
  const freshness = new FreshnessSample();
  const refreshStats = () => {
    const wm = core.watermarks();
    stats.watermark = wm.size ? Math.min(...wm.values()) : null;
    for (const p of stats.partitions ?? []) p.watermark = wm.get(p.partition) ?? null;
    stats.mysqlDown = delivery.mysqlDown;
    stats.deadLetters = delivery.counts.deadLetters;
    stats.lakeFiles = delivery.counts.lakeFiles;
    stats.mysqlFailures = delivery.counts.mysqlFailures;
    stats.mysqlRefused = delivery.counts.mysqlRefused;
    freshness.fill(stats);
  };

  let stopping = false;
  let lastProgress = clock();
  let lastIdleCheck = 0;

  const updateLag = async (): Promise<boolean> => {
    const h = await source.partitionHighs();
    highs = h;
    core.setPartitionCount(h.size);
    let lag = 0;
    const wm = core.watermarks();
    const partitions: NonNullable<ProcessorStats['partitions']> = [];
    for (const [p, high] of h) {
      const l = Math.max(0, high - core.nextOffset(p));
      lag += l;
      partitions.push({ partition: p, lag: l, watermark: wm.get(p) ?? null });
    }
    stats.lag = lag;
    stats.partitions = partitions.sort((a, b) => a.partition - b.partition);
    return lag === 0;
  };

  let lastBatchAt = 0;
  const takeBatch = async (): Promise<TickBatch[]> => {
    const linger = opts.minBatchIntervalMs ?? settingDefault('batchInterval');
    while (linger > 0 && !stopping && source.queued < batchMessages) {
      const left = lastBatchAt + linger - clock();
      if (left <= 0) break;
      await sleep(Math.min(left, 100));
    }
    const msgs = await source.take(batchMessages, lingerMs);
    if (countOf(msgs) > 0) {
      lastBatchAt = clock();
      stats.firstBatchAt ??= lastBatchAt;
    }
    return msgs;
  };

  /**
   * Delivery of the last committed batch, running on its own connection while the loop processes the next one (at
   * most one batch in flight: the loop awaits it before starting another). Safe against the batch transaction: it
   * reads only committed outbox rows and changes only those (DuckDB's MVCC keeps the two apart); a crash at any
   * point leaves the outbox flags to say what is still to deliver, as before.
   */
  let delivering: Promise<void> = Promise.resolve();
  let mysqlBehind = false;
  // MySQL in the background, so that a slow or frozen server never holds up the lake and Kafka (mysql-lane.ts); its
  // backlog still pauses consumption past `maxMysqlBacklog`
  const lane = mysql ? new MysqlLane(delivery) : undefined;
  const checkMysql = (): void => lane?.check();
  const deliverBatch = async (msgs: TickBatch[]): Promise<void> => {
    await delivery.deliverLake();
    freshness.record(msgs, clock());
    await delivery.deliverKafka();
    if (lane) lane.kick();
    else await delivery.deliverMysql(); // no sink: marks the batches delivered
    await delivery.cleanup();
    mysqlBehind = (await delivery.mysqlBacklog()) > maxMysqlBacklog;
    stats.outboxDepth = await delivery.outboxDepth();
    // not awaited: Kafka's copy is for lag monitoring only, and the consumer thread may be busy decoding a fetch
    source.commitPartitions(core.offsets()).catch((e) => log.debug({ err: (e as Error).message }, 'offset commit'));
  };

  const loop = async (): Promise<void> => {
    try {
      await consume(core);
    } catch (e) {
      await delivering.catch(() => {}); // never leave a delivery running behind a failed loop
      await lane?.settled();
      throw e;
    }
    await delivering;
    await lane?.settled();
    checkMysql();
    // graceful stop: the current batch is done; deliver what is committed
    await delivery.deliverAll(true);
    await source.commitPartitions(core.offsets()).catch(() => {});
  };

  // idle partitions (--idle-timeout): last message time per partition, the processor's start counting as one
  // not in a bounded run: its end closes every window and values every end, so its results never depend on timing
  const idleTimeoutMs = opts.untilIdle ? 0 : (opts.idleTimeoutMs ?? settingDefault('idleTimeout'));
  const lastMessageAt = new Map<number, number>();
  /** Declares the idle partitions to the core; true when one became idle. */
  const declareIdle = (c: ProcessorCore, msgs: TickBatch[]): boolean => {
    if (idleTimeoutMs <= 0) return false;
    const now = clock();
    for (const p of partitionsOf(msgs)) lastMessageAt.set(p, now);
    const idle = new Set<number>();
    for (const [p, high] of highs) {
      const quiet = now - (lastMessageAt.get(p) ?? stats.startedAt) >= idleTimeoutMs;
      if (quiet && c.nextOffset(p) >= high) idle.add(p);
    }
    return c.setIdlePartitions(idle);
  };
  /** A batch committed: count it and start its delivery once the previous one's ended. */
  const committed = async (r: BatchResult, msgs: TickBatch[]): Promise<void> => {
    countBatch(stats, r);
    sinceReopen++;
    await delivering; // a delivery failure that is not an outage (those are retried) ends the loop here
    checkMysql();
    delivering = deliverBatch(msgs);
    delivering.catch(() => {}); // observed by the next await; not an unhandled rejection meanwhile
  };

  /**
   * The batch submitted last, not yet settled: the loop takes and submits the next batch while its transaction runs
   * (ProcessorCore.submitParsed: the next batch's columns and tick files overlap it), then settles it.
   */
  let pending: { result: Promise<BatchResult | null>; msgs: TickBatch[] } | null = null;
  const settle = async (): Promise<void> => {
    if (!pending) return;
    const { result, msgs } = pending;
    pending = null;
    const r = await result;
    if (!r) return;
    crashPoint('after-commit');
    source.notePartitionOffsets(core.offsets());
    await committed(r, msgs);
  };

  /**
   * Every `stateReopenBatches` committed batches, between two batches: the state's DuckDB instance is closed and
   * opened again (state-reopen.ts), once the batch in flight committed and its delivery, MySQL's lane included,
   * ended (they use the delivery connection, closed and opened again around it). Put off while MySQL is down (its
   * lane keeps retrying then) and while the open windows hold more than `stateReopenMaxBuffered` ticks: they go
   * through the file and back, which costs memory and time in proportion (a 1d window's day of ticks would be
   * millions), so with such a window the reopening waits for the day's close. ~0.1–0.2 s each at 2,000 ticks/s and
   * windows of 10s and 1m (bench/HISTORY.md, "Twenty-fourth stop").
   */
  const reopenEvery = opts.stateReopenBatches ?? settingDefault('stateReopenEvery');
  const reopenMaxBuffered = opts.stateReopenMaxBuffered ?? REOPEN_MAX_BUFFERED;
  let sinceReopen = 0;
  const reopenIfDue = async (c: ProcessorCore): Promise<void> => {
    if (reopenEvery <= 0 || sinceReopen < reopenEvery || delivery.mysqlDown) return;
    // the committed count first, so that a reopen put off for it does not settle the batch in flight every time;
    // again once that batch committed, which may have added to it
    if (c.bufferedTicks() > reopenMaxBuffered) return;
    await settle();
    await delivering;
    await lane?.settled();
    if (delivery.mysqlDown || c.bufferedTicks() > reopenMaxBuffered) return;
    const t0 = clock();
    o.deliveryConn = await reopenWithDelivery(c, state, delivery, o.deliveryConn);
    sinceReopen = 0;
    stats.stateReopens = (stats.stateReopens ?? 0) + 1;
    log.info({ ms: clock() - t0, batches: stats.batches }, 'state database reopened');
  };

  const consume = async (c: ProcessorCore): Promise<void> => {
    try {
      await consumeLoop(c);
    } finally {
      // graceful stop or failure: the batch in flight finishes (or fails) before anything else happens
      await settle();
    }
  };

  const consumeLoop = async (c: ProcessorCore): Promise<void> => {
    while (!stopping) {
      await reopenIfDue(c);
      const msgs = await takeBatch();
      const taken = countOf(msgs);
      const newlyIdle = declareIdle(c, msgs);
      if (taken > 0) {
        // timed when its transaction commits, not when the loop settles it: that waits for the next batch to be
        // taken, so up to --batch-interval later
        const committed = startBatchTimer(opts.onBatch);
        const result = c.submitParsed(msgs).then((r) => {
          committed(r);
          return r;
        });
        result.catch(() => {}); // observed by settle
        await settle();
        pending = { result, msgs };
      } else {
        await settle();
        const r = newlyIdle ? await c.revalue() : null;
        if (r) await committed(r, msgs);
        else {
          await delivering;
          checkMysql();
          if (delivery.mysqlDown) lane?.kick();
        }
      }
      // MySQL far behind: stop consuming until it is back (the lake has everything so far)
      if (mysqlBehind) {
        await settle();
        await delivering;
        mysqlBehind = false;
        source.pause();
        log.warn({ backlog: await delivery.mysqlBacklog() }, 'MySQL behind: consumption paused');
        while (!stopping && !(await delivery.deliverMysql())) await sleep(200);
        await delivery.cleanup();
        source.resume();
        log.info('consumption resumed');
      }
      const now = clock();
      if (opts.untilIdle && taken === 0 && source.queued === 0 && now - lastIdleCheck > 100) {
        lastIdleCheck = now;
        if (await updateLag()) {
          await delivering;
          stats.caughtUpAt = clock();
          const r = await c.flush();
          stats.bars += r.bars;
          stats.valuations += r.valuations;
          stats.anomalies += r.anomalies;
          await delivery.drain(() => stopping);
          return;
        }
      }
      if (now - lastProgress >= 1000) {
        lastProgress = now;
        await updateLag().catch(() => false);
        refreshStats();
        opts.onProgress?.({ ...stats });
      }
    }
  };

  const finish = async (): Promise<ProcessorStats> => {
    refreshStatsSafe();
    await closers.closeAll();
    stats.finishedAt = clock();
    log.info({ ...stats }, 'processor stopped');
    return { ...stats };
  };
  const refreshStatsSafe = () => {
    try {
      refreshStats();
    } catch {
      /* state closed */
    }
  };
  return runToEnd({
    loop,
    finish,
    stop: () => {
      stopping = true;
    },
    stats: () => {
      refreshStatsSafe();
      return { ...stats };
    },
  });
}

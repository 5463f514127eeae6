/**
 * The valuation stage as its own process (`ticklake process --stage valuations`, docs/scaling.md): it consumes the
 * `closes` topic (closes.ts) that the bar stage publishes, and values every portfolio at each window end that the
 * minimum watermark over the source topic's partitions has passed — the same `valuation` stream SQL and the same
 * bookkeeping (processors/ticks/valuation-stage.ts) as the tick engine's in-process valuations, so the results are
 * the same rows.
 *
 * Exactly once as the tick engine is: one DuckDB state file (its own `--state-dir`) holds the closes not yet
 * valued, the marks, the last valuations and the consumed offsets of the closes topic, changed together in one
 * transaction per batch, with the valuations in the outbox; delivery (lake `valuations`, files `v<batch>.parquet`;
 * MySQL; the `valuations` topic) follows from the outbox, idempotently. A close published twice (the bar stage
 * re-delivers after a crash) is taken once: a close already held, or at or before its window's last valued end, is
 * dropped.
 */
import { type DuckDBConnection, DuckDBTimestampValue } from '../../core/duckdb.js';
import { logger } from '../../core/log.js';
import type { RawBatch } from '../kafka/raw-batch.js';
import { rawMessageAt } from '../kafka/raw-batch.js';
import { RawSource } from '../kafka/raw-source.js';
import { stateInUse } from '../partitions/lake-guard.js';
import { runToEnd } from '../run-to-end.js';
import { Delivery } from '../sinks/delivery.js';
import { LazyMysql } from '../sinks/lazy-mysql.js';
import { StateCheckpoints } from '../state-checkpoints.js';
import { DEFAULT_THRESHOLDS } from '../ticks/core.js';
import { createSchema, openState, readMeta, writeMeta } from '../ticks/state.js';
import { loadStreamFiles, runStage } from '../ticks/stream-sql.js';
import { loadPortfolios, valueWindowEnds } from '../ticks/valuation-stage.js';
import { minWatermark, NO_WATERMARK } from '../time/watermarks.js';
import { CLOSES_TOPIC, type CloseMessage, parseClosesMessage } from './closes.js';

export interface ValuationStageOptions {
  brokers: string[];
  /** The closes topic (default `closes`). */
  topic?: string;
  group?: string;
  lakeDir: string;
  stateDir: string;
  mysqlUrl?: string;
  seedsDir?: string;
  /** Ends once the closes topic is consumed to its end (its high watermarks when checked). */
  untilIdle?: boolean;
  batchMessages?: number;
  lingerMs?: number;
  sessionTimeoutMs?: number;
}

export interface ValuationStageStats {
  consumed: number;
  closes: number;
  marks: number;
  invalid: number;
  valuations: number;
  batches: number;
  /** The minimum watermark over the source partitions (epoch ms), null before a mark of each. */
  watermark: number | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface RunningValuationStage {
  stats(): ValuationStageStats;
  done: Promise<ValuationStageStats>;
  close(): Promise<ValuationStageStats>;
}

const OUTPUT_TOPICS = { anomalies: 'anomalies', valuations: 'valuations', dlq: 'closes.dlq' };

const STAGE_DDL = [
  'CREATE TABLE IF NOT EXISTS val_marks (kafka_partition INTEGER, watermark BIGINT, idle BOOLEAN)',
  'CREATE TABLE IF NOT EXISTS closes_offsets (kafka_partition INTEGER, next_offset BIGINT)',
  `CREATE OR REPLACE TEMP TABLE new_closes (symbol VARCHAR, "window" VARCHAR, window_end TIMESTAMP, close DOUBLE)`,
];

export async function startValuationStage(opts: ValuationStageOptions): Promise<RunningValuationStage> {
  const log = logger('valuations');
  const topic = opts.topic ?? CLOSES_TOPIC;
  const { loadPortfolioSeeds } = await import('../../contracts/portfolio-seeds.js');
  const seeds = await loadPortfolioSeeds(opts.seedsDir);
  const state = await openState(opts.stateDir, undefined, 'valuations').catch((e) => {
    throw stateInUse(e, opts.stateDir);
  });
  const conn = state.conn;
  await createSchema(conn);
  for (const sql of STAGE_DDL) await conn.run(sql);
  await loadPortfolios(conn, seeds.portfolios, seeds.holdings);
  const streams = loadStreamFiles().filter((f) => f.stage === 'valuation');
  const params = {
    spike_threshold: DEFAULT_THRESHOLDS.spike,
    critical_threshold: DEFAULT_THRESHOLDS.critical,
    volume_spike_factor: DEFAULT_THRESHOLDS.volumeSpikeFactor,
  };

  const offsets = await readOffsets(conn);
  const marks = await readMarks(conn);
  let nextBatch = Number((await readMeta(conn, 'next_batch_id')) ?? '1');
  const checkpoints = new StateCheckpoints(); // every 100 batches (processors/state-checkpoints.ts)
  let sourcePartitions = Number((await readMeta(conn, 'source_partitions')) ?? '0');

  let mysql: LazyMysql | undefined;
  if (opts.mysqlUrl) {
    mysql = new LazyMysql(opts.mysqlUrl, seeds, log);
    await mysql.warmUp();
  }
  const source = new RawSource({
    brokers: opts.brokers,
    topics: [topic],
    group: opts.group ?? 'ticklake-valuations',
    startOffsets: () => new Map([[topic, new Map(offsets)]]),
    log,
    queueLimit: (opts.batchMessages ?? 20_000) * 2,
    clientId: 'ticklake-valuations',
    sessionTimeoutMs: opts.sessionTimeoutMs,
  });
  await source.connect(Object.values(OUTPUT_TOPICS), { [topic]: { numPartitions: 1 } });
  const deliveryConn = await state.instance.connect();
  const delivery = new Delivery({
    conn: deliveryConn,
    lakeDir: opts.lakeDir,
    mysql,
    publisher: source,
    topics: OUTPUT_TOPICS,
    log,
    filePrefix: 'v',
  });
  await delivery.deliverAll(true);
  await source.start();

  const stats: ValuationStageStats = {
    consumed: 0,
    closes: 0,
    marks: 0,
    invalid: 0,
    valuations: 0,
    batches: 0,
    watermark: null,
    startedAt: Date.now(),
    finishedAt: null,
  };
  const currentMin = () => {
    const wms = new Map([...marks].map(([p, m]) => [p, m.watermark]));
    const idle = new Set([...marks].filter(([, m]) => m.idle).map(([p]) => p));
    return minWatermark(wms, sourcePartitions, idle);
  };

  /** One batch: closes and marks in, valuations into the outbox, offsets — one transaction. */
  const apply = async (batches: RawBatch[]): Promise<void> => {
    const closes: CloseMessage[] = [];
    const nextOffsets = new Map<number, number>();
    let consumed = 0;
    let marked = 0;
    for (const b of batches) {
      for (let i = 0; i < b.count; i++) {
        const offset = b.offsets[i];
        if (offset < (nextOffsets.get(b.partition) ?? offsets.get(b.partition) ?? 0)) continue;
        nextOffsets.set(b.partition, offset + 1);
        consumed++;
        const { value } = rawMessageAt(b, i);
        const m = value === null ? { error: 'null value' } : parseClosesMessage(Buffer.from(value).toString('utf8'));
        if ('error' in m) {
          stats.invalid++;
          log.warn({ topic, partition: b.partition, offset, reason: m.error }, 'closes message skipped');
          continue;
        }
        if (m.kind === 'close') closes.push(m);
        else {
          marked++;
          sourcePartitions = Math.max(sourcePartitions, m.partitions);
          const old = marks.get(m.partition);
          // never backwards (a mark published again after a crash)
          marks.set(m.partition, { watermark: Math.max(old?.watermark ?? NO_WATERMARK, m.watermark), idle: m.idle });
        }
      }
    }
    if (consumed === 0) return;
    const b = nextBatch;
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run(STAGE_DDL[2]);
      if (closes.length) {
        const a = await conn.createAppender('new_closes', 'main', 'temp');
        for (const c of closes) {
          a.appendVarchar(c.symbol);
          a.appendVarchar(c.window);
          a.appendTimestamp(new DuckDBTimestampValue(BigInt(c.window_end) * 1000n));
          a.appendDouble(c.close);
          a.endRow();
        }
        a.closeSync();
        // taken once: not held already, and not at or before the window's last valued end
        await conn.run(`INSERT INTO val_closes SELECT DISTINCT n.symbol, n."window", n.window_end, n.close
          FROM new_closes n LEFT JOIN val_progress p USING ("window")
          WHERE (p.last_as_of IS NULL OR n.window_end > p.last_as_of)
            AND NOT EXISTS (SELECT 1 FROM val_closes c WHERE c.symbol = n.symbol AND c."window" = n."window"
              AND c.window_end = n.window_end)`);
      }
      const minWm = currentMin();
      let valued = 0;
      if (Number.isFinite(minWm) && minWm > NO_WATERMARK) {
        valued = await valueWindowEnds(conn, minWm, () => runStage(conn, streams, 'valuation', b, params));
      }
      await conn.run(`INSERT INTO outbox VALUES (${b}, epoch_ms(${Date.now()}::BIGINT), false, false, false)`);
      await writeMeta(conn, 'next_batch_id', String(b + 1));
      await writeMeta(conn, 'source_partitions', String(sourcePartitions));
      await conn.run('DELETE FROM val_marks');
      for (const [p, m] of marks) await conn.run(`INSERT INTO val_marks VALUES (${p}, ${m.watermark}, ${m.idle})`);
      for (const [p, o] of nextOffsets) {
        await conn.run(`DELETE FROM closes_offsets WHERE kafka_partition = ${p}`);
        await conn.run(`INSERT INTO closes_offsets VALUES (${p}, ${o})`);
      }
      await conn.run('COMMIT');
      nextBatch = b + 1;
      for (const [p, o] of nextOffsets) offsets.set(p, o);
      stats.consumed += consumed;
      stats.closes += closes.length;
      stats.marks += marked;
      stats.valuations += valued;
      stats.batches++;
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => {});
      throw e;
    }
    await checkpoints.afterCommit(conn, b);
    await delivery.deliverAll(true);
    const committed = new Map([[topic, new Map(offsets)]]);
    source.noteOffsets(committed);
    source.commit(committed).catch(() => {});
  };

  let stopping = false;
  const loop = async () => {
    let lastCheck = 0;
    while (!stopping) {
      const batches = await source.take(opts.batchMessages ?? 20_000, opts.lingerMs ?? 200);
      await apply(batches);
      const w = currentMin();
      stats.watermark = Number.isFinite(w) && w > NO_WATERMARK ? w : null;
      if (opts.untilIdle && source.queued === 0 && Date.now() - lastCheck > 100) {
        lastCheck = Date.now();
        const highs = await source.highWatermarks(topic);
        if ([...highs].every(([p, h]) => (offsets.get(p) ?? 0) >= h)) return;
      }
    }
  };
  const finish = async () => {
    await source.stop();
    await mysql?.close().catch(() => {});
    deliveryConn.closeSync();
    await conn.run('CHECKPOINT').catch(() => {});
    conn.closeSync();
    state.instance.closeSync(); // gives the file (and its lock) back at once, not when collected
    stats.finishedAt = Date.now();
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

async function readOffsets(conn: DuckDBConnection): Promise<Map<number, number>> {
  const r = await conn.runAndReadAll('SELECT kafka_partition, next_offset FROM closes_offsets');
  return new Map(r.getRowsJS().map(([p, o]) => [Number(p), Number(o)]));
}

async function readMarks(conn: DuckDBConnection): Promise<Map<number, { watermark: number; idle: boolean }>> {
  const r = await conn.runAndReadAll('SELECT kafka_partition, watermark, idle FROM val_marks');
  return new Map(r.getRowsJS().map(([p, w, i]) => [Number(p), { watermark: Number(w), idle: i === true }]));
}

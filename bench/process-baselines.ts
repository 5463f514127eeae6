/**
 * The two baselines of `npm run bench:process` that a design keeping the tick archive can be held to (issue 22),
 * each measured in the same run as the figure it is compared with:
 *
 * - `kafkajsCeiling`: the client's ceiling — kafkajs 2.2.4 consuming the same topic from the same broker and
 *   discarding every message (eachBatch, a fresh group, from the beginning), from its first batch to the last
 *   message: what any processor built on this client and broker can at most reach end to end.
 * - `duckdbBatchJob`: the same job as one DuckDB batch over the same JSON messages — `read_ndjson` parses them, the
 *   tick archive is written as ZSTD Parquet by date, then bars (1m, 1d: OHLC, volume, notional, VWAP, trades,
 *   volatility, log return; floating-point sums in the same fixed order as sql/streams/bars.sql) and price
 *   anomalies (moves over the spike threshold against the previous tick of the symbol) are computed and written as
 *   Parquet. No state, no exactly-once, no windows closing as time passes: a floor for the core's work per tick.
 *
 * Both run inside `measured` (bench/process-core.ts): wall time, CPU seconds of this process, peak RSS of the step.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { DEFAULT_THRESHOLDS, type InMessage } from '../processors/ticks/core.js';

/** Consumes `expected` messages of `topic` and discards them; resolves with the ms from the first batch to the last. */
export async function kafkajsCeiling(brokers: string[], topic: string, expected: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-ceiling', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-ceiling-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const ms = await new Promise<number>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (first === 0) first = performance.now();
          seen += batch.messages.length;
          if (seen >= expected) resolve(performance.now() - first);
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return ms;
}

/** Writes the messages as NDJSON (the tick's JSON with its partition and offset), for duckdbBatchJob. Not timed. */
export async function writeNdjson(msgs: InMessage[], file: string): Promise<void> {
  const out = createWriteStream(file);
  for (const m of msgs) {
    const v = String(m.value);
    out.write(`{"kafka_partition":${m.partition},"kafka_offset":${m.offset},${v.slice(1)}\n`);
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** The job as one batch (see the file comment); returns the bar and anomaly counts. */
export async function duckdbBatchJob(file: string, dir: string): Promise<{ bars: number; anomalies: number }> {
  await mkdir(dir, { recursive: true });
  const db = await (await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '1GB' })).connect();
  try {
    await db.run(`CREATE TABLE ticks AS
      SELECT symbol, make_timestamp(ts * 1000) AS ts, price, size, kafka_partition, kafka_offset
      FROM read_ndjson('${file}', columns = {kafka_partition: 'INTEGER', kafka_offset: 'BIGINT', symbol: 'VARCHAR',
        ts: 'BIGINT', price: 'DOUBLE', size: 'BIGINT'})`);
    await db.run(`COPY (SELECT *, ts::DATE AS date FROM ticks) TO '${join(dir, 'ticks')}'
      (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date))`);
    const o = 'ORDER BY ts, kafka_partition, kafka_offset';
    await db.run(`CREATE TABLE bars AS
      WITH w AS (
        SELECT '1m' AS win, 60000 AS ms, time_bucket(INTERVAL 1 MINUTE, ts) AS ws, * FROM ticks
        UNION ALL SELECT '1d', 86400000, time_bucket(INTERVAL 1 DAY, ts), * FROM ticks
      ), r AS (
        SELECT *, ln(price / lag(price) OVER (PARTITION BY win, symbol, ws ${o})) AS ret FROM w
      ), b AS (
        SELECT win, symbol, ws, any_value(ms) AS ms, first(price ${o}) AS open, max(price) AS high,
          min(price) AS low, last(price ${o}) AS close, sum(size) AS volume, kahan_sum(price * size ${o}) AS notional,
          count(*) AS trades, stddev_samp(ret ${o}) AS volatility
        FROM r GROUP BY ALL
      )
      SELECT *, notional / volume AS vwap, trades / (ms / 1000) AS trade_rate,
        ln(close / lag(close) OVER (PARTITION BY win, symbol ORDER BY ws)) AS log_return FROM b`);
    await db.run(`CREATE TABLE anomalies AS
      WITH m AS (
        SELECT *, price / lag(price) OVER (PARTITION BY symbol ${o}) - 1 AS move FROM ticks
      )
      SELECT symbol, ts, CASE WHEN move > 0 THEN 'SPIKE' ELSE 'FLASH_CRASH' END AS kind,
        CASE WHEN abs(move) > ${DEFAULT_THRESHOLDS.critical} THEN 'CRITICAL' ELSE 'WARNING' END AS severity,
        abs(move) AS value, price, kafka_partition, kafka_offset
      FROM m WHERE abs(move) > ${DEFAULT_THRESHOLDS.spike}`);
    for (const t of ['bars', 'anomalies']) {
      await db.run(`COPY ${t} TO '${join(dir, `${t}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`);
    }
    const r = await db.runAndReadAll('SELECT (SELECT count(*) FROM bars), (SELECT count(*) FROM anomalies)');
    const [bars, anomalies] = r.getRowsJS()[0].map(Number);
    return { bars, anomalies };
  } finally {
    db.closeSync();
  }
}

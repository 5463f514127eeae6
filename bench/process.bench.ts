/**
 * `npm run bench:process`: the windowing processor's throughput and freshness.
 *
 * 1. Core fed from memory (bench/process-core.ts): a seeded producer run (the default universe) as Kafka-like
 *    messages through ProcessorCore.submit and lake delivery, as in the processor, in batches of 50,000. Side by
 *    side in the same run, alternating (BENCH_CORE_ROUNDS, default 3, medians):
 *    - the same job as one DuckDB batch (bench/process-baselines.ts): read_ndjson over the same JSON messages, the
 *      tick archive as Parquet, bars and anomalies. Target: core ticks/s ≥ 0.5 × this.
 *    - the core with the stream SQL's fixed summation order taken out (what bit-identical replays cost).
 *    Also kept: one DuckDB query computing the same 1m and 1d bars over the ticks already in a typed table (it
 *    parses and writes nothing, so no design keeping the tick archive reaches half of it).
 *    CPU seconds per million ticks and peak RSS (of each step alone) beside each.
 * 2. End to end: the embedded broker in its own process; 1M ticks pre-produced to `ticks`; `startProcessor`
 *    (--until-idle, lake + MySQL when mariadbd is installed). Sustained ticks/s from the first batch taken to every
 *    tick consumed, committed and delivered to both sinks (target 200k ticks/s); also the rate from start to exit,
 *    which adds the group join and the final flush of the windows still open when the input ended. Baseline: the
 *    client's ceiling, kafkajs consuming and discarding the same topic, alternating with the processor's runs
 *    (BENCH_E2E_ROUNDS, default 3; bench/process-e2e.ts; the median of the rounds' ratios). Target: ≥ 0.8 of it.
 *    CPU seconds per million ticks (this process; the broker's apart). `tsx bench/process-e2e.bench.ts` runs this
 *    section alone.
 * 3. Freshness: `ticklake produce --rate` (its own process) sends at a fixed rate (70 % of the measured end-to-end
 *    rate, at most 200k/s) while the processor runs; produce time → row visible in the lake, p50 / p99 over a
 *    sample of messages. Target p99 < 2 s.
 * 4. JSON vs Avro (bench/process-encoding.ts): bytes per message, the consumer thread's parse alone, and end to end
 *    (pre-produced, --until-idle, lake only), the two encodings alternating, medians side by side.
 * Peak RSS: this process (processor + producer) and the broker process. `details.corePhasesMs`: the core's wall time
 * per phase of its batches (ProcessorCore.phaseMs), to see where the time goes.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { loadPortfolioSeeds } from '../contracts/portfolio-seeds.js';
import { copyToParquetTemp } from '../lake/writer.js';
import { startProcessor } from '../processors/ticks/processor.js';
import { Simulator } from '../producers/simulator.js';
import { loadUniverse, selectSymbols } from '../producers/universe.js';
import { createDatabase, startTestMysql, type TestMysql, testMysqlAvailable } from '../test/helpers/mysql.js';
import { duckdbBatchJob, writeNdjson } from './process-baselines.js';
import { type CoreRun, type Measured, measured, runCore, unorderedStreams } from './process-core.js';
import { e2eRounds, produceAll, seededMessages, startBrokerProcess, summarize } from './process-e2e.js';
import { benchEncodings } from './process-encoding.js';
import { type BenchFigure, startBench } from './result.js';
import { median } from './stats.js';

const bench = startBench('process');
const CORE_TICKS = Number(process.env.BENCH_CORE_TICKS ?? 600_000);
const E2E_TICKS = Number(process.env.BENCH_E2E_TICKS ?? 1_000_000);
const E2E_ROUNDS = Number(process.env.BENCH_E2E_ROUNDS ?? 3);
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
const ENC_TICKS = Number(process.env.BENCH_ENC_TICKS ?? 300_000);
const ENC_ROUNDS = Number(process.env.BENCH_ENC_ROUNDS ?? 3);
const CORE_ROUNDS = Number(process.env.BENCH_CORE_ROUNDS ?? 3);
const START = Date.UTC(2026, 0, 5, 9, 30);
const PARTITIONS = 3;
const bin = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'ticklake-bench-process-'));
const universe = await loadUniverse();
const symbols = selectSymbols(universe);
const seeds = await loadPortfolioSeeds();

const messages = (count: number, seed = 7) =>
  seededMessages({ symbols, count, seed, start: START, partitions: PARTITIONS });

// 1. core from memory vs one DuckDB query, vs the same job as one DuckDB batch; what the ordered sums cost ---------
let msgs = messages(CORE_TICKS);
const CORE_N = msgs.length;
const ndjson = join(dir, 'ticks.ndjson');
await writeNdjson(msgs, ndjson);
const unordered = unorderedStreams();
const coreRuns: { ordered: Measured<CoreRun>[]; unordered: Measured<CoreRun>[]; batch: Measured<unknown>[] } = {
  ordered: [],
  unordered: [],
  batch: [],
};
// alternating, fresh state each time: ordered (as shipped), unordered, the one-batch job
for (let i = 0; i < CORE_ROUNDS; i++) {
  const opts = { msgs, portfolios: seeds.portfolios, holdings: seeds.holdings, partitions: PARTITIONS };
  coreRuns.ordered.push(await measured(() => runCore({ ...opts, dir: join(dir, `core-o${i}`) })));
  coreRuns.unordered.push(await measured(() => runCore({ ...opts, dir: join(dir, `core-u${i}`), streams: unordered })));
  coreRuns.batch.push(await measured(() => duckdbBatchJob(ndjson, join(dir, `batch-${i}`))));
}
const med = (runs: Measured<unknown>[], f: (r: Measured<unknown>) => number) => median(runs.map(f));
const coreMs = med(coreRuns.ordered, (r) => r.ms);
const coreOnlyMs = median(coreRuns.ordered.map((r) => r.value.coreOnlyMs));
const corePhasesMs = coreRuns.ordered[0].value.phasesMs;
const coreRate = CORE_N / (coreMs / 1000);
const unorderedRate = CORE_N / (med(coreRuns.unordered, (r) => r.ms) / 1000);
const batchRate = CORE_N / (med(coreRuns.batch, (r) => r.ms) / 1000);
/** CPU seconds per million ticks, median of the runs. */
const cpuPerM = (runs: Measured<unknown>[], n: number) => Math.round((med(runs, (r) => r.cpuS) / n) * 1e6 * 10) / 10;
const peak = (runs: Measured<unknown>[]) => Math.max(...runs.map((r) => r.peakRssMiB ?? 0));

const base = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect();
await base.run(
  'CREATE TABLE ticks (symbol VARCHAR, ts TIMESTAMP, price DOUBLE, size BIGINT, kafka_partition INTEGER, kafka_offset BIGINT)',
);
const ap = await base.createAppender('ticks');
for (const m of msgs) {
  const t = JSON.parse(String(m.value));
  ap.appendVarchar(t.symbol);
  ap.appendTimestamp(new DuckDBTimestampValue(BigInt(t.ts) * 1000n));
  ap.appendDouble(t.price);
  ap.appendBigInt(BigInt(t.size));
  ap.appendInteger(m.partition);
  ap.appendBigInt(BigInt(m.offset));
  ap.endRow();
}
ap.closeSync();
const BARS_SQL = `CREATE OR REPLACE TABLE bars AS
  WITH w AS (
    SELECT '1m' AS win, 60000 AS ms, time_bucket(INTERVAL 1 MINUTE, ts) AS ws, * FROM ticks
    UNION ALL SELECT '1d', 86400000, time_bucket(INTERVAL 1 DAY, ts), * FROM ticks
  ), r AS (
    SELECT *, ln(price / lag(price) OVER (PARTITION BY win, symbol, ws ORDER BY ts, kafka_partition, kafka_offset)) AS ret
    FROM w
  ), b AS (
    SELECT win, symbol, ws, any_value(ms) AS ms, first(price ORDER BY ts, kafka_partition, kafka_offset) AS open,
      max(price) AS high, min(price) AS low, last(price ORDER BY ts, kafka_partition, kafka_offset) AS close,
      sum(size) AS volume, sum(price * size) AS notional, count(*) AS trades, stddev_samp(ret) AS volatility
    FROM r GROUP BY ALL
  )
  SELECT *, notional / volume AS vwap, trades / (ms / 1000) AS trade_rate,
    ln(close / lag(close) OVER (PARTITION BY win, symbol ORDER BY ws)) AS log_return FROM b`;
await base.run(BARS_SQL); // warm-up
const b0 = performance.now();
const REPS = 3;
for (let i = 0; i < REPS; i++) await base.run(BARS_SQL);
const baseMs = (performance.now() - b0) / REPS;
const baseRate = CORE_N / (baseMs / 1000);
base.closeSync();

// what the durability the core must have costs on its own, over the same ticks (not a target: the floor under the
// core's time that no arithmetic can remove): the tick archive as the core writes it, one ZSTD Parquet file per batch
// and partition, fsynced. (The open windows' buffer is in memory, its durable copy this archive: docs/processor.md.)
const floorDb = await (await DuckDBInstance.create(join(dir, 'floor.duckdb'), { threads: '2' })).connect();
await floorDb.run(
  `CREATE TABLE src AS SELECT * FROM read_parquet('${join(dir, 'core-o0', 'lake')}/ticks/**/*.parquet')`,
);
const f0 = performance.now();
const perBatch = Math.ceil(CORE_N / PARTITIONS / 12);
// released (as the e2e messages below): the rest of the bench reads the lake, not these objects
msgs = [];
for (let k = 0; k < 12; k++) {
  for (let p = 0; p < PARTITIONS; p++) {
    // the lake writer's own COPY + fsync, without its rename
    await copyToParquetTemp(
      floorDb,
      join(dir, 'floor'),
      `p${p}-${k}.parquet`,
      `SELECT * FROM src WHERE kafka_partition = ${p} AND kafka_offset >= ${k * perBatch}
        AND kafka_offset < ${(k + 1) * perBatch}`,
    );
  }
}
const floorArchiveMs = performance.now() - f0;
floorDb.closeSync();

// 2. end to end through the broker, against the client's ceiling (bench/process-e2e.ts) -------------------------
const broker = await startBrokerProcess(join(dir, 'broker'), PARTITIONS);
const address = broker.address;
const kafka = new Kafka({ clientId: 'bench', brokers: [address], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: [
    { topic: 'ticks', numPartitions: PARTITIONS },
    { topic: 'live', numPartitions: PARTITIONS },
  ],
});
await admin.disconnect();
const producer = kafka.producer();
await producer.connect();
let e2eMsgs = messages(E2E_TICKS, 11);
const E2E_N = e2eMsgs.length;
const p0 = performance.now();
await produceAll(producer, 'ticks', e2eMsgs);
const produceRate = E2E_N / ((performance.now() - p0) / 1000);
// the pre-built messages are not needed any more: released, so that they do not sit under the processor's peak RSS
e2eMsgs = [];

let my: TestMysql | undefined;
let mysqlUrl: string | undefined;
if (testMysqlAvailable()) my = await startTestMysql();
const e2e = summarize(
  await e2eRounds({
    broker,
    topic: 'ticks',
    count: E2E_N,
    rounds: E2E_ROUNDS,
    dir,
    mysqlUrl: async (i) => {
      if (!my) return undefined;
      mysqlUrl = await createDatabase(my.url, `bench_process_${i}`);
      return mysqlUrl;
    },
  }),
  E2E_N,
);
const e2eRate = e2e.rate;

// 3. freshness under a steady live rate -------------------------------------------------------------------------
const liveRate = Math.round(Math.min(200_000, e2eRate * 0.7) / 1000) * 1000;
const live = await startProcessor({
  brokers: [address],
  topic: 'live',
  group: 'bench-live',
  lakeDir: join(dir, 'live', 'lake'),
  stateDir: join(dir, 'live', 'state'),
  mysqlUrl: mysqlUrl ? await createDatabase(my?.url ?? '', 'bench_live') : undefined,
  batchMessages: 20_000,
});
// the live producer runs in its own process (ticklake produce --rate), so it does not share this event loop
const liveCount = liveRate * LIVE_SECONDS;
const l0 = performance.now();
const producerExit = await new Promise<number | null>((resolve, reject) => {
  const child = spawn(
    process.execPath,
    [
      bin,
      'produce',
      '--brokers',
      address,
      '--topic',
      'live',
      '--count',
      String(liveCount),
      '--rate',
      String(liveRate),
      '--start',
      new Date(START).toISOString(),
      '--tick-interval',
      '5ms',
      '--seed',
      '13',
    ],
    { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  child.on('error', reject);
  child.on('exit', (code) => resolve(code));
});
if (producerExit !== 0) throw new Error(`ticklake produce exited with ${producerExit}`);
const achievedLiveRate = liveCount / ((performance.now() - l0) / 1000);
while (live.stats().consumed < liveCount) await new Promise((r) => setTimeout(r, 50));
const liveStats = await live.close();

// 4. JSON vs Avro ----------------------------------------------------------------------------------------------
const enc = await benchEncodings({
  brokers: [address],
  dir: join(dir, 'encodings'),
  ticks: ENC_TICKS,
  rounds: ENC_ROUNDS,
  partitions: PARTITIONS,
  simulator: () => new Simulator(symbols, { seed: 17, start: START, tickIntervalMs: 5 }),
  brokerCpuSeconds: broker.cpuS,
});

await producer.disconnect();
const brokerRss = broker.peakRssMiB();
await broker.stop();
await my?.close();
await rm(dir, { recursive: true, force: true });

const figures: BenchFigure[] = [
  {
    metric: `processor core fed from memory (parse, state, windows, stream SQL, lake); ${cpuPerM(coreRuns.ordered, CORE_N)} CPU s per M ticks, peak RSS ${peak(coreRuns.ordered)} MiB`,
    value: Math.round(coreRate),
    unit: 'ticks/s',
    baseline: {
      metric: `the same job as one DuckDB batch (read_ndjson, Parquet archive, bars, anomalies); ${cpuPerM(coreRuns.batch, CORE_N)} CPU s per M ticks, peak RSS ${peak(coreRuns.batch)} MiB`,
      value: Math.round(batchRate),
      unit: 'ticks/s',
    },
    ratio: coreRate / batchRate,
    target: 'ratio >= 0.5',
    pass: coreRate / batchRate >= 0.5,
  },
  {
    metric: 'processor core fed from memory, against one DuckDB query computing the same bars from typed columns',
    value: Math.round(coreRate),
    unit: 'ticks/s',
    baseline: { metric: 'one DuckDB query computing the same bars', value: Math.round(baseRate), unit: 'ticks/s' },
    ratio: coreRate / baseRate,
  },
  {
    metric: `processor core, stream SQL summing doubles in a fixed order (bit-identical replays; median of ${CORE_ROUNDS} alternating runs); ${cpuPerM(coreRuns.ordered, CORE_N)} CPU s per M ticks, peak RSS ${peak(coreRuns.ordered)} MiB`,
    value: Math.round(coreRate),
    unit: 'ticks/s',
    baseline: {
      metric: `the same stream SQL with unordered sums; ${cpuPerM(coreRuns.unordered, CORE_N)} CPU s per M ticks, peak RSS ${peak(coreRuns.unordered)} MiB`,
      value: Math.round(unorderedRate),
      unit: 'ticks/s',
    },
    ratio: coreRate / unorderedRate,
  },
  {
    metric: `end to end sustained: broker → processor → lake${mysqlUrl ? ' + MySQL' : ''} (first batch to all delivered; median ratio of ${E2E_ROUNDS} rounds alternating with the baseline); ${e2e.e2eCpuPerM} CPU s per M ticks (+ broker ${e2e.e2eBrokerCpuPerM}), peak RSS ${e2e.e2ePeakRssMiB} MiB`,
    value: Math.round(e2e.sustainedRate),
    unit: 'ticks/s',
    baseline: {
      metric: `kafkajs consuming and discarding the same messages from the same broker (a run before and after each round); ${e2e.ceilingCpuPerM} CPU s per M ticks (+ broker ${e2e.ceilingBrokerCpuPerM}), peak RSS ${e2e.ceilingPeakRssMiB} MiB`,
      value: Math.round(e2e.ceilingRate),
      unit: 'msgs/s',
    },
    ratio: e2e.ratio,
    target: 'ratio >= 0.8 (and >= 200000 ticks/s)',
    pass: e2e.ratio >= 0.8,
  },
  {
    metric: 'kafkajs produce into the same broker (acks -1, batches of 10,000)',
    value: Math.round(produceRate),
    unit: 'msgs/s',
  },
  {
    metric: 'end to end including the group join and the final flush of open windows',
    value: Math.round(e2eRate),
    unit: 'ticks/s',
  },
  {
    metric: `freshness p50 at ${Math.round(achievedLiveRate)} ticks/s`,
    value: liveStats.freshnessP50Ms ?? -1,
    unit: 'ms',
  },
  {
    metric: `freshness p99 at ${Math.round(achievedLiveRate)} ticks/s`,
    value: liveStats.freshnessP99Ms ?? -1,
    unit: 'ms',
    target: 'p99 < 2000 ms',
    pass: (liveStats.freshnessP99Ms ?? Number.POSITIVE_INFINITY) < 2000,
  },
  {
    metric: 'bytes per tick message value, Avro (Confluent wire format)',
    value: Math.round(enc.bytes.avro * 10) / 10,
    unit: 'bytes',
    baseline: { metric: 'the same ticks as JSON', value: Math.round(enc.bytes.json * 10) / 10, unit: 'bytes' },
    ratio: enc.bytes.avro / enc.bytes.json,
  },
  {
    metric: "consumer thread's parse alone, Avro (avsc + tickProblem), median of 5 alternating rounds",
    value: Math.round(enc.parse.avro),
    unit: 'ticks/s',
    baseline: { metric: 'the same ticks as JSON (scanTick)', value: Math.round(enc.parse.json), unit: 'ticks/s' },
    ratio: enc.parse.avro / enc.parse.json,
  },
  {
    metric: 'CPU per tick end to end, Avro: processor process + broker process (median of the runs)',
    value: Math.round((median(enc.cpuUs.avro) + median(enc.brokerCpuUs.avro)) * 100) / 100,
    unit: 'µs',
    baseline: {
      metric: 'the same ticks as JSON',
      value: Math.round((median(enc.cpuUs.json) + median(enc.brokerCpuUs.json)) * 100) / 100,
      unit: 'µs',
    },
    ratio:
      (median(enc.cpuUs.avro) + median(enc.brokerCpuUs.avro)) / (median(enc.cpuUs.json) + median(enc.brokerCpuUs.json)),
  },
  {
    metric: `end to end sustained, Avro topic (lake only; median of ${ENC_ROUNDS} runs alternating with JSON; peak RSS ${enc.rssMiB.avro} MiB)`,
    value: Math.round(enc.medians.avro),
    unit: 'ticks/s',
    baseline: {
      metric: `the same ticks as JSON (peak RSS ${enc.rssMiB.json} MiB)`,
      value: Math.round(enc.medians.json),
      unit: 'ticks/s',
    },
    ratio: enc.medians.avro / enc.medians.json,
  },
];
bench.finish(figures, {
  coreTicks: CORE_N,
  // every run: wall ms, CPU s of this process, peak RSS MiB of the step
  coreRuns: Object.fromEntries(
    Object.entries(coreRuns).map(([k, runs]) => [
      k,
      runs.map((r) => ({ ms: Math.round(r.ms), cpuS: Math.round(r.cpuS * 10) / 10, peakRssMiB: r.peakRssMiB })),
    ]),
  ),
  coreOnlyTicksPerSec: Math.round(CORE_N / (coreOnlyMs / 1000)),
  coreMs: Math.round(coreMs),
  // the final flush (every open window, the 1d one over all ticks) and the delivery not hidden behind a batch
  coreFlushAndDeliveryMs: Math.round(coreMs - coreOnlyMs),
  corePhasesMs,
  baselineQueryMs: Math.round(baseMs),
  // the durable write alone, same ticks (see above): a floor under coreMs, beside baselineQueryMs
  floorArchiveMs: Math.round(floorArchiveMs),
  e2eTicks: E2E_N,
  // every run of section 2, in the order run: ceilings[i] and ceilings[i + 1] are beside rounds[i]
  e2eRuns: e2e.runs,
  liveTicks: liveCount,
  liveTargetRate: liveRate,
  brokerPeakRssMiB: brokerRss,
  mysql: Boolean(mysqlUrl),
  loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  encodings: {
    ticks: ENC_TICKS,
    schemaId: enc.schemaId,
    bytesPerMessage: enc.bytes,
    e2eTicksPerSec: { json: enc.e2e.json.map(Math.round), avro: enc.e2e.avro.map(Math.round) },
    e2eBatches: enc.batches,
    cpuUsPerTick: { processor: enc.cpuUs, broker: enc.brokerCpuUs },
    peakRssDuringRunsMiB: enc.rssMiB,
  },
  note: 'broker in its own process; producer, processor and the bench share this process and the 2 cores',
});
process.exit(0);

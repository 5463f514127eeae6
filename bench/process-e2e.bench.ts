/**
 * `tsx bench/process-e2e.bench.ts`: section 2 of `npm run bench:process` alone (bench/process-e2e.ts) — end to end
 * through the broker, rounds alternating with kafkajs consuming and discarding the same topic — for working on the
 * end-to-end path without the other sections' ten minutes. Same knobs: BENCH_E2E_TICKS (default 1M),
 * BENCH_E2E_ROUNDS (default 3); MySQL when mariadbd is installed, BENCH_E2E_MYSQL=0 for a lake-only run. Writes
 * bench/results/process-e2e.json.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { loadUniverse, selectSymbols } from '../producers/universe.js';
import { createDatabase, startTestMysql, type TestMysql, testMysqlAvailable } from '../test/helpers/mysql.js';
import { e2eRounds, produceAll, seededMessages, startBrokerProcess, summarize } from './process-e2e.js';
import { startBench } from './result.js';

const bench = startBench('process-e2e');
const TICKS = Number(process.env.BENCH_E2E_TICKS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_E2E_ROUNDS ?? 3);
const PARTITIONS = 3;
const dir = await mkdtemp(join(tmpdir(), 'ticklake-bench-e2e-'));
const broker = await startBrokerProcess(join(dir, 'broker'), PARTITIONS);
try {
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'ticks', numPartitions: PARTITIONS }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const symbols = selectSymbols(await loadUniverse());
  const msgs = seededMessages({ symbols, count: TICKS, seed: 11, start: Date.UTC(2026, 0, 5, 9, 30), partitions: 3 });
  const n = msgs.length;
  await produceAll(producer, 'ticks', msgs);
  msgs.length = 0;
  await producer.disconnect();
  let my: TestMysql | undefined;
  if (testMysqlAvailable() && process.env.BENCH_E2E_MYSQL !== '0') my = await startTestMysql();
  try {
    const e2e = summarize(
      await e2eRounds({
        broker,
        topic: 'ticks',
        count: n,
        rounds: ROUNDS,
        dir,
        mysqlUrl: async (i) => (my ? createDatabase(my.url, `bench_e2e_${i}`) : undefined),
        batchMessages: process.env.BENCH_E2E_BATCH ? Number(process.env.BENCH_E2E_BATCH) : undefined,
      }),
      n,
    );
    bench.finish(
      [
        {
          metric: `end to end sustained: broker → processor → lake${my ? ' + MySQL' : ''} (median ratio of ${ROUNDS} rounds); ${e2e.e2eCpuPerM} CPU s per M ticks (+ broker ${e2e.e2eBrokerCpuPerM}), peak RSS ${e2e.e2ePeakRssMiB} MiB`,
          value: Math.round(e2e.sustainedRate),
          unit: 'ticks/s',
          baseline: {
            metric: `kafkajs consuming and discarding the same messages; ${e2e.ceilingCpuPerM} CPU s per M ticks (+ broker ${e2e.ceilingBrokerCpuPerM}), peak RSS ${e2e.ceilingPeakRssMiB} MiB`,
            value: Math.round(e2e.ceilingRate),
            unit: 'msgs/s',
          },
          ratio: e2e.ratio,
          target: 'ratio >= 0.8',
          pass: e2e.ratio >= 0.8,
        },
      ],
      { ticks: n, runs: e2e.runs, loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
    );
  } finally {
    await my?.close();
  }
} finally {
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);

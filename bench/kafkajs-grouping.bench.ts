/**
 * `npm run bench:grouping`: what kafkajs's quadratic grouping of a produce request by partition costs a producer,
 * against core/kafkajs.ts's one-pass grouping, side by side in the same run.
 *
 * Each round spawns two producer processes, one after the other and alternating which goes first: one loads kafkajs
 * before core/kafkajs.ts (kafkajs's own grouping stays; `onePassGrouping` is false) and one through it, as the
 * product does. Each sends the same COUNT keyed tick-sized messages through producers/sender.ts (acks=-1, one
 * request in flight) to an embedded broker in its own process, in requests of BATCH messages over 6 partitions, and
 * reports its own CPU seconds (user+sys) for the sending alone and its peak RSS. The figures are the medians of the
 * rounds; the ratio is one-pass over stock CPU per million messages (below 1 is cheaper).
 *
 * BATCHES (default 1000,5000: the exchanges' and the filings' request sizes), COUNT (200000), ROUNDS (3).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from '../core/kafkajs.js';
import { startBrokerProcess } from './process-e2e.js';
import { type BenchFigure, startBench } from './result.js';
import { median } from './stats.js';

const BATCHES = (process.env.BATCHES ?? '1000,5000').split(',').map(Number);
const COUNT = Number(process.env.COUNT ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PARTITIONS = 6;

const bench = startBench('kafkajs-grouping');
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'tl-bench-grouping-'));

interface Run {
  onePass: boolean;
  cpuSeconds: number;
  seconds: number;
  maxRssMiB: number;
}

/** One producer process: `stock` loads kafkajs first, so core/kafkajs.ts finds it loaded and leaves it. */
function produce(address: string, topic: string, batch: number, stock: boolean): Promise<Run> {
  const code = `
    ${stock ? "const { createRequire } = await import('node:module'); createRequire(import.meta.url)('kafkajs');" : ''}
    const { onePassGrouping } = await import('./core/kafkajs.ts');
    const { TickSender } = await import('./producers/sender.ts');
    const sender = await TickSender.connect({ brokers: ['${address}'], topic: '${topic}', batchSize: ${batch}, retries: 3 });
    const value = JSON.stringify({ s: 'AAPL', p: 187.25, q: 100, t: Date.now(), x: 'NASDAQ', id: 'x'.repeat(24) });
    for (let i = 0; i < ${batch}; i++) if (sender.push('SYM' + (i % 29), value)) await sender.flush();
    await sender.settle(); // metadata and connections outside the measurement
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < ${COUNT}; i++) if (sender.push('SYM' + (i % 29), value)) await sender.flush();
    await sender.settle();
    const cpu = process.cpuUsage(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    await sender.close();
    console.log(JSON.stringify({ onePass: onePassGrouping, cpuSeconds: (cpu.user + cpu.system) / 1e6, seconds,
      maxRssMiB: process.resourceUsage().maxRSS / 1024 }));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (exit) => {
      const run = exit === 0 ? (JSON.parse(out) as Run) : undefined;
      if (!run || run.onePass === stock) reject(new Error(`producer exited ${exit} or grouped wrongly: ${out}`));
      else resolve(run);
    });
  });
}

const broker = await startBrokerProcess(dir, PARTITIONS);
const { address } = broker;
const figures: BenchFigure[] = [];
const perBatch: Record<number, unknown> = {};
try {
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  for (const batch of BATCHES) {
    const stock: Run[] = [];
    const onePass: Run[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const isStock of r % 2 === 0 ? [true, false] : [false, true]) {
        const topic = `g-${batch}-${r}-${isStock ? 's' : 'o'}`;
        await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
        (isStock ? stock : onePass).push(await produce(address, topic, batch, isStock));
        await admin.deleteTopics({ topics: [topic] });
      }
    }
    const perM = (runs: Run[]) => median(runs.map((x) => (x.cpuSeconds / COUNT) * 1e6));
    const [s, o] = [perM(stock), perM(onePass)];
    figures.push({
      metric: `producer CPU, requests of ${batch} over ${PARTITIONS} partitions, one-pass grouping`,
      value: o,
      unit: 'CPU-s per million messages',
      baseline: { metric: "kafkajs's own grouping, same messages", value: s, unit: 'CPU-s per million messages' },
      ratio: o / s,
      target: 'below 1 (cheaper)',
      pass: o < s,
    });
    perBatch[batch] = {
      msgsPerSecond: {
        onePass: median(onePass.map((x) => COUNT / x.seconds)),
        stock: median(stock.map((x) => COUNT / x.seconds)),
      },
      peakRssMiB: { onePass: median(onePass.map((x) => x.maxRssMiB)), stock: median(stock.map((x) => x.maxRssMiB)) },
      runs: { stock, onePass },
    };
  }
  await admin.disconnect();
} finally {
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
}
bench.finish(figures, { count: COUNT, rounds: ROUNDS, partitions: PARTITIONS, perBatch });

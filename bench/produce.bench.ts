/**
 * `npm run bench:produce`: how fast the simulated exchanges make ticks, alone and through the embedded broker.
 *
 * 1. Simulator alone, one core: `Simulator.next()` + `encode()` over the default universe (29 symbols), in ticks/s.
 *    Target ≥ 1,000,000 ticks/s. Side-by-side baseline: `encodeTick` of ready-made tick objects (the cost of the
 *    message encoding alone), so the ratio shows what the price models add.
 * 2. Through the broker: `runProduce` (simulate, encode, batch, kafkajs send acks=-1) against an embedded broker in
 *    its own process, versus the broker's own kafkajs produce throughput measured in the same run: a plain kafkajs
 *    producer sending pre-built messages of the same keys and value size, in batches of the same size, one request
 *    at a time. Target: ratio ≥ 0.7. The two alternate (baseline, subject, baseline, subject, ...) five times; the
 *    values are the medians of each, the ratio the median of the five subject/preceding-baseline ratios, to even
 *    out noise from other work on the (shared) machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTick, type Tick } from '../contracts/tick.js';
import { Kafka, logLevel, type Message, Partitioners } from '../core/kafkajs.js';
import { runProduce } from '../producers/produce-run.js';
import { Progress } from '../producers/progress.js';
import { Simulator } from '../producers/simulator.js';
import { loadUniverse, selectSymbols } from '../producers/universe.js';
import { startBrokerProcess } from './process-e2e.js';
import { type BenchFigure, startBench } from './result.js';
import { median } from './stats.js';

const bench = startBench('produce');
const START = Date.UTC(2026, 0, 5, 9, 30);
const universe = await loadUniverse();
const symbols = selectSymbols(universe);

// 1. simulator alone -------------------------------------------------------------------------------------------
function simulatorRate(seconds: number): number {
  const sim = new Simulator(symbols, { seed: 1, start: START, tickIntervalMs: 250 });
  let n = 0;
  let bytes = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 100_000; i++) {
      sim.next();
      bytes += sim.encode().length;
    }
    n += 100_000;
  }
  if (bytes === 0) throw new Error('unreachable');
  return n / ((performance.now() - t0) / 1000);
}

function encodeOnlyRate(seconds: number): number {
  const sim = new Simulator(symbols, { seed: 1, start: START, tickIntervalMs: 250 });
  const ticks: Tick[] = [];
  for (let i = 0; i < 10_000; i++) {
    sim.next();
    ticks.push(sim.tick());
  }
  let n = 0;
  let bytes = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 100_000; i++) bytes += encodeTick(ticks[i % 10_000]).length;
    n += 100_000;
  }
  if (bytes === 0) throw new Error('unreachable');
  return n / ((performance.now() - t0) / 1000);
}

simulatorRate(0.5); // warm-up
encodeOnlyRate(0.5);
const simRates: number[] = [];
const encRates: number[] = [];
for (let r = 0; r < 3; r++) {
  encRates.push(encodeOnlyRate(1.5));
  simRates.push(simulatorRate(1.5));
}
const simRate = median(simRates);
const encRate = median(encRates);

// 2. through the broker ------------------------------------------------------------------------------------------
const dir = await mkdtemp(join(tmpdir(), 'tl-bench-produce-'));

const broker = await startBrokerProcess(join(dir, 'broker'), 3);
const { address } = broker;
const BATCH = 1000;
const COUNT = 100_000;
const PAIRS = 5;
const quiet = () => new Progress('bench', { stream: { write: () => true }, live: false });

/** Pre-built messages: the simulator's own keys and values, so keys, partitions and sizes match the subject's. */
function prebuilt(): Message[][] {
  const sim = new Simulator(symbols, { seed: 99, start: START, tickIntervalMs: 250 });
  const batches: Message[][] = [];
  for (let b = 0; b < COUNT / BATCH; b++) {
    const batch: Message[] = [];
    for (let i = 0; i < BATCH; i++) {
      sim.next();
      batch.push({ key: sim.key(), value: sim.encode() });
    }
    batches.push(batch);
  }
  return batches;
}

async function baselineRate(topic: string, batches: Message[][]): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers: [address], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: batches[0] }); // metadata and topic creation outside the clock
  const t0 = performance.now();
  for (const messages of batches) await producer.send({ topic, acks: -1, messages });
  const rate = COUNT / ((performance.now() - t0) / 1000);
  await producer.disconnect();
  return rate;
}

async function subjectRate(topic: string, seed: number): Promise<number> {
  // create the topic first, as the baseline does, so neither pays for it on the clock
  await runProduce({
    brokers: [address],
    topic,
    symbols,
    sim: { seed, start: START, tickIntervalMs: 250 },
    count: BATCH,
    rate: 0,
    batchSize: BATCH,
    retries: 3,
    progress: quiet(),
  });
  const summary = await runProduce({
    brokers: [address],
    topic,
    symbols,
    sim: { seed, start: START, tickIntervalMs: 250 },
    count: COUNT,
    rate: 0,
    batchSize: BATCH,
    retries: 3,
    progress: quiet(),
  });
  return summary.sent / summary.seconds;
}

const baseRates: number[] = [];
const subjRates: number[] = [];
try {
  const batches = prebuilt();
  for (let r = 0; r < PAIRS; r++) {
    baseRates.push(await baselineRate(`bench-base-${r}`, batches));
    subjRates.push(await subjectRate(`bench-subj-${r}`, r + 1));
  }
} finally {
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
}
const baseRate = median(baseRates);
const subjRate = median(subjRates);
// each subject run is compared with the baseline run just before it; the median of those ratios is the figure
const pairRatio = median(subjRates.map((s, i) => s / baseRates[i]));

const figures: BenchFigure[] = [
  {
    metric: 'simulator alone, one core (next + encode)',
    value: simRate,
    unit: 'ticks/s',
    baseline: { metric: 'encodeTick of ready-made ticks', value: encRate, unit: 'ticks/s' },
    ratio: simRate / encRate,
    target: '>= 1,000,000 ticks/s',
    pass: simRate >= 1_000_000,
  },
  {
    metric: 'produce through the embedded broker (simulate + kafkajs, acks=-1)',
    value: subjRate,
    unit: 'msgs/s',
    baseline: { metric: 'kafkajs produce of pre-built messages, same broker', value: baseRate, unit: 'msgs/s' },
    ratio: pairRatio,
    target: 'ratio >= 0.7',
    pass: pairRatio >= 0.7,
  },
];
bench.finish(figures, {
  universeSymbols: symbols.length,
  messagesPerRun: COUNT,
  batchSize: BATCH,
  runs: { simulator: simRates, encodeOnly: encRates, baseline: baseRates, subject: subjRates },
  pairRatios: subjRates.map((x, i) => x / baseRates[i]),
  broker: 'ticklake broker in a child process, default settings (fsync acks-all), 3 partitions per topic',
});

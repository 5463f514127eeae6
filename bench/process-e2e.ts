/**
 * Section 2 of `npm run bench:process` (also run alone by bench/process-e2e.bench.ts): end to end through the
 * broker against the client's ceiling, side by side.
 *
 * `startBrokerProcess`: the embedded broker in its own process (its CPU time and peak RSS read from /proc).
 * `e2eRounds`: over one pre-produced topic, alternating: kafkajs consuming and discarding it (the client's ceiling,
 * bench/process-baselines.ts), then `startProcessor` (--until-idle, lake and MySQL when given, fresh state and group
 * each round), …, and a last ceiling run. Each round's ratio is its sustained end-to-end rate (first batch taken to
 * every tick consumed, committed and delivered) over the mean rate of the ceiling runs just before and after it;
 * the figure is the median of the rounds' ratios (this machine is shared: a ratio within one round is what counts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import type { InMessage } from '../processors/ticks/core.js';
import { type ProcessorStats, startProcessor } from '../processors/ticks/processor.js';
import { fnv1a32 } from '../producers/rng.js';
import { Simulator } from '../producers/simulator.js';
import type { SymbolSpec } from '../producers/universe.js';
import { processCpuSeconds } from './proc-cpu.js';
import { kafkajsCeiling } from './process-baselines.js';
import { type Measured, measured } from './process-core.js';
import { peakRssMiBOf } from './result.js';
import { median } from './stats.js';

const bin = fileURLToPath(new URL('../cli/bin.js', import.meta.url));

/**
 * A seeded run's ticks from `start`, as Kafka-like messages (partition by symbol), in batches of `size`; with an
 * identity (`src`, `seq`), as the producers send them, so the processor's per-tick identity check is measured too.
 */
export function* seededBatches(o: {
  symbols: SymbolSpec[];
  seed: number;
  start: number;
  partitions: number;
  size: number;
  tickIntervalMs: number;
  source: string;
}): Generator<InMessage[]> {
  const sim = new Simulator(o.symbols, {
    seed: o.seed,
    start: o.start,
    tickIntervalMs: o.tickIntervalMs,
    source: o.source,
  });
  const next = new Array(o.partitions).fill(0);
  for (;;) {
    const out: InMessage[] = [];
    while (out.length < o.size && sim.next()) {
      const t = sim.tick();
      const p = fnv1a32(t.symbol) % o.partitions;
      out.push({ partition: p, offset: next[p]++, key: Buffer.from(t.symbol), value: Buffer.from(sim.encode()) });
    }
    if (out.length === 0) return;
    yield out;
  }
}

/** `count` ticks of a seeded run at 5 ms steps from `start` (seededBatches, one batch). */
export function seededMessages(o: {
  symbols: SymbolSpec[];
  count: number;
  seed: number;
  start: number;
  partitions: number;
}): InMessage[] {
  const batches = seededBatches({ ...o, size: o.count, tickIntervalMs: 5, source: `bench-${o.seed}` });
  return batches.next().value ?? [];
}

/** Sends `list` to `topic` in its partitions, 10,000 messages a request, acks -1. */
export async function produceAll(producer: Producer, topic: string, list: InMessage[]): Promise<void> {
  for (let i = 0; i < list.length; i += 10_000) {
    await producer.send({
      topic,
      acks: -1,
      messages: list.slice(i, i + 10_000).map((m) => ({ partition: m.partition, key: m.key, value: m.value })),
    });
  }
}

export interface BrokerProcess {
  child: ChildProcess;
  address: string;
  /** CPU seconds the broker process used so far. */
  cpuS(): number;
  /** Its peak RSS, MiB (null once it exited). */
  peakRssMiB(): number | null;
  /** SIGTERM, resolved once it exited (its data directory can be removed then). */
  stop(): Promise<void>;
}

export function startBrokerProcess(dataDir: string, partitions: number): Promise<BrokerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, 'broker', '--port', '0', '--data-dir', dataDir, '--default-partitions', String(partitions)],
      { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /broker listening on (\S+)/.exec(out);
      if (!m) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      };
      resolve({ child, address: m[1], cpuS: () => procCpuS(child), peakRssMiB: () => procPeakRss(child), stop });
    });
    child.once('exit', (code) => reject(new Error(`broker exited early with code ${code}`)));
  });
}

function procCpuS(child: ChildProcess): number {
  return processCpuSeconds(child.pid as number).self;
}

function procPeakRss(child: ChildProcess): number | null {
  return peakRssMiBOf(child.pid as number);
}

export interface CeilingRun {
  ms: number;
  cpuS: number;
  brokerCpuS: number;
  peakRssMiB: number | null;
}

export interface E2eRound {
  stats: ProcessorStats;
  /** Start to exit (group join and final flush included). */
  ms: number;
  cpuS: number;
  brokerCpuS: number;
  peakRssMiB: number | null;
  /** First batch taken to every tick delivered (ticks/s). */
  sustainedRate: number;
  /** Start to exit (ticks/s). */
  rate: number;
  /** sustainedRate over the mean rate of the ceiling runs before and after this round. */
  ratio: number;
}

export interface E2eOptions {
  broker: BrokerProcess;
  topic: string;
  /** Messages in the topic. */
  count: number;
  rounds: number;
  dir: string;
  /** A fresh MySQL database for round i, or undefined for a lake-only run. */
  mysqlUrl?: (round: number) => Promise<string | undefined>;
  /** The processor's batchMessages (its default when absent). */
  batchMessages?: number;
}

export async function e2eRounds(o: E2eOptions): Promise<{ ceilings: CeilingRun[]; rounds: E2eRound[] }> {
  const ceilings: CeilingRun[] = [];
  const rounds: E2eRound[] = [];
  const ceiling = async () => {
    const b = o.broker.cpuS();
    const m = await measured(() => kafkajsCeiling([o.broker.address], o.topic, o.count));
    ceilings.push({ ms: m.value, cpuS: m.cpuS, brokerCpuS: o.broker.cpuS() - b, peakRssMiB: m.peakRssMiB });
  };
  await ceiling();
  for (let i = 0; i < o.rounds; i++) {
    const mysqlUrl = await o.mysqlUrl?.(i);
    const b = o.broker.cpuS();
    const run: Measured<ProcessorStats> = await measured(async () => {
      const proc = await startProcessor({
        brokers: [o.broker.address],
        topic: o.topic,
        group: `bench-e2e-${i}`,
        lakeDir: join(o.dir, `e2e-${i}`, 'lake'),
        stateDir: join(o.dir, `e2e-${i}`, 'state'),
        mysqlUrl,
        untilIdle: true,
        batchMessages: o.batchMessages,
      });
      return proc.done;
    });
    const brokerCpuS = o.broker.cpuS() - b;
    await ceiling();
    const s = run.value;
    const sustainedRate = s.consumed / (((s.caughtUpAt ?? Number.NaN) - (s.firstBatchAt ?? Number.NaN)) / 1000);
    // the mean of the two ceiling runs' times (a median of two would be the slower one, flattering the ratio)
    const ceilingMs = (ceilings[i].ms + ceilings[i + 1].ms) / 2;
    rounds.push({
      stats: s,
      ms: run.ms,
      cpuS: run.cpuS,
      brokerCpuS,
      peakRssMiB: run.peakRssMiB,
      sustainedRate,
      rate: s.consumed / (run.ms / 1000),
      ratio: sustainedRate / (o.count / (ceilingMs / 1000)),
    });
  }
  return { ceilings, rounds };
}

/** The medians and figures' texts of `e2eRounds`'s result. */
export function summarize(r: { ceilings: CeilingRun[]; rounds: E2eRound[] }, count: number) {
  const perM = (s: number, n: number) => Math.round((s / n) * 1e7) / 10;
  const e2eCpu = median(r.rounds.map((x) => perM(x.cpuS, x.stats.consumed)));
  const e2eBroker = median(r.rounds.map((x) => perM(x.brokerCpuS, x.stats.consumed)));
  const ceilCpu = median(r.ceilings.map((c) => perM(c.cpuS, count)));
  const ceilBroker = median(r.ceilings.map((c) => perM(c.brokerCpuS, count)));
  return {
    ratio: median(r.rounds.map((x) => x.ratio)),
    sustainedRate: median(r.rounds.map((x) => x.sustainedRate)),
    rate: median(r.rounds.map((x) => x.rate)),
    ceilingRate: count / (median(r.ceilings.map((c) => c.ms)) / 1000),
    e2eCpuPerM: e2eCpu,
    e2eBrokerCpuPerM: e2eBroker,
    ceilingCpuPerM: ceilCpu,
    ceilingBrokerCpuPerM: ceilBroker,
    e2ePeakRssMiB: Math.max(...r.rounds.map((x) => x.peakRssMiB ?? 0)),
    ceilingPeakRssMiB: Math.max(...r.ceilings.map((c) => c.peakRssMiB ?? 0)),
    /** Every run, for the details. */
    runs: {
      ceilings: r.ceilings.map((c) => ({ ...c, ms: Math.round(c.ms), cpuS: Math.round(c.cpuS * 10) / 10 })),
      rounds: r.rounds.map((x) => ({
        ms: Math.round(x.ms),
        cpuS: Math.round(x.cpuS * 10) / 10,
        brokerCpuS: x.brokerCpuS,
        peakRssMiB: x.peakRssMiB,
        ticks: x.stats.consumed,
        batches: x.stats.batches,
        joinMs: Math.round((x.stats.firstBatchAt ?? Number.NaN) - x.stats.startedAt),
        sustainedMs: Math.round((x.stats.caughtUpAt ?? Number.NaN) - (x.stats.firstBatchAt ?? Number.NaN)),
        flushMs: Math.round((x.stats.finishedAt ?? Number.NaN) - (x.stats.caughtUpAt ?? Number.NaN)),
        sustainedRate: Math.round(x.sustainedRate),
        ratio: Math.round(x.ratio * 1000) / 1000,
      })),
    },
  };
}

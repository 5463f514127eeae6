/**
 * One run of simulated exchanges into Kafka: builds the simulator for the chosen symbols, sends its ticks in
 * batches (producers/sender.ts), paces them to `rate` messages per second of wall time when asked, and stops at
 * `count` messages, at the simulator's end time, or when `signal` aborts (Ctrl-C), always after flushing.
 */
import { logger } from '../core/log.js';
import { Progress, rateText } from './progress.js';
import { TickSender } from './sender.js';
import { Simulator, type SimulatorOptions } from './simulator.js';
import type { TickEncode } from './tick-encoding.js';
import { simulationSource } from './tick-source.js';
import type { SymbolSpec } from './universe.js';

export interface ProduceOptions {
  brokers: string[];
  topic: string;
  symbols: readonly SymbolSpec[];
  sim: SimulatorOptions;
  /** Stop after this many messages (undefined = until the end time or the signal). */
  count?: number;
  /** Most messages per second of wall time; 0 = as fast as possible. */
  rate: number;
  batchSize: number;
  retries: number;
  signal?: AbortSignal;
  /** Label of the progress and summary lines. */
  label?: string;
  progress?: Progress;
  /** Message values other than the JSON text (--format avro: producers/tick-encoding.ts). */
  encode?: TickEncode;
}

export interface ProduceSummary {
  sent: number;
  /** Produce requests sent (batches). */
  requests: number;
  seconds: number;
  firstTs: number | null;
  lastTs: number | null;
  symbols: number;
  aborted: boolean;
}

const log = logger('produce');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runProduce(opts: ProduceOptions): Promise<ProduceSummary> {
  // the ticks' identity: the same parameters give the same ticks, under the same name (tick-source.ts)
  const source = opts.sim.source ?? simulationSource({ ...opts.sim, symbols: opts.symbols });
  const sim = new Simulator(opts.symbols, { ...opts.sim, source });
  const label = opts.label ?? 'produce';
  const progress = opts.progress ?? new Progress(label);
  const limit = opts.count ?? Number.POSITIVE_INFINITY;
  // With a rate cap, send smaller requests (about 20 a second) so the pace is smooth.
  const batchSize = opts.rate > 0 ? Math.max(1, Math.min(opts.batchSize, Math.ceil(opts.rate / 20))) : opts.batchSize;
  const connectStarted = performance.now();
  let sender: TickSender;
  try {
    sender = await TickSender.connect({ ...opts, batchSize });
  } catch (e) {
    const seconds = (performance.now() - connectStarted) / 1000;
    progress.done(`${label}: FAILED after ${rateText(0, seconds)}: ${(e as Error).message}`);
    throw e;
  }
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  let produced = 0;
  const started = performance.now();
  try {
    while (produced < limit && !opts.signal?.aborted) {
      const m = sim.next();
      if (m === null) break;
      if (firstTs === null) firstTs = sim.ts;
      lastTs = sim.ts;
      produced++;
      if (sender.push(m.spec.symbol, opts.encode ? opts.encode(sim.tick()) : sim.encode())) {
        await sender.flush();
        progress.update(sender.acked, `event time ${new Date(sim.ts).toISOString()}`);
        if (opts.rate > 0) {
          const ahead = (produced / opts.rate) * 1000 - (performance.now() - started);
          if (ahead > 0) await sleep(ahead);
        }
      }
    }
    await sender.close();
  } catch (e) {
    await sender.abort();
    const seconds = (performance.now() - started) / 1000;
    progress.done(`${label}: FAILED after ${rateText(sender.acked, seconds)}: ${(e as Error).message}`);
    throw e;
  }
  const seconds = (performance.now() - started) / 1000;
  const summary: ProduceSummary = {
    sent: sender.acked,
    requests: sender.requests,
    seconds,
    firstTs,
    lastTs,
    symbols: sim.models.length,
    aborted: opts.signal?.aborted === true,
  };
  const span = firstTs === null ? 'nothing to send' : `event time ${iso(firstTs)} .. ${iso(lastTs!)}`;
  progress.done(
    `${label}: sent ${rateText(summary.sent, seconds)} to ${opts.topic}, ${summary.symbols} symbols, ${span}${summary.aborted ? ' (interrupted)' : ''}`,
  );
  log.info(summary, 'produce finished');
  return summary;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Section 1 of `npm run bench:process`: the processor's core fed from memory, and what its deterministic stream SQL
 * costs.
 *
 * `runCore` feeds Kafka-like messages through ProcessorCore.submit (parse, state transaction, windows, stream SQL,
 * tick archive; the next batch submitted while the previous one's transaction runs) and lake delivery (on its own
 * connection, one batch behind), as the processor does, in batches of 50,000, with fresh state in its own folder.
 *
 * `unorderedStreams`: the shipped stream SQL with the fixed summation order taken out of its floating-point
 * aggregates (bars' notional and volatility, valuations' NAV) — what the SQL was before replays became
 * bit-identical (docs/processor.md) — so that the bench can run both over the same ticks, alternating, and report
 * the ordering's cost as a ratio.
 *
 * `openBenchCore`: the core opened as the processor opens it, for runCore and bench:core-memory.
 *
 * `measured`: wall time, CPU time of this process (every thread: JavaScript, DuckDB, libuv) and the peak RSS of
 * this one step (the kernel's high-water mark reset before it through /proc/self/clear_refs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logger } from '../core/log.js';
import { Delivery } from '../processors/sinks/delivery.js';
import { type HoldingRow, type InMessage, type PortfolioRow, ProcessorCore } from '../processors/ticks/core.js';
import { createSchema, openState } from '../processors/ticks/state.js';
import { loadStreamFiles, parseStreamFile, type StreamFile } from '../processors/ticks/stream-sql.js';
import { parseWindows } from '../processors/time/windows.js';
import { peakRssMiBOf } from './result.js';

export interface Measured<T> {
  value: T;
  ms: number;
  /** CPU seconds of this process (all threads). */
  cpuS: number;
  /** Peak RSS of this process during the step, MiB (null where /proc/self/clear_refs is not writable). */
  peakRssMiB: number | null;
}

/** Runs `fn`, timing it and taking its CPU time and the peak RSS it reached. */
export async function measured<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  let resetOk = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS (Linux ≥ 4.0)
  } catch {
    resetOk = false;
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, ms, cpuS: (cpu.user + cpu.system) / 1e6, peakRssMiB: resetOk ? peakRssMiBOf(process.pid) : null };
}

/** The shipped stream SQL without the fixed summation order of its floating-point aggregates. */
export function unorderedStreams(): StreamFile[] {
  const edits: Record<string, [RegExp, string][]> = {
    'bars.sql': [
      [/kahan_sum\(size order by ts, kafka_partition, kafka_offset\)/, 'sum(size)'],
      [/kahan_sum\(price \* size order by ts, kafka_partition, kafka_offset\)/, 'kahan_sum(price * size)'],
      [/stddev_samp\(r order by ts, kafka_partition, kafka_offset\)/, 'stddev_samp(r)'],
    ],
    'valuations.sql': [
      [/sum\(h\.quantity \* px\.close order by h\.symbol, h\.quantity\)/, 'sum(h.quantity * px.close)'],
    ],
    'volume-spikes.sql': [[/list_avg\(list\(volume\) over w\)/, 'avg(volume) over w']],
  };
  return loadStreamFiles().map((f) => {
    const name = f.file.split('/').at(-1) ?? '';
    const list = edits[name];
    if (!list) return f;
    let text = readFileSync(f.file, 'utf8');
    for (const [re, to] of list) {
      // the bench must not compare the shipped SQL with itself: a changed stream file stops it here
      if (!re.test(text)) throw new Error(`bench: ${f.file} no longer has ${re}; update unorderedStreams`);
      text = text.replace(re, to);
    }
    return parseStreamFile(f.file, text);
  });
}

export interface CoreRun {
  /** Wall time of submit + pipelined delivery alone, without the final flush. */
  coreOnlyMs: number;
  /** ProcessorCore.phaseMs, rounded. */
  phasesMs: Record<string, number>;
}

/** What openBenchCore opened: the state database, the core over it, and lake delivery on its own connection. */
export interface BenchCore {
  state: Awaited<ReturnType<typeof openState>>;
  core: ProcessorCore;
  delivery: Delivery;
  /** Closes delivery's connection and the state database. */
  close: () => void;
  /** Reopens the state database as the processor does every --state-reopen-every batches (delivery's connection too). */
  reopen: () => Promise<void>;
}

/**
 * Opens the core as the processor does, over fresh state in `dir` (state/ and lake/): the state database (with
 * `settings`, DuckDB SET statements, applied before its schema), the core, and delivery on its own connection.
 */
export async function openBenchCore(opts: {
  dir: string;
  windows: string;
  portfolios: PortfolioRow[];
  holdings: HoldingRow[];
  partitions: number;
  streams?: StreamFile[];
  stateCheckpointBatches?: number;
  settings?: string[];
}): Promise<BenchCore> {
  const state = await openState(join(opts.dir, 'state'));
  for (const s of opts.settings ?? []) await state.conn.run(`SET ${s}`);
  await createSchema(state.conn);
  const core = await ProcessorCore.open({
    state,
    lakeDir: join(opts.dir, 'lake'),
    windows: parseWindows(opts.windows),
    latenessMs: 5000,
    topic: 'ticks',
    partitionCount: opts.partitions,
    portfolios: opts.portfolios,
    holdings: opts.holdings,
    streams: opts.streams,
    stateCheckpointBatches: opts.stateCheckpointBatches,
  });
  let deliveryConn = await state.instance.connect();
  const delivery = new Delivery({ conn: deliveryConn, lakeDir: join(opts.dir, 'lake'), log: logger('bench') });
  const close = () => {
    deliveryConn.closeSync();
    state.conn.closeSync();
    state.instance.closeSync();
  };
  const reopen = async () => {
    deliveryConn.closeSync();
    await core.reopen();
    deliveryConn = await state.instance.connect();
    delivery.useConnection(deliveryConn);
  };
  return { state, core, delivery, close, reopen };
}

export async function runCore(opts: {
  msgs: InMessage[];
  dir: string;
  portfolios: PortfolioRow[];
  holdings: HoldingRow[];
  partitions: number;
  streams?: StreamFile[];
}): Promise<CoreRun> {
  // as in the processor: delivery on its own connection, one batch behind, while the next batch is processed
  const { core, delivery, close } = await openBenchCore({ ...opts, windows: '1m,1d' });
  let coreOnlyMs = 0;
  let delivering: Promise<unknown> = Promise.resolve();
  // as in the processor: the next batch is submitted while the previous one's transaction runs
  let pending: Promise<unknown> | null = null;
  for (let i = 0; i < opts.msgs.length; i += 50_000) {
    const a = performance.now();
    const submitted = core.submit(opts.msgs.slice(i, i + 50_000));
    if (pending) await pending;
    coreOnlyMs += performance.now() - a;
    await delivering;
    delivering = delivery.deliverAll();
    pending = submitted;
  }
  await pending;
  await delivering;
  await core.flush();
  await delivery.deliverAll();
  const phasesMs = Object.fromEntries(Object.entries(core.phaseMs).map(([k, v]) => [k, Math.round(v)]));
  close();
  return { coreOnlyMs, phasesMs };
}

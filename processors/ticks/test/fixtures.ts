/**
 * Test input for the processor: a seeded producer run (producers/simulator.ts over the real universe file) cut into
 * Kafka-like messages (key = symbol, partition = hash of the key), plus hand-made extras that exercise every
 * output: a price jump and crash (> 3 % and > 8 %), a volume spike after 20 quiet bars, an out-of-order tick within
 * the lateness, ticks that arrive after their window closed, and invalid messages.
 */

import { join } from 'node:path';
import { loadPortfolioSeeds } from '../../../contracts/portfolio-seeds.js';
import { encodeTick, type Tick } from '../../../contracts/tick.js';
import { fnv1a32 } from '../../../producers/rng.js';
import { Simulator } from '../../../producers/simulator.js';
import { loadUniverse, selectSymbols } from '../../../producers/universe.js';
import { parseWindows } from '../../time/windows.js';
import { type CoreOptions, type InMessage, ProcessorCore } from '../core.js';
import { createSchema, openState, type StateDb } from '../state.js';
import type { TickBatch } from '../tick-batch.js';

/** Monday 2026-01-05 09:30:00 UTC. */
export const T0 = Date.UTC(2026, 0, 5, 9, 30);
export const PARTITIONS = 3;

export function partitionOf(symbol: string, partitions = PARTITIONS): number {
  return fnv1a32(symbol) % partitions;
}

/** The messages, each on its symbol's partition (`partitionOf`), as a processor test or benchmark produces them. */
export function onSymbolPartitions(messages: InMessage[], partitions = PARTITIONS): InMessage[] {
  return messages.map((m) => ({ ...m, partition: partitionOf(typeof m.key === 'string' ? m.key : '', partitions) }));
}

export class MessageLog {
  readonly messages: InMessage[] = [];
  private readonly next = new Map<number, number>();
  constructor(readonly partitions = PARTITIONS) {}

  add(key: string | null, value: string, partition = partitionOf(key ?? '', this.partitions)): InMessage {
    const offset = this.next.get(partition) ?? 0;
    this.next.set(partition, offset + 1);
    const m = { partition, offset, key, value };
    this.messages.push(m);
    return m;
  }

  tick(t: Tick): InMessage {
    return this.add(t.symbol, encodeTick(t));
  }
}

export interface SeededRun {
  log: MessageLog;
  /** Valid ticks that the test expects in `late_ticks` for the 1m window (symbol, ts). */
  lateTicks: Tick[];
  invalid: number;
}

/**
 * `minutes` of simulated trading from T0 for the symbols of the universe (all exchanges), one step every
 * `intervalMs`, with the extras above mixed in. Deterministic.
 */
export async function seededRun(minutes = 26, intervalMs = 2000, seed = 42): Promise<SeededRun> {
  const universe = await loadUniverse();
  const symbols = selectSymbols(universe);
  const sim = new Simulator(symbols, { seed, start: T0, tickIntervalMs: intervalMs, end: T0 + minutes * 60_000 });
  const log = new MessageLog();
  const lateTicks: Tick[] = [];
  let invalid = 0;
  const victim = symbols.find((s) => s.symbol === 'AAPL') ?? symbols[0];
  const base = (ts: number, price: number, size: number): Tick => ({
    v: 1,
    symbol: victim.symbol,
    exchange: victim.exchange,
    assetClass: victim.assetClass,
    ts,
    price,
    size,
  });
  let lastPrice = victim.startPrice;
  let injectedMinute = -1;
  let reordered = false;
  while (sim.next()) {
    const t = sim.tick();
    if (t.symbol === victim.symbol) lastPrice = t.price;
    log.tick(t);
    if (t.symbol === victim.symbol && t.ts === T0 + 6 * 60_000 + 58_000) {
      // arrives last in its window but is not the last by event time: the bar's close is the tick before it
      log.tick(base(t.ts - 1000, lastPrice * 1.01, 7));
      reordered = true;
    }
    const minute = Math.floor((t.ts - T0) / 60_000);
    if (minute === injectedMinute || t.symbol !== victim.symbol) continue;
    injectedMinute = minute;
    if (minute === 3) {
      // jump +5 % (SPIKE, WARNING) then -10 % (FLASH_CRASH, CRITICAL), then back
      log.tick(base(t.ts + 1, lastPrice * 1.05, 10));
      log.tick(base(t.ts + 2, lastPrice * 1.05 * 0.9, 10));
      log.tick(base(t.ts + 3, lastPrice, 10));
    }
    if (minute === 5) {
      // out of order within the 5 s lateness: on time, 1.5 s before the tick that preceded it in the stream
      log.tick(base(t.ts - 1500, lastPrice * 1.001, 5));
    }
    if (minute === 7 && t.ts % 60_000 >= 10_000) {
      // 9 s after the minute started the previous minute's window has closed (watermark = max ts - 5 s)
      const late = base(t.ts - (t.ts % 60_000) - 500, lastPrice, 3);
      log.tick(late);
      lateTicks.push(late);
    } else if (minute === 7) {
      injectedMinute = -1; // try again later in minute 7
    }
    if (minute === 23) {
      // a volume spike after more than 20 bars of ordinary volume
      log.tick(base(t.ts + 1, lastPrice, 5_000_000));
    }
    if (minute === 9) {
      log.add(victim.symbol, 'not json {');
      log.add(victim.symbol, JSON.stringify({ ...base(t.ts, -1, 1) }));
      log.add(victim.symbol, JSON.stringify({ ...base(t.ts, 1, 0) })); // size must be > 0
      log.add(null, JSON.stringify({ v: 1, symbol: victim.symbol }));
      invalid += 4;
    }
  }
  if (!reordered) throw new Error(`fixture: ${victim.symbol} did not trade at 09:36:58`);
  return { log, lateTicks, invalid };
}

/** The tick fields of row `i` of a parsed batch (a valid row), text columns looked up in its dictionary. */
export function tickAt(b: TickBatch, i: number) {
  return {
    symbol: b.strings[b.symbol[i]],
    exchange: b.strings[b.exchange[i]],
    assetClass: b.strings[b.assetClass[i]],
    ts: b.ts[i],
    price: b.price[i],
    size: b.size[i],
  };
}

/**
 * A core over a new state in `dir` (`state/`, lake in `lake/`) as the processor opens one: topic `ticks`, PARTITIONS
 * partitions, 5 s lateness, the seeded portfolios, the clock an hour after T0; `options` override any of it.
 */
export async function openTestCore(
  dir: string,
  windows: string,
  options: Partial<Omit<CoreOptions, 'state' | 'windows'>> = {},
): Promise<{ state: StateDb; core: ProcessorCore }> {
  const seeds = await loadPortfolioSeeds();
  const state = await openState(join(dir, 'state'));
  await createSchema(state.conn);
  const core = await ProcessorCore.open({
    state,
    lakeDir: join(dir, 'lake'),
    windows: parseWindows(windows),
    latenessMs: 5000,
    topic: 'ticks',
    partitionCount: PARTITIONS,
    portfolios: seeds.portfolios,
    holdings: seeds.holdings,
    clock: () => T0 + 3_600_000,
    ...options,
  });
  return { state, core };
}

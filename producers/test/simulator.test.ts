import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeTick, tickProblem } from '../../contracts/tick.js';
import { Simulator, simulate } from '../simulator.js';
import { loadUniverse, type SymbolSpec, selectSymbols } from '../universe.js';

const START = Date.UTC(2026, 0, 5, 9, 30); // Monday 2026-01-05 09:30 UTC

function digest(symbols: readonly SymbolSpec[], seed: number | string, n: number): string {
  const sim = new Simulator(symbols, { seed, start: START, tickIntervalMs: 250 });
  const h = createHash('sha256');
  for (let i = 0; i < n && sim.next(); i++) h.update(`${sim.key()}\t${sim.encode()}\n`);
  return h.digest('hex');
}

describe('simulator determinism', async () => {
  const universe = await loadUniverse();
  const all = selectSymbols(universe);

  it('the same seed gives byte-identical messages; another seed does not', () => {
    expect(digest(all, 42, 50_000)).toBe(digest(all, 42, 50_000));
    expect(digest(all, 42, 50_000)).not.toBe(digest(all, 43, 50_000));
  });

  it('the message sequence does not depend on the order of the universe', () => {
    const shuffled = [...all].reverse();
    shuffled.push(shuffled.shift()!);
    expect(digest(shuffled, 7, 20_000)).toBe(digest(all, 7, 20_000));
  });

  it('adding or removing symbols does not change the other symbols’ ticks', () => {
    const n = 29 * 500;
    const full = simulate(all, { seed: 9, start: START, tickIntervalMs: 250 }, n);
    const some = all.filter((_, i) => i % 3 === 0);
    const kept = new Set(some.map((s) => s.symbol));
    const partial = simulate(some, { seed: 9, start: START, tickIntervalMs: 250 }, some.length * 500);
    expect(partial).toEqual(full.filter((t) => kept.has(t.symbol)));
  });

  it('encode() is the canonical encodeTick of the tick, and every tick satisfies the schema', () => {
    const sim = new Simulator(all, { seed: 1, start: START, tickIntervalMs: 250 });
    for (let i = 0; i < 5000; i++) {
      sim.next();
      const t = sim.tick();
      expect(sim.encode()).toBe(encodeTick(t));
      expect(tickProblem(JSON.parse(sim.encode()))).toBeNull();
      expect(sim.key()).toBe(t.symbol);
    }
  });
});

describe('simulated clock', async () => {
  const universe = await loadUniverse();
  const se1 = selectSymbols(universe, 'SE1');

  it('intraday: step k at start + k·interval, each symbol once per step, in symbol order', () => {
    const ticks = simulate(se1, { seed: 1, start: START, tickIntervalMs: 250 }, 12 * 3);
    const sorted = se1.map((s) => s.symbol).sort();
    for (let k = 0; k < 3; k++) {
      const step = ticks.slice(k * 12, k * 12 + 12);
      expect(step.map((t) => t.symbol)).toEqual(sorted);
      expect(new Set(step.map((t) => t.ts))).toEqual(new Set([START + k * 250]));
      expect(step.every((t) => t.exchange === 'SE1' && t.assetClass === 'equity')).toBe(true);
    }
  });

  it('stops before the end time', () => {
    const ticks = simulate(se1, { seed: 1, start: START, tickIntervalMs: 1000, end: START + 10_000 }, 1e6);
    expect(ticks).toHaveLength(12 * 10);
    expect(Math.max(...ticks.map((t) => t.ts))).toBe(START + 9000);
  });

  it('daily: weekdays only at 00:00 UTC, from the first weekday at or after the start', () => {
    // Saturday 2000-01-01 to Monday 2000-02-07 (exclusive): the weekdays of January 2000 after the 1st, and Feb 1-4
    const start = Date.UTC(2000, 0, 1);
    const end = Date.UTC(2000, 1, 7);
    const ticks = simulate(se1.slice(0, 1), { seed: 1, start, tickIntervalMs: 1, daily: true, end }, 1e6);
    const expected: number[] = [];
    for (let t = start; t < end; t += 86_400_000) {
      const wd = new Date(t).getUTCDay();
      if (wd !== 0 && wd !== 6) expected.push(t);
    }
    expect(expected).toHaveLength(25);
    expect(ticks.map((t) => t.ts)).toEqual(expected);
  });

  it('daily from a weekday afternoon starts the next day', () => {
    const ticks = simulate(
      se1.slice(0, 1),
      { seed: 1, start: Date.UTC(2026, 0, 5, 15), tickIntervalMs: 1, daily: true },
      2,
    );
    expect(ticks.map((t) => new Date(t.ts).toISOString())).toEqual([
      '2026-01-06T00:00:00.000Z',
      '2026-01-07T00:00:00.000Z',
    ]);
  });
});

/**
 * The names producers give their tick sequences (tick-source.ts): the same ticks must get the same name (so a
 * repeat is recognised) and different ticks a different one (so they are not taken for repeats); every name is a
 * valid `src` (1–64 printable ASCII characters without `"` or `\`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickProblem } from '../../contracts/tick.js';
import { liveSource, replaySource, simulationSource } from '../tick-source.js';
import { loadUniverse, type SymbolSpec, selectSymbols } from '../universe.js';

const valid = (src: string) =>
  tickProblem({ v: 1, symbol: 'X', exchange: 'E', assetClass: 'equity', ts: 0, price: 1, size: 1, src, seq: 1 });

describe('tick sources', () => {
  let dir: string;
  let symbols: SymbolSpec[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-source-'));
    symbols = selectSymbols(await loadUniverse(), 'SE1');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a bounded simulation: the same parameters, the same name; any parameter changed, another', () => {
    const p = { seed: 5, start: 1_767_225_600_000, tickIntervalMs: 250, symbols };
    const src = simulationSource(p);
    expect(src).toMatch(/^sim-[0-9a-f]{16}$/);
    expect(valid(src)).toBeNull();
    expect(simulationSource({ ...p, symbols: [...symbols].reverse() })).toBe(src); // the universe's order does not matter
    const others = [
      { ...p, seed: 6 },
      { ...p, seed: '5x' },
      { ...p, start: p.start + 1 },
      { ...p, tickIntervalMs: 251 },
      { ...p, daily: true },
      { ...p, symbols: symbols.slice(1) },
      { ...p, symbols: [{ ...symbols[0], sigma: symbols[0].sigma * 2 }, ...symbols.slice(1)] },
    ];
    expect(new Set([src, ...others.map(simulationSource)]).size).toBe(others.length + 1);
  });

  it("a replay: the file's name and a hash of its bytes", async () => {
    const a = join(dir, 'trades 2024 (Börse).csv');
    await writeFile(a, 'ts,symbol,price\n2024-01-02,X,1\n');
    const src = await replaySource(a);
    expect(src).toMatch(/^replay-trades_2024__B_rse_.csv-[0-9a-f]{12}$/);
    expect(valid(src)).toBeNull();
    expect(await replaySource(a)).toBe(src);
    await writeFile(a, 'ts,symbol,price\n2024-01-02,X,2\n');
    expect(await replaySource(a)).not.toBe(src);
    const long = join(dir, `${'x'.repeat(200)}.csv`);
    await writeFile(long, 'ts,symbol,price\n');
    const longSrc = await replaySource(long);
    expect(longSrc.length).toBeLessThanOrEqual(64);
    expect(valid(longSrc)).toBeNull();
  });

  it('a live exchange: its name and a random suffix (kept in its checkpoint by live-exchange.ts)', () => {
    const a = liveSource('SE1');
    expect(a).toMatch(/^SE1-[0-9a-f]{8}$/);
    expect(liveSource('SE1')).not.toBe(a);
    expect(valid(liveSource('x'.repeat(32)))).toBeNull();
  });
});

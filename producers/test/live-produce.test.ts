/**
 * `produce --live` (the docker-compose producers): an exchange restarted on its own continues its prices and random
 * stream exactly (per symbol the (price, size) sequence equals one uninterrupted simulation) while its event time
 * jumps to the wall clock (a gap, never a step back). Messages are read back with kcat, a second client.
 */

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import type { Tick } from '../../contracts/tick.js';
import { useBroker } from '../../test/helpers/broker.js';
import { requireTool } from '../../test/helpers/tools.js';
import { runLiveProduce } from '../live-produce.js';
import { Simulator } from '../simulator.js';
import { DEFAULT_UNIVERSE_FILE, loadUniverse } from '../universe.js';

const kcat = requireTool('kcat');
const INTERVAL = 50;

describe.skipIf(!kcat)('produce --live', () => {
  let dir: string;
  let broker: RunningBroker;
  const embedded = useBroker('tl-live', { groupInitialRebalanceDelayMs: 0 });
  beforeAll(() => {
    ({ dir, broker } = embedded);
  });

  const runFor = async (ms: number, exchange: Awaited<ReturnType<typeof loadUniverse>>['exchanges'][number]) => {
    const abort = new AbortController();
    const lines: string[] = [];
    const run = runLiveProduce({
      brokers: [broker.address],
      topic: 'ticks',
      exchanges: [exchange],
      seed: '7',
      tickIntervalMs: INTERVAL,
      dataDir: dir,
      batchSize: 100,
      retries: 3,
      signal: abort.signal,
      out: { write: (s: string) => lines.push(s) > 0 },
    });
    await sleep(ms);
    abort.abort();
    expect(await run).toBe(0);
    return lines.join('');
  };

  it('resumes prices and random streams exactly, event time from the clock', async () => {
    const universe = await loadUniverse(DEFAULT_UNIVERSE_FILE);
    const se2 = universe.exchanges.find((x) => x.id === 'SE2');
    if (!se2) throw new Error('SE2 missing from the universe');
    const out1 = await runFor(1500, se2);
    expect(out1).toMatch(/produce live: SE2, \d+ symbols, a step every 50 ms/);
    const cp1 = JSON.parse(await readFile(join(dir, 'exchanges', 'SE2.json'), 'utf8'));
    await sleep(1000); // the exchange is "down" for at least 20 steps
    await runFor(1500, se2);
    const cp2 = JSON.parse(await readFile(join(dir, 'exchanges', 'SE2.json'), 'utf8'));
    expect(cp2.sent).toBeGreaterThan(cp1.sent);

    // async: the broker runs in this process
    const { stdout: raw } = await promisify(execFile)(
      kcat as string,
      ['-b', broker.address, '-C', '-t', 'ticks', '-e', '-q', '-f', '%s\n'],
      {
        encoding: 'utf8',
      },
    );
    const ticks = raw
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Tick);
    expect(ticks.length).toBe(cp2.sent);
    const bySymbol = new Map<string, Tick[]>();
    for (const t of ticks) bySymbol.set(t.symbol, [...(bySymbol.get(t.symbol) ?? []), t]);
    expect(bySymbol.size).toBe(se2.symbols.length);

    // an uninterrupted simulation of the same symbols and seed, as long as what was sent
    const sim = new Simulator(se2.symbols, { seed: '7', start: 0, tickIntervalMs: INTERVAL });
    const expected = new Map<string, string[]>();
    for (let i = 0; i < ticks.length; i++) {
      const m = sim.next();
      if (!m) break;
      expected.set(m.spec.symbol, [...(expected.get(m.spec.symbol) ?? []), `${m.price} ${m.size}`]);
    }
    for (const [symbol, list] of bySymbol) {
      expect({ symbol, got: list.map((t) => `${t.price} ${t.size}`) }).toEqual({ symbol, got: expected.get(symbol) });
      // event time: steps of one interval, and exactly one jump forward (the downtime, >= 1 s) at the restart
      const steps = list.slice(1).map((t, i) => t.ts - list[i].ts);
      expect(steps.filter((s) => s !== INTERVAL && s < 900)).toEqual([]);
      expect(steps.filter((s) => s !== INTERVAL).length).toBe(1);
    }
  }, 60_000);
});

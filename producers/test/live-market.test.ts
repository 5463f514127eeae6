/**
 * The exchanges of `ticklake start` on one clock: an exchange whose producer takes long to connect does not make
 * its first ticks late. The wall clock is injected, so "connecting took 5 s" is exact, not a timing accident; the
 * messages are read back with kcat (a second client) and lateness is computed here, in offset order per partition,
 * with the processor's rule (a tick is late for its 2 s window once an earlier tick of its partition is 500 ms past
 * that window's end).
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import type { Tick } from '../../contracts/tick.js';
import { useBroker } from '../../test/helpers/broker.js';
import { requireTool } from '../../test/helpers/tools.js';
import { startLiveMarket } from '../live-market.js';
import { DEFAULT_UNIVERSE_FILE, loadUniverse } from '../universe.js';

const kcat = requireTool('kcat');
const INTERVAL = 100;
const WINDOW = 2000;
const LATENESS = 500;

describe.skipIf(!kcat)('live market', () => {
  let dir: string;
  let broker: RunningBroker;
  const embedded = useBroker('tl-market', { groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    const admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ticks', numPartitions: 3 }] });
    await admin.disconnect();
  });

  it('an exchange slow to connect does not make its first ticks late: the clock starts once all are connected', async () => {
    const universe = await loadUniverse(DEFAULT_UNIVERSE_FILE);
    const specs = universe.exchanges.filter((x) => x.id === 'SE1' || x.id === 'SE2');
    expect(specs.map((x) => x.id)).toEqual(['SE1', 'SE2']);
    const anchor = 1_767_225_600_000; // 2026-01-01T00:00Z, a step and window boundary
    let wall = 5_000_000;
    const market = await startLiveMarket({
      exchanges: specs,
      anchorEvent: anchor,
      wall: () => wall,
      brokers: [broker.address],
      topic: 'ticks',
      seed: '5',
      tickIntervalMs: INTERVAL,
      checkpointDir: join(dir, 'exchanges'),
      retries: 3,
      afterConnect: async (id) => {
        if (id !== 'SE1') return;
        // SE2's producer takes 5 s of wall time to connect; whatever SE1 does meanwhile, give it the time to do it
        wall += 5000;
        await sleep(1500);
      },
    });
    // then the wall clock moves in steps, each once both exchanges have produced what it made due (event time
    // follows the clock exactly: no backlog of one exchange can come behind the other's present)
    const steps = 30;
    for (let k = 0; k <= steps; k++) {
      if (k > 0) wall += INTERVAL;
      const due = market.clock.now();
      for (let i = 0; i < 2000 && market.exchanges.some((x) => (x.eventTime() ?? -1) < due); i++) await sleep(10);
    }
    await market.close();
    const sent = market.exchanges.reduce((a, x) => a + x.sent(), 0);

    const { stdout } = await promisify(execFile)(
      kcat as string,
      ['-b', broker.address, '-C', '-t', 'ticks', '-e', '-q', '-f', '%p %o %s\n'],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const rows = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [p, o, ...json] = l.split(' ');
        return { p: Number(p), o: Number(o), t: JSON.parse(json.join(' ')) as Tick };
      })
      .sort((a, b) => a.p - b.p || a.o - b.o);
    expect(rows.length).toBe(sent);
    // both exchanges, all their symbols, sharing partitions (otherwise nothing could be late)
    expect(new Set(rows.map((r) => r.t.symbol)).size).toBe(specs[0].symbols.length + specs[1].symbols.length);
    const exchangesOf = new Map<number, Set<string>>();
    for (const r of rows) exchangesOf.set(r.p, (exchangesOf.get(r.p) ?? new Set()).add(r.t.exchange));
    expect([...exchangesOf.values()].some((s) => s.size === 2)).toBe(true);

    // event time from the anchor: every symbol has a tick at every step from the anchor to the last step
    const bySymbol = new Map<string, number[]>();
    for (const r of rows) bySymbol.set(r.t.symbol, [...(bySymbol.get(r.t.symbol) ?? []), r.t.ts]);
    for (const [symbol, ts] of bySymbol) {
      expect({ symbol, first: Math.min(...ts) }).toEqual({ symbol, first: anchor });
      expect({ symbol, n: ts.length }).toEqual({ symbol, n: (Math.max(...ts) - anchor) / INTERVAL + 1 });
    }

    // lateness, per partition in offset order
    const late: string[] = [];
    let partition = -1;
    let max = Number.NEGATIVE_INFINITY;
    for (const r of rows) {
      if (r.p !== partition) {
        partition = r.p;
        max = Number.NEGATIVE_INFINITY;
      }
      const end = Math.floor(r.t.ts / WINDOW) * WINDOW + WINDOW;
      if (end <= max - LATENESS) late.push(`${r.t.symbol}@${r.t.ts - anchor}`);
      max = Math.max(max, r.t.ts);
    }
    expect(late).toEqual([]);
  }, 120_000);
});

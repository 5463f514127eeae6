/**
 * Tick identity in the core (tick-identity.ts; issue 20 item 5): a producer that crashed re-sends what it had sent
 * since its last checkpoint, with the same (src, symbol, seq). Stream B is stream A with such re-sends (ranges sent
 * again after later ticks, a repeat inside one batch, a repeat across a restart of the core); its lake must equal
 * A's, bit for bit: the same ticks (but their offsets) and exactly the same bars. Ticks without `seq`, and another
 * source's numbers, are never taken for repeats.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTick, type Tick } from '../../../contracts/tick.js';
import { logger } from '../../../core/log.js';
import { Simulator } from '../../../producers/simulator.js';
import { loadUniverse, selectSymbols } from '../../../producers/universe.js';
import { Delivery } from '../../sinks/delivery.js';
import { parseWindows } from '../../time/windows.js';
import { type BatchResult, type InMessage, ProcessorCore } from '../core.js';
import { createSchema, openState } from '../state.js';
import { MessageLog, PARTITIONS, T0 } from './fixtures.js';

const lake = (dir: string, t: string) =>
  `read_parquet('${dir}/${t}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

/** Feeds `messages` to a core in batches of `cut`, opening the core again before message `reopenAt`. */
async function run(dir: string, messages: InMessage[], cut: number, reopenAt = -1): Promise<BatchResult[]> {
  const open = async () => {
    const state = await openState(join(dir, 'state'));
    await createSchema(state.conn);
    const core = await ProcessorCore.open({
      state,
      lakeDir: join(dir, 'lake'),
      windows: parseWindows('1m,1d'),
      latenessMs: 5000,
      topic: 'ticks',
      partitionCount: PARTITIONS,
      portfolios: [],
      holdings: [],
      clock: () => T0 + 3_600_000,
    });
    return { state, core, delivery: new Delivery({ conn: state.conn, lakeDir: join(dir, 'lake'), log: logger('t') }) };
  };
  let o = await open();
  const results: BatchResult[] = [];
  for (let i = 0; i < messages.length; ) {
    const end = reopenAt > i && reopenAt < i + cut ? reopenAt : Math.min(messages.length, i + cut);
    const r = await o.core.submit(messages.slice(i, end));
    if (r) results.push(r);
    await o.delivery.deliverAll();
    i = end;
    if (i === reopenAt) {
      o.core.close();
      o.state.conn.closeSync();
      o.state.instance.closeSync();
      o = await open();
    }
  }
  const last = await o.core.flush();
  results.push(last);
  await o.delivery.deliverAll();
  o.core.close();
  o.state.conn.closeSync();
  o.state.instance.closeSync();
  return results;
}

describe('ticks with an identity are counted once', () => {
  let dir: string;
  let db: DuckDBConnection;
  let resent = 0;
  /** Ticks of the run without repeats: all counted. */
  let counted = 0;
  let resultsB: BatchResult[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-identity-'));
    const symbols = selectSymbols(await loadUniverse(), 'SE1');
    const sim = new Simulator(symbols, { seed: 3, start: T0, tickIntervalMs: 1000, source: 'SE1-0badcafe' });
    const ticks: Tick[] = [];
    while (ticks.length < 12 * 480 && sim.next()) ticks.push(sim.tick());
    // ticks of two other sources, interleaved: one with no identity (its exact repeats are not repeats), one
    // numbering AAPL's ticks from 1 again under another name
    const extra = (t: Tick, i: number): Tick[] =>
      t.symbol !== 'AAPL' || i % 40 !== 0
        ? []
        : [
            { v: 1, symbol: 'AAPL', exchange: 'SE1', assetClass: 'equity', ts: t.ts, price: t.price + 1, size: 7 },
            { ...t, src: 'SE1-another', seq: i / 40 + 1, price: t.price + 2 },
          ];
    const a = new MessageLog();
    const b = new MessageLog();
    for (const [i, t] of ticks.entries()) {
      for (const x of [t, ...extra(t, i)]) a.tick(x);
      for (const x of [t, ...extra(t, i)]) b.tick(x);
      // a producer crash every 700 ticks: what it sent since a checkpoint 150 ticks back comes again (the
      // simulated source's ticks: the ones without an identity are other producers')
      if (i % 700 === 699) {
        for (const r of ticks.slice(i - 149, i + 1)) b.tick(r);
        resent += 150;
      }
      if (i === 3000) {
        b.tick(t); // a repeat right behind the original, inside one batch
        resent++;
      }
    }
    expect(b.messages.length - a.messages.length).toBe(resent);
    counted = a.messages.length;
    await run(join(dir, 'a'), a.messages, 1000);
    resultsB = await run(join(dir, 'b'), b.messages, 777, 2450);
    db = await (await DuckDBInstance.create(':memory:')).connect();
  }, 120_000);

  afterAll(async () => {
    db?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('drops exactly the repeats, and none of them is late', () => {
    const sum = (k: keyof BatchResult) => resultsB.reduce((n, r) => n + Number(r[k]), 0);
    expect({ duplicates: sum('duplicates'), late: sum('late'), rejected: sum('rejected') }).toEqual({
      duplicates: resent,
      late: 0,
      rejected: 0,
    });
  });

  it("the lake's ticks (but offsets) and bars are bit-identical to the run without repeats", async () => {
    const same = async (table: string, cols: string) => {
      const q = (run: string) => `SELECT ${cols} FROM ${lake(join(dir, run, 'lake'), table)}`;
      const r = await db.runAndReadAll(`SELECT
        (SELECT count(*) FROM ((${q('a')} EXCEPT ALL ${q('b')}) UNION ALL (${q('b')} EXCEPT ALL ${q('a')})))::INTEGER,
        (SELECT count(*) FROM ${lake(join(dir, 'a', 'lake'), table)})::INTEGER`);
      return r.getRowsJS()[0].map(Number);
    };
    const [tickDiff, ticks] = await same('ticks', 'symbol, exchange, asset_class, ts, price, size, kafka_partition');
    expect({ tickDiff, ticks }).toEqual({ tickDiff: 0, ticks: counted });
    const [barDiff, bars] = await same('bars', '*');
    expect(barDiff).toBe(0);
    expect(bars).toBeGreaterThan(100);
  });

  it('keeps per source and symbol only the highest seq counted', async () => {
    const st = await (await DuckDBInstance.create(join(dir, 'b', 'state', 'processor.duckdb'))).connect();
    const r = await st.runAndReadAll(
      'SELECT src, count(*)::INTEGER, max(seq)::INTEGER FROM seq_seen GROUP BY src ORDER BY src',
    );
    st.closeSync();
    expect(r.getRowsJS()).toEqual([
      ['SE1-0badcafe', 12, 12 * 480],
      ['SE1-another', 1, expect.any(Number)],
    ]);
  });

  it('a repeat of a tick refused by a bound is judged again', async () => {
    const log = new MessageLog(1);
    const t: Tick = {
      v: 1,
      symbol: 'X',
      exchange: 'E',
      assetClass: 'equity',
      ts: T0,
      price: 1e308,
      size: 1,
      src: 's',
      seq: 1,
    };
    log.add('X', encodeTick(t));
    log.add('X', encodeTick({ ...t, price: 10 }));
    log.add('X', encodeTick({ ...t, price: 11 })); // now a repeat of a counted tick
    const results = await run(join(dir, 'c'), log.messages, 10);
    expect(results[0]).toMatchObject({ rejected: 1, outOfRange: 1, ticks: 1, duplicates: 1 });
  });
});

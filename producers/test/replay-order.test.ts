import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tick } from '../../contracts/tick.js';
import { isTicklakeError } from '../../core/errors.js';
import { type BadRow, orderedTicks, scanFile } from '../replay-order.js';

const SAMPLE = new URL('../samples/eustockmarkets.csv', import.meta.url).pathname;
const DEFAULTS = { exchange: 'REPLAY', assetClass: 'equity' };
const DAY = 86_400_000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-replay-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function replay(file: string) {
  const bad: BadRow[] = [];
  const opts = { file, defaults: DEFAULTS, onBad: (b: BadRow) => bad.push(b) };
  const scan = await scanFile(opts);
  const ticks: Tick[] = [];
  for await (const t of orderedTicks(opts, scan)) ticks.push(t);
  return { scan, ticks, bad };
}

async function file(name: string, text: string): Promise<string> {
  const f = join(dir, name);
  await writeFile(f, text);
  return f;
}

describe('the EuStockMarkets sample', () => {
  it('replays all 1860 days × 4 indices in event-time order, starting 1991-07-01 with R’s first row', async () => {
    const { scan, ticks, bad } = await replay(SAMPLE);
    expect(bad).toEqual([]);
    expect(scan).toMatchObject({ rows: 7440, valid: 7440, bad: 0, sorted: true });
    expect(ticks).toHaveLength(7440);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i].ts).toBeGreaterThanOrEqual(ticks[i - 1].ts);
    // EuStockMarkets[1, ] in R's documentation: DAX 1628.75, SMI 1678.1, CAC 1772.8, FTSE 2443.6
    expect(ticks.slice(0, 4)).toEqual(
      [
        ['DAX', 1628.75],
        ['SMI', 1678.1],
        ['CAC', 1772.8],
        ['FTSE', 2443.6],
      ].map(([symbol, price]) => ({
        v: 1,
        symbol,
        exchange: 'REPLAY',
        assetClass: 'index',
        ts: Date.UTC(1991, 6, 1),
        price,
        size: 1,
      })),
    );
    // 1860 weekdays from Monday 1991-07-01: count them independently with Date
    let t = Date.UTC(1991, 6, 1);
    let n = 1;
    while (n < 1860) {
      t += DAY;
      const wd = new Date(t).getUTCDay();
      if (wd !== 0 && wd !== 6) n++;
    }
    expect(ticks.at(-1)!.ts).toBe(t);
    expect(new Date(t).toISOString().slice(0, 10)).toBe('1998-08-14');
    const perSymbol = new Map<string, number>();
    for (const x of ticks) perSymbol.set(x.symbol, (perSymbol.get(x.symbol) ?? 0) + 1);
    expect(Object.fromEntries(perSymbol)).toEqual({ DAX: 1860, SMI: 1860, CAC: 1860, FTSE: 1860 });
  });
});

describe('bad rows', () => {
  it('are reported with their line numbers and reasons; the valid rows all come through', async () => {
    const f = await file(
      'bad.csv',
      [
        'Timestamp,Symbol,Price,Volume', //                   1
        '2026-01-05T09:30:00Z,AAPL,187.42,300', //             2 ok
        '2026-01-05T09:30:01Z,AAPL,abc,100', //                3 price
        '', //                                                 4 blank
        'yesterday,MSFT,415.1,100', //                         5 ts
        '2026-01-05T09:30:02Z,MSFT,415.1', //                  6 field count
        '2026-01-05T09:30:03Z,MSFT,-1,100', //                 7 price <= 0
        '2026-01-05T09:30:04Z,,415.1,100', //                  8 symbol empty
        '2026-01-05T09:30:05Z,MSFT,415.2,1.5', //              9 ok: a fraction (0.015 BTC is a trade too)
        '2026-01-05T09:30:06Z,MSFT,415.3,0', //               10 size
        '"2026-01-05T09:30:07Z","MS FT",415.4,100', //        11 symbol pattern
        '1767605408000,MSFT,415.5,200', //                    12 ok (epoch ms)
        '"2026-01-05T09:30:09Z","BRK.B",412.5,"1', //         13-14: quoted field spanning lines → not a number
        '00"', //
        '2026-01-05T09:30:10Z,GOOGL,141.8,100', //            15 ok
      ].join('\n'),
    );
    const { scan, ticks, bad } = await replay(f);
    expect(bad.map((b) => b.line)).toEqual([3, 5, 6, 7, 8, 10, 11, 13]);
    const reasons = Object.fromEntries(bad.map((b) => [b.line, b.reason]));
    expect(reasons[3]).toMatch(/^Price: "abc" is not a number/);
    expect(reasons[5]).toMatch(/^Timestamp: "yesterday" is not an ISO/);
    expect(reasons[6]).toMatch(/expected 4 fields like the header, found 3/);
    expect(reasons[7]).toMatch(/^Price: -1 must be greater than zero/);
    expect(reasons[8]).toMatch(/^Symbol: empty/);
    expect(reasons[10]).toMatch(/^Volume: 0 must be greater than zero/);
    expect(reasons[11]).toMatch(/^Symbol: "MS FT"/);
    expect(reasons[13]).toMatch(/^Volume: "1\\n00" is not a number/);
    expect(scan).toMatchObject({ rows: 12, valid: 4, bad: 8 });
    expect(ticks.map((t) => [t.symbol, t.ts, t.price, t.size])).toEqual([
      ['AAPL', 1767605400000, 187.42, 300],
      ['MSFT', 1767605405000, 415.2, 1.5],
      ['MSFT', 1767605408000, 415.5, 200],
      ['GOOGL', 1767605410000, 141.8, 100],
    ]);
  });

  it('a file without a price column is refused as a whole, naming the columns it has', async () => {
    const f = await file('nocol.csv', 'time,symbol,amount\n2026-01-05,AAPL,1\n');
    const e = await replay(f).catch((x: unknown) => x);
    expect(isTicklakeError(e, 'TL_DATA_BAD_FILE')).toBe(true);
    expect((e as Error).message).toMatch(
      /nocol\.csv: no column for price \(price\|close\|last\); header is time,symbol,amount/,
    );
  });
});

describe('event-time order', () => {
  it('an unsorted CSV comes out sorted by time, ties in file order', async () => {
    const rows: [string, string, number][] = [];
    const symbols = ['AAA', 'BBB', 'CCC'];
    // 3000 rows with times scrambled by a fixed permutation (i·7919 mod 1000 seconds), many ties
    for (let i = 0; i < 3000; i++) rows.push([String(1767605400 + ((i * 7919) % 1000)), symbols[i % 3], 100 + i / 100]);
    const f = await file('unsorted.csv', `ts,symbol,price\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const { scan, ticks } = await replay(f);
    expect(scan.sorted).toBe(false);
    // expected: a stable sort of the input by time
    const expected = rows
      .map((r, i) => ({ ts: Number(r[0]) * 1000, symbol: r[1], price: r[2], i }))
      .sort((a, b) => a.ts - b.ts || a.i - b.i)
      .map(({ ts, symbol, price }) => ({ v: 1, symbol, exchange: 'REPLAY', assetClass: 'equity', ts, price, size: 1 }));
    expect(ticks).toEqual(expected);
  });

  it('JSON Lines with epoch seconds and a broken line', async () => {
    const f = await file(
      'trades.jsonl',
      [
        '{"time": 1767605402, "ticker": "B", "price": 2, "qty": 20, "exchange": "X", "asset_class": "crypto"}',
        '{"time": 1767605401, "ticker": "A", "price": 1, "qty": 10, "exchange": "X", "asset_class": "crypto"}',
        '{"time": 1767605403, "ticker": "C", "price": 3',
        '[1,2]',
        '{"time": 1767605401.5, "ticker": "A", "price": 1.5, "qty": 15, "exchange": "X", "asset_class": "crypto"}',
      ].join('\n'),
    );
    const { ticks, bad } = await replay(f);
    expect(bad.map((b) => [b.line, b.reason.slice(0, 8)])).toEqual([
      [3, 'not JSON'],
      [4, 'not a JS'],
    ]);
    expect(ticks.map((t) => [t.symbol, t.ts, t.price, t.size, t.exchange, t.assetClass])).toEqual([
      ['A', 1767605401000, 1, 10, 'X', 'crypto'],
      ['A', 1767605401500, 1.5, 15, 'X', 'crypto'],
      ['B', 1767605402000, 2, 20, 'X', 'crypto'],
    ]);
  });

  it('Parquet with a TIMESTAMP column, read through DuckDB, rows numbered for reports', async () => {
    const f = join(dir, 'trades.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(
      `COPY (SELECT * FROM (VALUES
         (TIMESTAMP '2026-01-05 09:30:02', 'BBB', 20.5, 3),
         (TIMESTAMP '2026-01-05 09:30:01.250', 'AAA', 10.25, 1),
         (TIMESTAMP '2026-01-05 09:30:03', 'CCC', -1.0, 1)
       ) v(timestamp, symbol, price, volume)) TO '${f}' (FORMAT parquet)`,
    );
    conn.closeSync();
    db.closeSync();
    const { ticks, bad } = await replay(f);
    // -1.0 is a DECIMAL literal in DuckDB, written back as text "-1.00"
    expect(bad).toEqual([{ line: 3, reason: 'price: -1.00 must be greater than zero' }]);
    expect(ticks.map((t) => [t.symbol, t.ts, t.price, t.size])).toEqual([
      ['AAA', Date.UTC(2026, 0, 5, 9, 30, 1, 250), 10.25, 1],
      ['BBB', Date.UTC(2026, 0, 5, 9, 30, 2), 20.5, 3],
    ]);
  });
});

/**
 * Every data quality check in sql/checks on the fixed lake of test/helpers/sample-lake.ts (which has a few broken
 * rows on purpose) and on an empty lake. Expected violations are picked from the fixture arrays by the rule written
 * here in JavaScript.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonValue, jsonRow } from '../../lake/json-value.js';
import { runChecks } from '../../lake/run-sql-file.js';
import { LakeSession } from '../../lake/session.js';
import { SqlCatalog } from '../../lake/sql-catalog.js';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { BARS_1M, TICKS, writeSampleLake } from '../../test/helpers/sample-lake.js';

let lake: LakeFixture;
let empty: LakeFixture;
let session: LakeSession;
let emptySession: LakeSession;
const checks = SqlCatalog.load('check');
/** Timestamps in results are UTC with a Z (RFC 3339): `2026-01-07 10:05:00` -> `2026-01-07T10:05:00Z`. */
const iso = (t: string) => `${t.replace(' ', 'T')}Z`;

async function check(name: string, params: Record<string, string> = {}, s = session) {
  const [r] = await runChecks(s, checks, [name], { [name]: params });
  return { passed: r.passed, rows: r.rows.map((row) => jsonRow(r.columns, row)) as Record<string, JsonValue>[] };
}

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  session = await LakeSession.open({ lakeDir: lake.dir });
  empty = await LakeFixture.create();
  // the declared tables too (the retail checks read products, invoice_lines, ...), empty
  emptySession = await LakeSession.open({ lakeDir: empty.dir, tables: await declaredLakeTables([]) });
});
afterAll(() => {
  session?.close();
  emptySession?.close();
  lake?.close();
  empty?.close();
});

describe('data quality checks', () => {
  it('the catalog has the five checks of issue 10, the three of issue 16 and the four retail ones (sql/test/retail-pipeline.test.ts)', () => {
    expect(
      checks
        .list()
        .map((c) => c.name)
        .sort(),
    ).toEqual([
      'balance-sheet-balance', // and the fundamentals checks of issue 16 (sql/test/fundamentals.test.ts)
      'freshness',
      'future-invoices',
      'kpi-coverage',
      'negative-revenue',
      'negative-stock',
      'ohlc-consistency',
      'price-bounds',
      'sell-below-buy',
      'symbol-coverage',
      'unknown-references',
      'volume-positive',
    ]);
  });

  it('freshness: newest tick (10:05) within max_age of now passes; older fails with its age; no ticks fails', async () => {
    expect(await check('freshness', { now: '2026-01-07 11:00' })).toEqual({ passed: true, rows: [] });
    const late = await check('freshness', { now: '2026-01-07 12:06' });
    expect(late.passed).toBe(false);
    expect(late.rows.map((r) => [r.newest_ts, r.age])).toEqual([[iso('2026-01-07 10:05:00'), '02:01:00']]);
    expect((await check('freshness', { now: '2026-01-07 12:06', max_age: '3h' })).passed).toBe(true);
    const none = await check('freshness', {}, emptySession);
    expect(none.passed).toBe(false);
    expect(none.rows[0].newest_ts).toBeNull();
  });

  it('price-bounds: prices beyond max_ratio times the daily median of their symbol', async () => {
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const expected = (ratio: number) =>
      TICKS.filter(([sym, ts, price]) => {
        const m = median(TICKS.filter((t) => t[0] === sym && t[1].slice(0, 10) === ts.slice(0, 10)).map((t) => t[2]));
        return price <= 0 || price < m / ratio || price > m * ratio;
      }).map(([sym, ts, price]) => [sym, ts, price]);
    expect(expected(2)).toEqual([['AAPL', '2026-01-07 10:03:00', 30]]);
    const r = await check('price-bounds');
    expect(r.rows.map((x) => [x.symbol, x.ts, x.price])).toEqual(
      expected(2).map(([s, t, p]) => [s, iso(String(t)), p]),
    );
    expect(r.rows[0].median_price).toBe(10.05);
    expect((await check('price-bounds', { max_ratio: '3' })).passed).toBe(true);
    expect((await check('price-bounds', { from: '2026-01-08' })).passed).toBe(true);
  });

  it('volume-positive: ticks with size <= 0 and bars with volume or trades <= 0', async () => {
    const r = await check('volume-positive');
    expect(r.rows.map((x) => [x.source, x.symbol, x.at_time])).toEqual([
      ...BARS_1M.filter((b) => b.volume <= 0 || b.trades <= 0).map((b) => ['bars', b.symbol, iso(b.start)]),
      ...TICKS.filter((t) => t[3] <= 0).map((t) => ['ticks', t[0], iso(t[1])]),
    ]);
    expect(r.rows).toHaveLength(2);
  });

  it('ohlc-consistency: bars where low <= open, close <= high does not hold', async () => {
    const bad = BARS_1M.filter(
      (b) => !(b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high && b.low <= b.high),
    );
    expect(bad).toHaveLength(1);
    const r = await check('ohlc-consistency');
    expect(r.rows.map((x) => [x.symbol, x.window_start, x.open, x.high, x.low, x.close])).toEqual(
      bad.map((b) => [b.symbol, iso(b.start), b.open, b.high, b.low, b.close]),
    );
    expect((await check('ohlc-consistency', { from: '2026-01-08' })).passed).toBe(true);
  });

  it('symbol-coverage: fewer than min_symbols symbols in the hour before now fails', async () => {
    // ticks 10:00-10:05 on 2026-01-07: AAPL and MSFT -> 2 symbols
    expect((await check('symbol-coverage', { now: '2026-01-07 10:30', min_symbols: '2' })).passed).toBe(true);
    expect(await check('symbol-coverage', { now: '2026-01-07 10:30', min_symbols: '3' })).toEqual({
      passed: false,
      rows: [{ symbols: 2, min_symbols: 3 }],
    });
    // an hour later than 11:05 nothing is seen
    expect((await check('symbol-coverage', { now: '2026-01-07 11:06' })).rows).toEqual([
      { symbols: 0, min_symbols: 1 },
    ]);
  });

  it('on an empty lake every check but freshness and coverage passes (nothing to violate)', async () => {
    const all = await runChecks(emptySession, checks, [], { 'symbol-coverage': { min_symbols: '0' } });
    expect(Object.fromEntries(all.map((c) => [c.name, c.passed]))).toEqual({
      'balance-sheet-balance': true,
      freshness: false,
      'future-invoices': true,
      'kpi-coverage': true,
      'negative-revenue': true,
      'negative-stock': true,
      'ohlc-consistency': true,
      'price-bounds': true,
      'sell-below-buy': true,
      'symbol-coverage': true,
      'unknown-references': true,
      'volume-positive': true,
    });
  });
});

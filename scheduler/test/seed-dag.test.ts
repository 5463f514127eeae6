/**
 * The seed DAG shipped as files (sql/checks with schedule and severity → sql/models/hourly_symbol_stats →
 * sql/tests/hourly-stats-valid → sql/models/pipeline_report into pipeline_reports), on the sample lake of
 * test/helpers/sample-lake.ts: its order comes from the SQL, a failing blocking check blocks the model and its test
 * (recorded with the reason), and a clean hour gives the model rows expected from the fixture arrays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { BARS_1M, writeSampleLake } from '../../test/helpers/sample-lake.js';
import { type OpenScheduler, openScheduler } from '../open.js';

let lake: LakeFixture | undefined;
let s: OpenScheduler | undefined;
afterEach(async () => {
  await s?.close();
  lake?.close();
  s = undefined;
  lake = undefined;
});

const CHECKS = ['freshness', 'ohlc-consistency', 'price-bounds', 'symbol-coverage', 'volume-positive'].map(
  (c) => `check.${c}`,
);

describe('the seed DAG (bundled sql/)', () => {
  it('orders checks → model → test → report from what each file reads', async () => {
    lake = await LakeFixture.create();
    s = await openScheduler({ lakeDir: lake.dir });
    const { graph, jobs } = s.scheduler.plan;
    const ups = (j: string) => [...new Set((graph.upstream.get(j) ?? []).map((u) => u.job))].sort();
    expect([...jobs.keys()].sort()).toEqual(
      [...CHECKS, 'model.hourly_symbol_stats', 'model.pipeline_report', 'test.hourly-stats-valid'].sort(),
    );
    expect(ups('model.hourly_symbol_stats')).toEqual(CHECKS);
    expect(ups('test.hourly-stats-valid')).toEqual(['model.hourly_symbol_stats']);
    expect(ups('model.pipeline_report')).toEqual(
      [...CHECKS, 'model.hourly_symbol_stats', 'test.hourly-stats-valid'].sort(),
    );
    const order = graph.order;
    for (const c of CHECKS) expect(order.indexOf(c)).toBeLessThan(order.indexOf('model.hourly_symbol_stats'));
    expect(order.indexOf('model.hourly_symbol_stats')).toBeLessThan(order.indexOf('test.hourly-stats-valid'));
    expect(order.at(-1)).toBe('model.pipeline_report');
    for (const c of CHECKS) expect(jobs.get(c)?.severity).toBeDefined();
    expect(jobs.get('check.ohlc-consistency')?.severity).toBe('blocking');
    expect(jobs.get('check.symbol-coverage')?.severity).toBe('warn');
  });

  it('a failing blocking check blocks the model and its test; a clean hour materializes the expected rows', async () => {
    lake = await LakeFixture.create();
    await writeSampleLake(lake);
    // valid ticks on 2026-01-08 10:00-10:30, so that the hour 10:00-11:00 of that day passes every check
    await lake.write(
      'ticks',
      { date: '2026-01-08' },
      `select case when i % 2 = 0 then 'AAPL' else 'MSFT' end as symbol, 'SE1' as exchange, 'equity' as asset_class,
              timestamp '2026-01-08 10:00:00' + to_minutes(i) as ts,
              case when i % 2 = 0 then 11.0 else 393.0 end as price, 10 as size, 1 as kafka_partition, i as kafka_offset
       from range(30) t(i)`,
      'y.parquet',
    );
    s = await openScheduler({ lakeDir: lake.dir, catchUp: 1 });
    const jan7 = Date.UTC(2026, 0, 7, 11);
    const jan8 = Date.UTC(2026, 0, 8, 11);
    await s.scheduler.tick(jan7 + 30_000);
    await s.scheduler.tick(jan8 + 30_000);
    const runs = await lake.rows(`select job, status, error, epoch_ms(interval_end) as e
      from read_parquet('${lake.dir}/pipeline_runs/**/*.parquet') where status <> 'skipped' order by e, job`);
    const at = (e: number) => Object.fromEntries(runs.filter((r) => Number(r.e) === e).map((r) => [r.job, r.status]));
    // 2026-01-07 10:00-11:00: the MSFT 10:01 bar is broken (blocking), AAPL 30.0 and a size 0 fail error checks
    expect(at(jan7)).toEqual({
      'check.freshness': 'success',
      'check.ohlc-consistency': 'failed',
      'check.price-bounds': 'failed',
      'check.symbol-coverage': 'success',
      'check.volume-positive': 'failed',
      'model.hourly_symbol_stats': 'blocked',
      'test.hourly-stats-valid': 'blocked',
      'model.pipeline_report': 'success',
    });
    const blocked = runs.find((r) => Number(r.e) === jan7 && r.job === 'model.hourly_symbol_stats');
    expect(String(blocked?.error)).toMatch(
      /^blocking check check\.ohlc-consistency failed for 2026-01-07T10:00Z–2026-01-07T11:00Z: 1 violating row/,
    );
    // 2026-01-08 10:00-11:00: everything passes
    expect(Object.values(at(jan8))).toEqual(Array(8).fill('success'));
    const stats = await lake.rows(`select symbol, open, high, low, close, volume, vwap, trades, ticks, realized_vol
      from read_parquet('${lake.dir}/hourly_symbol_stats/**/*.parquet') order by symbol`);
    const expected = ['AAPL', 'MSFT'].map((sym) => {
      const bars = BARS_1M.filter((b) => b.symbol === sym && b.start.startsWith('2026-01-08 10'));
      const volume = bars.reduce((a, b) => a + b.volume, 0);
      return {
        symbol: sym,
        open: bars[0].open,
        high: Math.max(...bars.map((b) => b.high)),
        low: Math.min(...bars.map((b) => b.low)),
        close: bars.at(-1)?.close,
        volume: BigInt(volume),
        vwap: bars.reduce((a, b) => a + b.notional, 0) / volume,
        trades: BigInt(bars.reduce((a, b) => a + b.trades, 0)),
        ticks: 15n,
        realized_vol: Math.sqrt(bars.reduce((a, b) => a + (b.logReturn ?? 0) ** 2, 0)),
      };
    });
    expect(stats.length).toBe(2);
    for (const [i, e] of expected.entries()) {
      for (const [k, v] of Object.entries(e)) {
        if (typeof v === 'number') expect(stats[i][k] as number, `${e.symbol}.${k}`).toBeCloseTo(v, 9);
        else expect(stats[i][k], `${e.symbol}.${k}`).toEqual(v);
      }
    }
    // the stored run report of that hour: one row per job, all success
    const report = await lake.rows(`select job, status from read_parquet('${lake.dir}/pipeline_reports/**/*.parquet')
      where interval_end = timestamp '2026-01-08 11:00:00' order by job`);
    expect(report.map((r) => r.job)).toEqual(
      [...CHECKS, 'model.hourly_symbol_stats', 'test.hourly-stats-valid'].sort(),
    );
    expect(report.every((r) => r.status === 'success')).toBe(true);
  });
});

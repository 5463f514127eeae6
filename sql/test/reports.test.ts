/**
 * Every report in sql/reports on the small fixed lake of test/helpers/sample-lake.ts. Expected rows are hand-checked
 * numbers (portfolio statistics) or computed here in plain JavaScript from the fixture arrays — never by running
 * the report file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonValue, jsonRow } from '../../lake/json-value.js';
import { runSqlFile } from '../../lake/run-sql-file.js';
import { LakeSession } from '../../lake/session.js';
import { SqlCatalog } from '../../lake/sql-catalog.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { ANOMALIES, BARS_1M, type Bar, writeSampleLake } from '../../test/helpers/sample-lake.js';

let lake: LakeFixture;
let session: LakeSession;
const reports = SqlCatalog.load('report');

async function run(name: string, params: Record<string, string> = {}): Promise<Record<string, JsonValue>[]> {
  const q = await runSqlFile(session, reports.get(name), params);
  const names = q.columns.map((c) => c.name);
  return (await q.all()).map((r) => jsonRow(names, r));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdSamp = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const pearson = (a: number[], b: number[]) => {
  const [ma, mb] = [mean(a), mean(b)];
  const cov = a.reduce((s, x, i) => s + (x - ma) * (b[i] - mb), 0);
  return cov / Math.sqrt(a.reduce((s, x) => s + (x - ma) ** 2, 0) * b.reduce((s, y) => s + (y - mb) ** 2, 0));
};
const groupBy = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
};
/** Rounds floats so that 19.999999999999996 and 20 compare equal; exact values stay exact. */
const near = (rows: Record<string, JsonValue>[]) =>
  rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(10)) : v])),
  );

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  session = await LakeSession.open({ lakeDir: lake.dir });
});
afterAll(() => {
  session?.close();
  lake?.close();
});

describe('portfolio statistics (hand-checked numbers, test/helpers/sample-lake.ts VALUATIONS)', () => {
  it('nav-change-extremes: largest and smallest daily change, absolute and percent', async () => {
    expect(near(await run('nav-change-extremes'))).toEqual([
      {
        portfolio_id: 'P1',
        days: 3,
        max_change: 20,
        max_change_day: '2025-12-31',
        min_change: -30,
        min_change_day: '2026-01-01',
        max_change_pct: 20,
        max_change_pct_day: '2025-12-31',
        min_change_pct: -25,
        min_change_pct_day: '2026-01-01',
      },
      {
        portfolio_id: 'P2',
        days: 1,
        max_change: 5,
        max_change_day: '2026-01-02',
        min_change: 5,
        min_change_day: '2026-01-02',
        max_change_pct: 10,
        max_change_pct_day: '2026-01-02',
        min_change_pct: 10,
        min_change_pct_day: '2026-01-02',
      },
    ]);
    expect((await run('nav-change-extremes', { portfolio: 'P2' })).map((r) => r.portfolio_id)).toEqual(['P2']);
  });

  it('nav-change-extremes-yearly: per portfolio and year (the change of Jan 1 belongs to the new year)', async () => {
    const pick = (r: Record<string, JsonValue>) => [
      r.portfolio_id,
      r.year,
      r.days,
      r.max_change,
      r.min_change,
      r.max_change_pct,
      r.min_change_pct,
    ];
    expect(near(await run('nav-change-extremes-yearly')).map(pick)).toEqual([
      ['P1', 2025, 1, 20, 20, 20, 20],
      ['P1', 2026, 2, 9, -30, 10, -25],
      ['P2', 2026, 1, 5, 5, 10, 10],
    ]);
  });

  it('nav-stats: mean and sample standard deviation, optionally between from and to', async () => {
    // P1: 100, 120, 90, 99 -> mean 102.25; squared deviations 5.0625 + 315.0625 + 150.0625 + 10.5625 = 480.75
    expect(near(await run('nav-stats'))).toEqual(
      near([
        {
          portfolio_id: 'P1',
          days: 4,
          first_day: '2025-12-30',
          last_day: '2026-01-02',
          mean_nav: 102.25,
          stddev_nav: Math.sqrt(480.75 / 3),
        },
        {
          portfolio_id: 'P2',
          days: 2,
          first_day: '2026-01-01',
          last_day: '2026-01-02',
          mean_nav: 52.5,
          stddev_nav: Math.sqrt(12.5),
        },
      ]),
    );
    // 2025-12-31..2026-01-01: P1 120 and 90 -> mean 105, sd sqrt(450); P2 only 50 -> sd null
    const ranged = near(await run('nav-stats', { from: '2025-12-31', to: '2026-01-01' }));
    expect(ranged.map((r) => [r.portfolio_id, r.days, r.mean_nav, r.stddev_nav])).toEqual([
      ['P1', 2, 105, Number(Math.sqrt(450).toPrecision(10))],
      ['P2', 1, 50, null],
    ]);
  });

  it('nav-monthly: mean end-of-day NAV per month, newest month first', async () => {
    expect(await run('nav-monthly')).toEqual([
      { portfolio_id: 'P1', month: '2026-01', days: 2, mean_nav: 94.5 },
      { portfolio_id: 'P2', month: '2026-01', days: 2, mean_nav: 52.5 },
      { portfolio_id: 'P1', month: '2025-12', days: 2, mean_nav: 110 },
    ]);
  });

  it('portfolio-risk: drawdown, annualised return and volatility, Sharpe with a risk-free rate', async () => {
    // P1 navs 100, 120, 90, 99: returns +0.2, -0.25, +0.1; running peak 120 -> worst drawdown 90/120 - 1 = -0.25
    const rets = [0.2, -0.25, 0.1];
    const annRet = 0.99 ** (252 / 3) - 1;
    const annVol = sdSamp(rets) * Math.sqrt(252);
    const rows = await run('portfolio-risk', { periods_per_year: '252', risk_free: '0.03' });
    expect(near(rows.slice(0, 1))).toEqual(
      near([
        {
          portfolio_id: 'P1',
          days: 4,
          first_nav: 100,
          last_nav: 99,
          max_drawdown: -0.25,
          annualized_return: annRet,
          annualized_vol: annVol,
          sharpe: (annRet - 0.03) / annVol,
        },
      ]),
    );
    // P2 has a single return: no volatility, so no Sharpe ratio
    expect([rows[1].portfolio_id, rows[1].max_drawdown, rows[1].annualized_vol, rows[1].sharpe]).toEqual([
      'P2',
      0,
      null,
      null,
    ]);
  });
});

describe('market reports (expected values computed from the fixture arrays)', () => {
  const hourly = (bars: Bar[]) =>
    groupBy(bars, (x) => `${x.symbol} ${x.start.slice(0, 13)}`).map(([, g]) => {
      // an hour without any 1m return (a symbol's first bar) has no volatility and no class
      const rets = g.map((x) => x.logReturn).filter((r): r is number => r !== null);
      const rv = rets.length ? Math.sqrt(rets.reduce((s, r) => s + r * r, 0)) : null;
      const ann = rv === null ? null : rv * Math.sqrt(24 * 365);
      const volume = g.reduce((s, x) => s + x.volume, 0);
      return {
        symbol: g[0].symbol,
        hour: `${g[0].start.slice(0, 10)}T${g[0].start.slice(11, 13)}:00:00Z`, // UTC with a Z (RFC 3339)
        open: g[0].open,
        high: Math.max(...g.map((x) => x.high)),
        low: Math.min(...g.map((x) => x.low)),
        close: g[g.length - 1].close,
        volume,
        vwap: volume === 0 ? null : g.reduce((s, x) => s + x.notional, 0) / volume,
        trades: g.reduce((s, x) => s + x.trades, 0),
        realized_vol: rv,
        annualized_vol: ann,
        risk_class: ann === null ? null : ann < 1 ? 'LOW' : ann < 2 ? 'MEDIUM' : 'HIGH',
      };
    });

  it('hourly-kpis: OHLC, volume, vwap rolled up from 1m bars, volatility and risk class by thresholds', async () => {
    expect(near(await run('hourly-kpis', { low_vol: '1', high_vol: '2' }))).toEqual(near(hourly(BARS_1M)));
    const one = await run('hourly-kpis', { symbol: 'AAPL', from: '2026-01-05 11:00', to: '2026-01-06' });
    expect(one.map((r) => r.hour)).toEqual(['2026-01-05T11:00:00Z']);
  });

  it('anomalies-daily: counts by day, symbol, kind and severity, newest day first', async () => {
    const expected = groupBy(ANOMALIES, ([s, ts, k, sev]) => `${ts.slice(0, 10)}|${s}|${k}|${sev}`)
      .map(([key, g]) => {
        const [day, symbol, kind, severity] = key.split('|');
        return { day, symbol, kind, severity, anomalies: g.length };
      })
      .sort((a, b) => b.day.localeCompare(a.day));
    expect(await run('anomalies-daily')).toEqual(expected);
    expect(await run('anomalies-daily', { from: '2026-01-06', symbol: 'AAPL' })).toEqual(
      expected.filter((r) => r.day >= '2026-01-06' && r.symbol === 'AAPL'),
    );
  });

  it('vwap-volatility: vwap = sum(notional)/sum(volume) and the stddev of 1m log returns over a range', async () => {
    const inRange = BARS_1M.filter((x) => x.start >= '2026-01-05 10:01' && x.start < '2026-01-08');
    const expected = groupBy(inRange, (x) => x.symbol).map(([symbol, g]) => {
      const rets = g.map((x) => x.logReturn).filter((r): r is number => r !== null);
      return {
        symbol,
        bars: g.length,
        vwap: g.reduce((s, x) => s + x.notional, 0) / g.reduce((s, x) => s + x.volume, 0),
        volume: g.reduce((s, x) => s + x.volume, 0),
        return_stddev: sdSamp(rets),
        annualized_vol: sdSamp(rets) * Math.sqrt(525600),
      };
    });
    const rows = await run('vwap-volatility', { from: '2026-01-05 10:01:00', to: '2026-01-08' });
    expect(near(rows.map((r) => pick(r, Object.keys(expected[0]))))).toEqual(near(expected));
  });

  /** Daily closes: the close of each symbol's last 1m bar of the day. */
  const closes = (symbol: string) =>
    groupBy(
      BARS_1M.filter((x) => x.symbol === symbol),
      (x) => x.start.slice(0, 10),
    ).map(([day, g]) => ({ day, close: g[g.length - 1].close }));

  it('return-correlation: Pearson correlation of daily log returns for every pair', async () => {
    const logRets = (s: string) => {
      const c = closes(s);
      return c.slice(1).map((x, i) => Math.log(x.close / c[i].close));
    };
    const [a, m] = [logRets('AAPL'), logRets('MSFT')];
    expect(a).toHaveLength(3);
    const rows = near(await run('return-correlation'));
    expect(rows).toEqual(
      near([
        { symbol_a: 'AAPL', symbol_b: 'AAPL', days: 3, correlation: 1 },
        { symbol_a: 'AAPL', symbol_b: 'MSFT', days: 3, correlation: pearson(a, m) },
        { symbol_a: 'MSFT', symbol_b: 'AAPL', days: 3, correlation: pearson(a, m) },
        { symbol_a: 'MSFT', symbol_b: 'MSFT', days: 3, correlation: 1 },
      ]),
    );
  });

  it('symbol-risk: drawdown, annualised return, volatility and Sharpe from daily closes', async () => {
    const expected = ['AAPL', 'MSFT'].map((symbol) => {
      const c = closes(symbol).map((x) => x.close);
      const dd = Math.min(...c.map((x, i) => x / Math.max(...c.slice(0, i + 1)) - 1));
      const rets = c.slice(1).map((x, i) => x / c[i] - 1);
      // as observed: the returns per 365.25 days of the span of days (consecutive days here: 365.25)
      const days = (Date.parse(closes(symbol).at(-1)!.day) - Date.parse(closes(symbol)[0].day)) / 86_400_000;
      const ppy = rets.length / (days / 365.25);
      const annRet = (c[c.length - 1] / c[0]) ** (ppy / rets.length) - 1;
      const annVol = sdSamp(rets) * Math.sqrt(ppy);
      return {
        symbol,
        days: c.length,
        first_close: c[0],
        last_close: c[c.length - 1],
        max_drawdown: dd,
        annualized_return: annRet,
        annualized_vol: annVol,
        sharpe: (annRet - 0.01) / annVol,
      };
    });
    expect(near(await run('symbol-risk', { risk_free: '0.01' }))).toEqual(near(expected));
  });

  it('top-movers: open of the first and close of the last 1m bar of the day, largest move first', async () => {
    // 2026-01-06: AAPL 11.1 -> 12 (+8.108%), MSFT 401 -> 409 (+1.995%)
    expect(near(await run('top-movers', { day: '2026-01-06' }))).toEqual(
      near([
        { symbol: 'AAPL', open: 11.1, close: 12, change_pct: (12 / 11.1 - 1) * 100, volume: 100 },
        { symbol: 'MSFT', open: 401, close: 409, change_pct: (409 / 401 - 1) * 100, volume: 20 },
      ]),
    );
    expect((await run('top-movers', { day: '2026-01-06', limit: '1' })).map((r) => r.symbol)).toEqual(['AAPL']);
    await expect(run('top-movers')).rejects.toMatchObject({ code: 'TL_API_BAD_PARAM', details: { param: 'day' } });
  });
});

function pick(r: Record<string, JsonValue>, keys: string[]): Record<string, JsonValue> {
  return Object.fromEntries(keys.map((k) => [k, r[k]]));
}

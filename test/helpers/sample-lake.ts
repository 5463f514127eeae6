/**
 * A small fixed lake with hand-checkable numbers, written through LakeFixture. Tests compute their expected rows
 * from the arrays below (plain JavaScript) or from the numbers in the comments, never by running a report file.
 */
import type { LakeFixture } from './lake-fixture.js';

/** End-of-day NAVs (the last valuation of each day counts):
 *  P1: 2025-12-30 100, 2025-12-31 120 (+20, +20%), 2026-01-01 90 (-30, -25%), 2026-01-02 99 (+9, +10%)
 *  P2: 2026-01-01 50, 2026-01-02 55 (+5, +10%)
 *  An earlier valuation on 2025-12-31 (nav 500 at 08:00) must not count as that day's end. */
export const VALUATIONS: [portfolio: string, asOf: string, nav: number][] = [
  ['P1', '2025-12-30 23:59:00', 100],
  ['P1', '2025-12-31 08:00:00', 500],
  ['P1', '2025-12-31 23:59:00', 120],
  ['P1', '2026-01-01 23:59:00', 90],
  ['P1', '2026-01-02 23:59:00', 99],
  ['P2', '2026-01-01 23:59:00', 50],
  ['P2', '2026-01-02 23:59:00', 55],
];

export interface Bar {
  symbol: string;
  start: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  notional: number;
  trades: number;
  logReturn: number | null;
}

const b = (
  symbol: string,
  start: string,
  [open, high, low, close]: number[],
  volume: number,
  notional: number,
  trades: number,
  logReturn: number | null,
): Bar => ({ symbol, start, open, high, low, close, volume, notional, trades, logReturn });

/** 1m bars. The last MSFT bar is broken on purpose: high < open and close, volume 0, trades 0. */
export const BARS_1M: Bar[] = [
  b('AAPL', '2026-01-05 10:00:00', [10, 10.5, 9.5, 10.2], 100, 1000, 5, null),
  b('AAPL', '2026-01-05 10:01:00', [10.2, 11.5, 10.1, 11], 300, 3300, 7, 0.03),
  b('AAPL', '2026-01-05 11:00:00', [11, 11.2, 10.8, 11.1], 200, 2210, 3, 0.01),
  b('AAPL', '2026-01-06 10:00:00', [11.1, 12, 11, 12], 100, 1190, 2, 0.04),
  b('AAPL', '2026-01-07 10:00:00', [12, 12, 10.5, 10.8], 100, 1100, 2, -0.1),
  b('AAPL', '2026-01-08 10:00:00', [10.8, 11.6, 10.7, 11.5], 100, 1120, 2, 0.06),
  b('MSFT', '2026-01-05 10:00:00', [400, 402, 399, 401], 10, 4010, 1, null),
  b('MSFT', '2026-01-06 10:00:00', [401, 410, 400, 409], 20, 8180, 2, 0.02),
  b('MSFT', '2026-01-07 10:00:00', [409, 409, 390, 392], 10, 3920, 1, -0.04),
  b('MSFT', '2026-01-07 10:01:00', [392, 391, 390, 391], 0, 0, 0, -0.002),
  b('MSFT', '2026-01-08 10:00:00', [391, 396, 390, 395], 10, 3930, 1, 0.01),
];

/** Ticks: [symbol, ts, price, size]. AAPL 30.0 on 2026-01-07 is above 2x that day's median (10.05); one size 0. */
export const TICKS: [string, string, number, number][] = [
  ['AAPL', '2026-01-07 10:00:00', 10.0, 100],
  ['AAPL', '2026-01-07 10:01:00', 10.1, 100],
  ['AAPL', '2026-01-07 10:02:00', 9.9, 200],
  ['AAPL', '2026-01-07 10:03:00', 30.0, 100],
  ['MSFT', '2026-01-07 10:04:00', 392.0, 0],
  ['MSFT', '2026-01-07 10:05:00', 391.0, 5],
];

/** Anomalies: [symbol, ts, kind, severity]. */
export const ANOMALIES: [string, string, string, string][] = [
  ['AAPL', '2026-01-05 10:01:00', 'SPIKE', 'WARNING'],
  ['AAPL', '2026-01-05 10:02:00', 'SPIKE', 'WARNING'],
  ['AAPL', '2026-01-05 11:00:00', 'SPIKE', 'CRITICAL'],
  ['MSFT', '2026-01-05 10:00:00', 'VOLUME_SPIKE', 'WARNING'],
  ['AAPL', '2026-01-07 10:03:00', 'FLASH_CRASH', 'CRITICAL'],
];

const q = (s: string) => `'${s}'`;
const n = (x: number | null) => (x === null ? 'null' : String(x));

export async function writeSampleLake(lake: LakeFixture): Promise<void> {
  const byDay = <T>(rows: T[], day: (r: T) => string) => {
    const m = new Map<string, T[]>();
    for (const r of rows) m.set(day(r), [...(m.get(day(r)) ?? []), r]);
    return m;
  };
  for (const [date, rows] of byDay(VALUATIONS, (r) => r[1].slice(0, 10))) {
    const values = rows.map(([p, at, nav]) => `(${q(p)}, 'I1', '1d', timestamp ${q(at)}, ${nav}, null, null, 3, 0)`);
    await lake.write(
      'valuations',
      { date },
      `select * from (values ${values.join(', ')}) v(portfolio_id, investor_id, "window", as_of, nav, change, change_pct, positions, missing_prices)`,
    );
  }
  for (const [date, rows] of byDay(BARS_1M, (r) => r.start.slice(0, 10))) {
    const values = rows.map(
      (r) =>
        `(${q(r.symbol)}, timestamp ${q(r.start)}, timestamp ${q(r.start)} + interval 1 minute, ${r.open}, ${r.high}, ${r.low}, ${r.close}, ${r.volume}, ${r.notional}, ${r.volume ? r.notional / r.volume : 'null'}, ${r.trades}, ${r.trades}, null, ${n(r.logReturn)})`,
    );
    await lake.write(
      'bars',
      { window: '1m', date },
      `select * from (values ${values.join(', ')}) v(symbol, window_start, window_end, open, high, low, close, volume, notional, vwap, trades, trade_rate, volatility, log_return)`,
    );
  }
  const ticks = TICKS.map(
    ([s, ts, p, size], i) => `(${q(s)}, 'SE1', 'equity', timestamp ${q(ts)}, ${p}, ${size}, 0, ${i})`,
  );
  await lake.write(
    'ticks',
    { date: '2026-01-07' },
    `select * from (values ${ticks.join(', ')}) v(symbol, exchange, asset_class, ts, price, size, kafka_partition, kafka_offset)`,
  );
  for (const [date, rows] of byDay(ANOMALIES, (r) => r[1].slice(0, 10))) {
    const values = rows.map(
      ([s, ts, kind, sev]) => `(${q(s)}, timestamp ${q(ts)}, ${q(kind)}, ${q(sev)}, null, 0.05, 0.03, 10.0, 0, 1)`,
    );
    await lake.write(
      'anomalies',
      { date },
      `select * from (values ${values.join(', ')}) v(symbol, ts, kind, severity, "window", value, threshold, price, kafka_partition, kafka_offset)`,
    );
  }
}

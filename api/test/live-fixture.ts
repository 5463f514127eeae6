/**
 * A small lake for the dashboard tests, written with plain DuckDB COPY (test/helpers/lake-fixture.ts) in the Hive
 * layout of docs/lake.md: 1m bars of two symbols from 2026-01-05 10:00, valuations of two portfolios at the same
 * minutes, anomalies, ticks and rejected rows. `addMinutes` writes later files while a client is connected, as the
 * processor would. Expected numbers in the tests come from the formulas below or from the fixture's own DuckDB.
 */
import type { LakeFixture } from '../../test/helpers/lake-fixture.js';

export const DAY = '2026-01-05';
export const START_MS = Date.UTC(2026, 0, 5, 10, 0);
export const SYMBOLS = ['AAA', 'BBB'];
export const MINUTE = 60_000;

/** Close of bar i of a symbol: a saw-tooth with drift, so the Bollinger bands move. */
export function closeOf(symbol: string, i: number): number {
  const base = symbol === 'AAA' ? 100 : 50;
  return base + ((i * 7) % 11) - 5 + i * 0.3;
}

/** NAV of portfolio P1 / P2 at minute i. */
export const navOf = (p: string, i: number) => (p === 'P1' ? 1000 + i * 3 : 500 - i);

const ts = (i: number) => `timestamp '2026-01-05 10:00:00' + to_minutes(${i})`;

/** Writes bars and valuations of minutes [from, to) as one file each (named like the processor's b<batch>). */
export async function addMinutes(lake: LakeFixture, from: number, to: number): Promise<void> {
  const bars: string[] = [];
  const navs: string[] = [];
  for (let i = from; i < to; i++) {
    for (const s of SYMBOLS) {
      const c = closeOf(s, i);
      const v = 100 + i * 10;
      bars.push(
        `('${s}', ${ts(i)}, ${ts(i + 1)}, ${c - 0.5}, ${c + 1}, ${c - 1}, ${c}, ${v}, ${v * (c - 0.2)}, ${c - 0.2}, 5, 0.08, ${0.001 * (1 + (i % 5))}, null)`,
      );
    }
    navs.push(`('P1', 'Inv1', '1m', ${ts(i + 1)}, ${navOf('P1', i)}, null, null, 3, 0)`);
    navs.push(`('P2', 'Inv2', '1m', ${ts(i + 1)}, ${navOf('P2', i)}, null, null, 2, 0)`);
  }
  await lake.write(
    'bars',
    { window: '1m', date: DAY },
    `select * from (values ${bars.join(', ')}) v(symbol, window_start, window_end, open, high, low, close, volume,
       notional, vwap, trades, trade_rate, volatility, log_return)`,
    `b${from}.parquet`,
  );
  await lake.write(
    'valuations',
    { date: DAY },
    `select * from (values ${navs.join(', ')}) v(portfolio_id, investor_id, "window", as_of, nav, change, change_pct,
       positions, missing_prices)`,
    `b${from}.parquet`,
  );
}

/** Anomalies at the given minutes (SPIKE on AAA, WARNING; CRITICAL when the minute is odd). */
export async function addAnomalies(lake: LakeFixture, minutes: number[], file: string): Promise<void> {
  const rows = minutes.map(
    (i) =>
      `('AAA', ${ts(i)} + interval 30 second, 'SPIKE', '${i % 2 ? 'CRITICAL' : 'WARNING'}', null, 0.0${4 + (i % 5)}, 0.03, ${closeOf('AAA', i)}, 0, ${i})`,
  );
  await lake.write(
    'anomalies',
    { date: DAY },
    `select * from (values ${rows.join(', ')}) v(symbol, ts, kind, severity, "window", value, threshold, price,
       kafka_partition, kafka_offset)`,
    file,
  );
}

/** The newest tick is at 10:30:15. */
export const NEWEST_TICK_MS = START_MS + 30 * MINUTE + 15_000;

/** The starting lake: 30 minutes of bars and valuations, 3 anomalies, 3 ticks and 2 rejected messages. */
export async function writeLiveLake(lake: LakeFixture): Promise<void> {
  await addMinutes(lake, 0, 30);
  await addAnomalies(lake, [3, 10, 20], 'b0.parquet');
  await lake.write(
    'ticks',
    { date: DAY },
    `select * from (values
       ('AAA', 'SE1', 'equity', timestamp '2026-01-05 10:29:59', 101.0, 100, 0, 0),
       ('BBB', 'SE1', 'equity', timestamp '2026-01-05 10:30:15', 51.0, 100, 1, 0),
       ('AAA', 'SE1', 'equity', timestamp '2026-01-05 10:30:01', 101.5, 100, 0, 1))
     v(symbol, exchange, asset_class, ts, price, size, kafka_partition, kafka_offset)`,
    'p0-0-1.parquet',
  );
  await lake.write(
    'rejected',
    { date: DAY },
    `select * from (values
       ('ticks', 0, 7, timestamp '2026-01-05 10:10:00', 'bad json', null, '{'),
       ('ticks', 1, 9, timestamp '2026-01-05 10:11:00', 'price <= 0', 'AAA', '{"price":0}'))
     v(kafka_topic, kafka_partition, kafka_offset, received_at, reason, key, value)`,
    'r0.parquet',
  );
}

/**
 * A trader's lake for the dashboard page tests, written with plain DuckDB (test/helpers/lake-fixture.ts) the way the
 * processor lays it out (docs/lake.md): five instruments on three exchanges and three asset classes, each with the
 * decimals of its price step (equities and BTC 2, EUR-USD 5); 10s bars from 08:00 to 10:00 on 2026-01-05 whose
 * closes go up and down, 1m and 1h bars rolled up from them in SQL (first open, highest high, lowest low, last
 * close, summed volume and notional), 1d bars of the five days before; ticks with exchange and asset class;
 * portfolios in seed files written here, valued at every 1m close as Σ quantity × close; anomalies; late ticks.
 * `addTenSecondBars` writes later bars while a page is open, as the processor would.
 *
 * Expected numbers in the tests come from plain SQL over these files (LakeFixture.rows), not from the app.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LakeFixture } from '../../test/helpers/lake-fixture.js';

export const DAY = '2026-01-05';
/** 08:00 UTC, the first 10s bar. */
export const START_MS = Date.UTC(2026, 0, 5, 8, 0);
/** 10:00 UTC: the end of the newest bar. */
export const END_MS = Date.UTC(2026, 0, 5, 10, 0);
export const TEN_S = 10_000;
export const STEPS = (END_MS - START_MS) / TEN_S; // 720

export interface Instrument {
  symbol: string;
  exchange: string;
  assetClass: string;
  base: number;
  decimals: number;
  /** Typical volume of a 10s bar. */
  volume: number;
  drift: number;
}

export const INSTRUMENTS: Instrument[] = [
  { symbol: 'AAPL', exchange: 'SE1', assetClass: 'equity', base: 187.42, decimals: 2, volume: 1400, drift: 2e-5 },
  { symbol: 'MSFT', exchange: 'SE1', assetClass: 'equity', base: 415.1, decimals: 2, volume: 900, drift: -1e-5 },
  { symbol: 'SAP', exchange: 'SE2', assetClass: 'equity', base: 182.5, decimals: 2, volume: 700, drift: 1e-5 },
  { symbol: 'BTC-USD', exchange: 'CRX', assetClass: 'crypto', base: 67250.13, decimals: 2, volume: 7, drift: 3e-5 },
  { symbol: 'EUR-USD', exchange: 'CRX', assetClass: 'forex', base: 1.08523, decimals: 5, volume: 2e6, drift: -2e-6 },
];

const instrumentsSql = `(values ${INSTRUMENTS.map(
  (s, i) => `('${s.symbol}', ${i}, ${s.base}::double, ${s.decimals}, ${s.volume}::double, ${s.drift}::double)`,
).join(', ')}) s(symbol, idx, base, d, vol, drift)`;

/**
 * 10s bars of steps [from, to): close(k) = round(base × (1 + drift·k + 0.004·sin(k/37 + idx) + 0.0015·sin(1.7·k)),
 * d); open(k) = close(k − 1) (base at k = 0); high/low one to three price steps beyond them.
 */
export function tenSecondBarsSql(from: number, to: number): string {
  const close = (k: string) =>
    `round(base * (1 + drift * ${k} + 0.004 * sin(${k} / 37.0 + idx) + 0.0015 * sin(1.7 * ${k})), d)`;
  return `
    with steps as (
      select symbol, idx, base, d, vol, k,
             timestamp '2026-01-05 08:00:00' + to_seconds(k * 10) as window_start,
             case when k = 0 then base else ${close('(k - 1)')} end as open,
             ${close('k')} as close,
             power(10, -d) as step
      from ${instrumentsSql}, range(${from}, ${to}) r(k))
    select symbol, window_start, window_start + interval 10 second as window_end, open,
           round(greatest(open, close) + step * (1 + k % 3), d) as high,
           round(least(open, close) - step * (1 + (k + 1) % 3), d) as low,
           close,
           cast(vol * (1 + k % 7) as bigint) as volume,
           (open + close) / 2 * cast(vol * (1 + k % 7) as bigint) as notional,
           (open + close) / 2 as vwap,
           1 + k % 5 as trades, 0.1 as trade_rate,
           0.0005 * (1 + k % 4) as volatility,
           ln(close / open) as log_return
    from steps order by window_start, symbol`;
}

const BAR_COLS = `symbol, window_start, window_end, open, high, low, close, volume, notional, vwap, trades, trade_rate,
  volatility, log_return`;

/** Bars of `window` rolled up from the 10s bars in the lake (as the processor's windows would give them). */
function rollUpSql(lake: LakeFixture, bucket: string): string {
  return `
    select symbol, time_bucket(interval ${bucket}, window_start) as window_start,
           time_bucket(interval ${bucket}, window_start) + interval ${bucket} as window_end,
           arg_min(open, window_start) as open, max(high) as high, min(low) as low,
           arg_max(close, window_start) as close, sum(volume) as volume, sum(notional) as notional,
           sum(notional) / sum(volume) as vwap, sum(trades) as trades, 0.1 as trade_rate,
           stddev_samp(log_return) as volatility,
           ln(arg_max(close, window_start) / arg_min(open, window_start)) as log_return
    from read_parquet('${lake.dir}/bars/window=10s/**/*.parquet')
    group by all order by window_start, symbol`;
}

/** Writes 10s bars of steps [from, to) as one file, like a processor batch. */
export async function addTenSecondBars(lake: LakeFixture, from: number, to: number): Promise<void> {
  await lake.write('bars', { window: '10s', date: DAY }, tenSecondBarsSql(from, to), `b10s-${from}.parquet`);
}

/** Portfolios: PA (Inv1) and PB (Inv2). */
export const HOLDINGS: [string, string, number][] = [
  ['PA', 'AAPL', 100],
  ['PA', 'MSFT', 50],
  ['PA', 'BTC-USD', 2],
  ['PB', 'SAP', 40],
  ['PB', 'EUR-USD', 10000],
];

/** Writes investors.csv, portfolios.csv and holdings.csv to a temp directory; returns it. */
export function writeSeeds(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ticklake-seeds-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'investors.csv'), 'investor_id,name\nInv1,Ada Quant\nInv2,Bo Trader\n');
  writeFileSync(join(dir, 'portfolios.csv'), 'portfolio_id,investor_id,name\nPA,Inv1,Growth\nPB,Inv2,Europe and FX\n');
  writeFileSync(
    join(dir, 'holdings.csv'),
    `portfolio_id,symbol,quantity\n${HOLDINGS.map((h) => h.join(',')).join('\n')}\n`,
  );
  return dir;
}

const holdingsSql = `(values ${HOLDINGS.map(([p, s, q]) => `('${p}', '${s}', ${q})`).join(', ')}) h(portfolio_id, symbol, quantity)`;

/** Late ticks in the lake. */
export const LATE_TICKS = 3;

export async function writeTraderLake(lake: LakeFixture): Promise<void> {
  await addTenSecondBars(lake, 0, STEPS);
  await lake.write('bars', { window: '1m', date: DAY }, `select ${BAR_COLS} from (${rollUpSql(lake, '1 minute')})`);
  await lake.write('bars', { window: '1h', date: DAY }, `select ${BAR_COLS} from (${rollUpSql(lake, '1 hour')})`);
  for (let d = 1; d <= 5; d++) {
    const day = new Date(Date.UTC(2025, 11, 30 + d - 5)).toISOString().slice(0, 10);
    await lake.write(
      'bars',
      { window: '1d', date: day },
      `select symbol, timestamp '${day} 00:00:00' as window_start, timestamp '${day} 00:00:00' + interval 1 day as window_end,
              round(base * (1 + 0.01 * ${d}), d) as open, round(base * (1 + 0.01 * ${d} + 0.02), d) as high,
              round(base * (1 + 0.01 * ${d} - 0.02), d) as low,
              round(base * (1 + 0.01 * ${d} + (case when ${d} % 2 = 0 then -0.005 else 0.008 end)), d) as close,
              cast(vol * 8640 as bigint) as volume, base * vol * 8640 as notional, base as vwap, 50000 as trades,
              0.6 as trade_rate, 0.001 as volatility, 0.001 as log_return
       from ${instrumentsSql}`,
    );
  }
  // valuations at every 1m close: NAV = Σ quantity × the 1m close
  await lake.write(
    'valuations',
    { date: DAY },
    `select h.portfolio_id, case h.portfolio_id when 'PA' then 'Inv1' else 'Inv2' end as investor_id, '1m' as "window",
            b.window_end as as_of, sum(h.quantity * b.close) as nav, null as change, null as change_pct,
            count(*) as positions, 0 as missing_prices
     from ${holdingsSql} join read_parquet('${lake.dir}/bars/window=1m/**/*.parquet') b using (symbol)
     group by all order by as_of, portfolio_id`,
  );
  // ticks: the closes of the last ten 10s bars of each instrument, at its decimals
  await lake.write(
    'ticks',
    { date: DAY },
    `select b.symbol, s.exchange, s.asset_class, b.window_end - interval 1 second as ts, b.close as price, 100 as size,
            0 as kafka_partition, row_number() over (order by b.window_start, b.symbol) as kafka_offset
     from read_parquet('${lake.dir}/bars/window=10s/**/*.parquet') b
     join (values ${INSTRUMENTS.map((s) => `('${s.symbol}', '${s.exchange}', '${s.assetClass}')`).join(', ')})
          s(symbol, exchange, asset_class) using (symbol)
     where b.window_start >= timestamp '2026-01-05 09:58:20'`,
    'p0-0-50.parquet',
  );
  await lake.write(
    'anomalies',
    { date: DAY },
    `select * from (values
       ('AAPL', timestamp '2026-01-05 08:30:05', 'SPIKE', 'WARNING', null, 0.031, 0.03, 188.07, 0, 1),
       ('BTC-USD', timestamp '2026-01-05 09:10:05', 'FLASH_CRASH', 'CRITICAL', null, -0.085, 0.03, 66410.27, 0, 2),
       ('EUR-USD', timestamp '2026-01-05 09:20:05', 'SPIKE', 'WARNING', null, 0.032, 0.03, 1.0853, 0, 3),
       ('MSFT', timestamp '2026-01-05 09:40:05', 'SPIKE', 'WARNING', null, 0.033, 0.03, 414.2, 0, 4),
       ('AAPL', timestamp '2026-01-05 09:45:05', 'VOLUME_SPIKE', 'WARNING', '1m', 6.2, 5, 187.9, 0, 5))
     v(symbol, ts, kind, severity, "window", value, threshold, price, kafka_partition, kafka_offset)`,
  );
  await lake.write(
    'late_ticks',
    { date: DAY },
    `select * from (values
       ('AAPL', 'SE1', 'equity', timestamp '2026-01-05 09:00:01', 187.5, 100, 1, 7, '10s', timestamp '2026-01-05 09:00:30'),
       ('AAPL', 'SE1', 'equity', timestamp '2026-01-05 09:00:02', 187.6, 100, 1, 8, '10s', timestamp '2026-01-05 09:00:30'),
       ('SAP', 'SE2', 'equity', timestamp '2026-01-05 09:30:01', 182.4, 100, 2, 9, '10s', timestamp '2026-01-05 09:30:30'))
     v(symbol, exchange, asset_class, ts, price, size, kafka_partition, kafka_offset, "window", watermark)`,
  );
}

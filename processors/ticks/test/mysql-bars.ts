/**
 * The scaled-out MySQL tests' shared input and comparison: two symbols on each of the 3 partitions with a tick every
 * 2 s (price 100, 101, ...), and every bar of the lake and of MySQL as text, bit for bit, to compare one with the other.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { queryMysql } from '../../../test/helpers/mysql.js';
import { MessageLog, T0 } from './fixtures.js';

/** Two symbols on each of the 3 partitions (fixtures.ts partitionOf). */
export const SYMBOLS = ['AAPL', 'ASML', 'SAP', 'AMZN', 'GOOGL', 'WMT'];

const COLUMNS = 'open, high, low, close, volume, notional, vwap, trades, trade_rate, volatility, log_return';

/** A tick of every symbol every 2 s for `minutes` minutes from T0, the price rising by 1 each step. */
export function twoSecondTicks(minutes: number): MessageLog {
  const log = new MessageLog();
  for (let i = 0; i < (minutes * 60) / 2; i++) {
    for (const symbol of SYMBOLS) {
      log.tick({ v: 1, symbol, exchange: 'SE1', assetClass: 'equity', ts: T0 + i * 2000, price: 100 + i, size: 1 });
    }
  }
  return log;
}

/** A bar as one string: symbol, window, start (epoch ms), then COLUMNS, each as JavaScript prints its number. */
const text = (r: Record<string, unknown>) =>
  [r.symbol, r.window, ...['window_start', ...COLUMNS.split(', ')].map((c) => (r[c] === null ? 'null' : Number(r[c])))]
    .map(String)
    .join('|');

/** Every bar of the lake, as text, sorted. */
export async function lakeBars(lakeDir: string): Promise<string[]> {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    // every column, doubles as their shortest round-trip digits
    const lake = await db.runAndReadAll(`SELECT symbol, "window", epoch_ms(window_start) AS window_start, ${COLUMNS}
      FROM read_parquet('${lakeDir}/bars/**/*.parquet', hive_partitioning = true)`);
    return lake.getRowObjectsJS().map(text).sort();
  } finally {
    db.closeSync();
  }
}

/** Every bar of MySQL's `bars`, as text, sorted (none when no instance ever reached MySQL: no table yet). */
export async function mysqlBars(url: string): Promise<string[]> {
  // doubles read as 8 bytes (the binary protocol)
  const rows = await queryMysql<Record<string, unknown>>(
    url,
    `SELECT symbol, \`window\`, window_start, ${COLUMNS} FROM bars`,
    [],
    { exact: true },
  ).catch((e: { code?: string }) => {
    if (e.code === 'ER_NO_SUCH_TABLE') return []; // migrations make the table
    throw e;
  });
  return rows
    .map((r) => text({ ...r, window_start: Date.parse(`${String(r.window_start).replace(' ', 'T')}Z`) }))
    .sort();
}

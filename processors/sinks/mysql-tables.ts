/**
 * The MySQL result tables (sql/mysql/002_results.sql) as the sink writes them: columns keyed by the lake column
 * names of docs/lake.md, the natural primary key, and the conversion of a lake row (plain object, timestamps as
 * epoch milliseconds) to SQL values. Every identifier is backquoted when used (`window` and `change` are reserved).
 *
 * `anomalies.window` is NULL in the lake for per-tick anomalies; in MySQL it is '' because it is part of the
 * primary key (a NULL in a key column is not allowed).
 */
import { tlError } from '../../core/errors.js';

export type MysqlKind = 'string' | 'datetime' | 'double' | 'bigint' | 'int';

export interface MysqlColumn {
  name: string;
  kind: MysqlKind;
  nullable: boolean;
  /** Stored instead of a null or missing value (for nullable lake columns that are part of the MySQL key). */
  nullAs?: string;
}

export interface MysqlTable {
  /** MySQL table name. */
  name: string;
  columns: MysqlColumn[];
  key: string[];
}

const col = (name: string, kind: MysqlKind, nullable = false, nullAs?: string): MysqlColumn => ({
  name,
  kind,
  nullable,
  nullAs,
});

export const BARS: MysqlTable = {
  name: 'bars',
  key: ['symbol', 'window', 'window_start'],
  columns: [
    col('symbol', 'string'),
    col('window', 'string'),
    col('window_start', 'datetime'),
    col('window_end', 'datetime'),
    col('open', 'double'),
    col('high', 'double'),
    col('low', 'double'),
    col('close', 'double'),
    col('volume', 'double'),
    col('notional', 'double'),
    col('vwap', 'double', true),
    col('trades', 'bigint'),
    col('trade_rate', 'double', true),
    col('volatility', 'double', true),
    col('log_return', 'double', true),
  ],
};

export const ANOMALIES: MysqlTable = {
  name: 'anomalies',
  key: ['symbol', 'kind', 'window', 'ts'],
  columns: [
    col('symbol', 'string'),
    col('kind', 'string'),
    col('window', 'string', true, ''),
    col('ts', 'datetime'),
    col('severity', 'string'),
    col('value', 'double', true),
    col('threshold', 'double', true),
    col('price', 'double', true),
    col('kafka_partition', 'int', true),
    col('kafka_offset', 'bigint', true),
  ],
};

export const VALUATIONS: MysqlTable = {
  name: 'portfolio_valuations',
  key: ['portfolio_id', 'window', 'as_of'],
  columns: [
    col('portfolio_id', 'string'),
    col('window', 'string'),
    col('as_of', 'datetime'),
    col('investor_id', 'string'),
    col('nav', 'double', true),
    col('change', 'double', true),
    col('change_pct', 'double', true),
    col('positions', 'int'),
    col('missing_prices', 'int'),
  ],
};

export type SqlValue = string | number | null;

export function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** `2026-01-01 00:00:00.000`: a DATETIME(3) literal in UTC. */
export function mysqlDatetime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');
}

function convert(table: MysqlTable, c: MysqlColumn, v: unknown, index: number): SqlValue {
  const bad = (reason: string) =>
    tlError('TL_MYSQL_WRITE', { table: table.name, reason: `row ${index}: ${c.name} ${reason}` });
  if (v === null || v === undefined) {
    if (c.nullAs !== undefined) return c.nullAs;
    if (c.nullable) return null;
    throw bad('is missing');
  }
  switch (c.kind) {
    case 'string':
      if (typeof v !== 'string') throw bad(`must be a string, got ${typeof v}`);
      return v;
    case 'datetime': {
      const ms = v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms >= 253402300800000) {
        throw bad(`must be epoch milliseconds (0001..9999), got ${String(v)}`);
      }
      return mysqlDatetime(ms);
    }
    case 'double':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`must be a finite number, got ${String(v)}`);
      return v;
    case 'bigint':
    case 'int':
      if (typeof v === 'bigint') return v.toString();
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(`must be an integer, got ${String(v)}`);
      return v;
  }
}

/** The SQL values of one lake row, in `table.columns` order. */
export function toSqlValues(table: MysqlTable, row: Record<string, unknown>, index: number): SqlValue[] {
  return table.columns.map((c) => convert(table, c, row[c.name], index));
}

/** `INSERT INTO t (...) VALUES (...),(...) ON DUPLICATE KEY UPDATE c = VALUES(c), ...` for `rows` rows. */
export function upsertSql(table: MysqlTable, rows: number): string {
  const cols = table.columns.map((c) => quoteIdent(c.name));
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  // VALUES(col) works on MySQL 8 (deprecated since 8.0.20 but supported) and MariaDB; the `AS new` alias
  // form of MySQL 8.0.19+ does not exist in MariaDB.
  const update = table.columns
    .filter((c) => !table.key.includes(c.name))
    .map((c) => `${quoteIdent(c.name)} = VALUES(${quoteIdent(c.name)})`)
    .join(', ');
  return `INSERT INTO ${quoteIdent(table.name)} (${cols.join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')} ON DUPLICATE KEY UPDATE ${update}`;
}

/** Rough byte size of a row in a statement, to keep statements well under max_allowed_packet. */
export function estimateBytes(values: SqlValue[]): number {
  let n = 4;
  for (const v of values) n += (v === null ? 4 : typeof v === 'string' ? v.length * 2 : 24) + 2;
  return n;
}

/**
 * Several `ticklake process` instances as a user runs them (issue 19): spawned CLI processes, each with its own
 * state directory, in one consumer group over one lake; signals to kill, pause and resume them; and the comparison,
 * by key, of every lake table (and MySQL) with a single-instance run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import mysql from 'mysql2/promise';
import { diff } from '../../processors/ticks/test/reference.js';

const BIN = join(import.meta.dirname, '..', '..', 'cli', 'bin.js');

export interface Instance {
  name: string;
  child: ChildProcess;
  /** Resolves when the process ended (never rejects). */
  exit: Promise<{ code: number | null; signal: string | null; err: string }>;
  stderr(): string;
}

export interface InstanceSpec {
  name: string;
  brokers: string;
  group: string;
  lakeDir: string;
  stateDir: string;
  /** More flags (e.g. --until-idle, --session-timeout 3s, --max-batch 500). */
  args?: string[];
  env?: Record<string, string>;
  /** Killed with SIGKILL after this long (default 180 s), so a hung instance never outlives the test. */
  limitMs?: number;
}

export function startInstance(s: InstanceSpec): Instance {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'process',
      '--brokers',
      s.brokers,
      '--group',
      s.group,
      '--lake-dir',
      s.lakeDir,
      '--state-dir',
      s.stateDir,
      ...(s.args ?? []),
    ],
    { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...s.env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  const exit = new Promise<{ code: number | null; signal: string | null; err: string }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }, s.limitMs ?? 180_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, err });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, err: `${err}\n${e.message}` });
    });
  });
  return { name: s.name, child, exit, stderr: () => err };
}

/** Ends an instance whatever its state (a stopped one is continued first so it can die). */
export async function killInstance(i: Instance): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return;
  i.child.kill('SIGCONT');
  i.child.kill('SIGKILL');
  await i.exit;
}

/** Parquet files under a lake table (dot-names excluded, as readers do). */
export async function lakeFiles(lakeDir: string, table: string): Promise<string[]> {
  const names = await readdir(join(lakeDir, table), { recursive: true }).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.parquet') && !n.split('/').some((part) => part.startsWith('.')));
}

export const lakeTable = (dir: string, t: string) =>
  `read_parquet('${dir}/${t}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

/**
 * Each lake table's key and the columns compared, all exactly (no tolerance: the stream SQL adds its doubles in a
 * fixed order, so the same ticks give the same bits however the partitions are split among instances). Not
 * compared: what a run takes from the wall clock (`rejected.received_at`).
 */
export const LAKE_KEYS: [table: string, key: string[], columns: string[]][] = [
  ['ticks', ['kafka_partition', 'kafka_offset'], ['symbol', 'ts', 'price', 'size']],
  ['late_ticks', ['kafka_partition', 'kafka_offset', '"window"'], ['watermark']],
  ['rejected', ['kafka_topic', 'kafka_partition', 'kafka_offset'], ['reason']],
  [
    'bars',
    ['symbol', '"window"', 'window_start'],
    [
      'window_end',
      'open',
      'high',
      'low',
      'close',
      'volume',
      'notional',
      'vwap',
      'trades',
      'trade_rate',
      'volatility',
      'log_return',
    ],
  ],
  ['anomalies', ['symbol', 'kind', '"window"', 'ts'], ['severity', 'kafka_offset', 'value', 'threshold', 'price']],
  [
    'valuations',
    ['portfolio_id', '"window"', 'as_of'],
    ['investor_id', 'nav', 'change', 'change_pct', 'positions', 'missing_prices'],
  ],
];

export interface TableComparison {
  table: string;
  /** Up to 5 rows missing, extra or different (reference.ts `diff`). */
  problems: Record<string, unknown>[];
  /** Rows beyond distinct keys. */
  duplicates: number;
  rows: number;
  expectedRows: number;
}

/**
 * Every lake table of `lakeDir` against the single-instance lake `expectedDir`, by key: the rows that differ and
 * the keys present more than once. A lake equals the single-instance one when every problems list is empty and
 * every duplicates count is 0.
 */
export async function compareLakes(
  conn: DuckDBConnection,
  expectedDir: string,
  lakeDir: string,
): Promise<TableComparison[]> {
  const out: TableComparison[] = [];
  for (const [table, key, columns] of LAKE_KEYS) {
    const expectedFiles = await lakeFiles(expectedDir, table);
    const files = await lakeFiles(lakeDir, table);
    if (expectedFiles.length === 0 && files.length === 0) {
      out.push({ table, problems: [], duplicates: 0, rows: 0, expectedRows: 0 });
      continue;
    }
    if (files.length === 0 || expectedFiles.length === 0) {
      out.push({
        table,
        problems: [{ problem: files.length ? 'extra table' : 'missing table' }],
        duplicates: 0,
        rows: files.length,
        expectedRows: expectedFiles.length,
      });
      continue;
    }
    const e = `SELECT * FROM ${lakeTable(expectedDir, table)}`;
    const a = `SELECT * FROM ${lakeTable(lakeDir, table)}`;
    const problems = await diff(conn, e, a, key, [], columns);
    const r = await conn.runAndReadAll(`SELECT (SELECT count(*) FROM (${a}))::INTEGER,
      (SELECT count(*) FROM (SELECT DISTINCT ${key.join(', ')} FROM (${a})))::INTEGER,
      (SELECT count(*) FROM (${e}))::INTEGER`);
    const [rows, keys, expectedRows] = r.getRowsJS()[0].map(Number);
    out.push({ table, problems, duplicates: rows - keys, rows, expectedRows });
  }
  return out;
}

/** The MySQL result tables the sinks write (sql/mysql/002_results.sql) and their primary keys. */
export const MYSQL_KEYS: [table: string, key: string[]][] = [
  ['bars', ['symbol', 'window', 'window_start']],
  ['anomalies', ['symbol', 'kind', 'window', 'ts']],
  ['portfolio_valuations', ['portfolio_id', 'window', 'as_of']],
];

/**
 * A MySQL table's rows, each as one JSON string: read over the binary protocol (a prepared statement), so a DOUBLE
 * arrives as its 8 bytes and JSON prints it as the shortest string that reads back as the same bits; times as
 * MySQL prints them (DATETIME(3), UTC).
 */
async function mysqlRows(url: string, table: string): Promise<string[]> {
  const conn = await mysql.createConnection({ uri: url, timezone: 'Z', dateStrings: true });
  try {
    const [rows] = await conn.execute(`SELECT * FROM \`${table}\``);
    return (rows as Record<string, unknown>[]).map((r) => JSON.stringify(r));
  } finally {
    await conn.end();
  }
}

/**
 * Every MySQL result table of the database `url` against the single-instance run's database `expectedUrl`, row for
 * row and bit for bit (no tolerance: the same ticks give the same bits, as in the lake). A row of one that the other
 * lacks, or has with any other value, is a problem (up to 5 shown); MySQL's primary keys rule out duplicates, so
 * `duplicates` is always 0 here.
 */
export async function compareMysql(expectedUrl: string, url: string): Promise<TableComparison[]> {
  const out: TableComparison[] = [];
  for (const [table] of MYSQL_KEYS) {
    const [expected, actual] = await Promise.all([mysqlRows(expectedUrl, table), mysqlRows(url, table)]);
    const left = new Map<string, number>();
    for (const r of actual) left.set(r, (left.get(r) ?? 0) + 1);
    const problems: Record<string, unknown>[] = [];
    for (const r of expected) {
      const n = left.get(r) ?? 0;
      if (n > 0) left.set(r, n - 1);
      else problems.push({ problem: 'missing or different', row: JSON.parse(r) });
    }
    for (const [r, n] of left) if (n > 0) problems.push({ problem: 'extra or different', row: JSON.parse(r) });
    out.push({
      table,
      problems: problems.slice(0, 5),
      duplicates: 0,
      rows: actual.length,
      expectedRows: expected.length,
    });
  }
  return out;
}

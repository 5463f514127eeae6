/**
 * The keyed-table engine's state database: one DuckDB file, `<state-dir>/tables.duckdb`, holding everything that
 * changes together, in one transaction per batch (docs/tables.md):
 *
 * - `offsets`: the next offset per topic and partition (the source of truth; Kafka's committed offsets are a copy);
 * - schema `cur`: every declared table's current state (a keyed table's latest row per key, a stream's retained rows,
 *   a job's result), the declared columns plus `_lsn`, `_ts`;
 * - schema `log`: the change log of the tables some job reads as `<name>_history`;
 * - schema `win`: the open windows' rows of each window job, and `wm`, the watermarks per job and partition;
 * - the outbox: `outbox` (one row per batch, a done flag per sink), schema `ob` with each table's changes of the
 *   batch, and `ob_rejected` with the invalid messages.
 *
 * Declarations change between runs: `meta` keeps each table's columns and key as last run, and `migrate` adds,
 * drops and retypes columns to follow; a changed key is refused (the lake and MySQL hold rows by the old key).
 */
import { mkdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '../../core/duckdb.js';
import { trackDuckDb } from '../../core/duckdb-databases.js';
import { tlError } from '../../core/errors.js';
import { sqlIdent, sqlString } from '../../lake/sql-quote.js';
import type { TableCatalog } from './catalog.js';
import { CHANGE_COLUMNS, type ColumnDecl, type TableDecl } from './source-file.js';

export const TABLES_STATE_FILE = 'tables.duckdb';

export interface TablesState {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  path: string;
}

const q = sqlIdent;

export async function openTablesState(stateDir: string | undefined, memoryLimit = '512MB'): Promise<TablesState> {
  let path = ':memory:';
  if (stateDir) {
    mkdirSync(stateDir, { recursive: true });
    path = join(stateDir, TABLES_STATE_FILE);
  }
  const instance = await DuckDBInstance.create(path, { threads: '2', memory_limit: memoryLimit });
  trackDuckDb('tables', instance);
  const conn = await instance.connect();
  // TIMESTAMP WITH TIME ZONE columns are read and written in UTC, whatever the machine's zone
  await conn.run("SET TimeZone = 'UTC'");
  return { instance, conn, path };
}

/** `cur.<name>`, `log.<name>`, … */
export const rel = (schema: 'cur' | 'log' | 'win' | 'ob', name: string) => `${schema}.${q(name)}`;

export const columnsDdl = (cols: readonly ColumnDecl[]) => cols.map((c) => `${q(c.name)} ${c.type}`).join(', ');

/** What a table looked like when it was last run: to migrate its state and refuse a changed key. */
interface StoredShape {
  columns: ColumnDecl[];
  key: string[];
}

export async function createBaseSchema(conn: DuckDBConnection): Promise<void> {
  for (const s of ['cur', 'log', 'win', 'ob']) await conn.run(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  for (const ddl of [
    'CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)',
    'CREATE TABLE IF NOT EXISTS offsets (topic VARCHAR, kafka_partition INTEGER, next_offset BIGINT)',
    `CREATE TABLE IF NOT EXISTS outbox (batch_id BIGINT, created_at TIMESTAMP, lake_done BOOLEAN, mysql_done BOOLEAN,
       kafka_done BOOLEAN)`,
    `CREATE TABLE IF NOT EXISTS ob_rejected (batch_id BIGINT, date DATE, kafka_topic VARCHAR, kafka_partition INTEGER,
       kafka_offset BIGINT, received_at TIMESTAMP, reason VARCHAR, key VARCHAR, value VARCHAR)`,
    'CREATE TABLE IF NOT EXISTS wm (job VARCHAR, kafka_partition INTEGER, max_ts BIGINT, watermark BIGINT)',
    'CREATE TABLE IF NOT EXISTS win_progress (job VARCHAR, closed_through BIGINT)',
  ]) {
    await conn.run(ddl);
  }
}

export async function readMeta(conn: DuckDBConnection, key: string): Promise<string | undefined> {
  const r = await conn.runAndReadAll('SELECT value FROM meta WHERE key = $key', { key });
  const rows = r.getRowsJS();
  return rows.length ? String(rows[0][0]) : undefined;
}

/** True when no batch was ever committed to this state (a new or never used `--state-dir`). */
export async function isNewState(conn: DuckDBConnection): Promise<boolean> {
  return (await readMeta(conn, 'next_batch_id')) === undefined;
}

/**
 * The files only this engine's delivery and folding write, per change-log layer (lake/changelog.ts,
 * lake/changelog-fold.ts), and its dead letters in the lake (`rejected/date=…/t<batch>.parquet`, processors/sinks/
 * change-delivery.ts). The empty `schema-<hash>.parquet` of a declaration is not output: any start writes it.
 */
const OUTPUT_FILES: [layer: string, name: RegExp][] = [
  ['changes', /^b\d+\.parquet$/],
  ['base', /^base-\d+\.parquet$/],
  ['history', /^h-\d+-\d+\.parquet$/],
];
const REJECTED_FILE = /^t\d+\.parquet$/;

/**
 * A file of the lake that a keyed-table engine wrote for one of `tables` (or a dead letter of one), or undefined.
 * A new state over such a lake is a lost or mistyped `--state-dir`: its batch ids would start again at 1, overwrite
 * those files and count every message of the topics twice (issue 21 item 4; the tick engine refuses the same way).
 */
export async function findTablesOutput(lakeDir: string, tables: readonly string[]): Promise<string | undefined> {
  const list = async (dir: string, recursive = false) => {
    try {
      return await readdir(dir, { withFileTypes: true, recursive });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw e;
    }
  };
  for (const t of tables) {
    for (const [layer, name] of OUTPUT_FILES) {
      const hit = (await list(join(lakeDir, t, layer))).find((e) => e.isFile() && name.test(e.name));
      if (hit) return join(hit.parentPath, hit.name);
    }
  }
  const hit = (await list(join(lakeDir, 'rejected'), true)).find((e) => e.isFile() && REJECTED_FILE.test(e.name));
  return hit ? join(hit.parentPath, hit.name) : undefined;
}

export async function writeMeta(conn: DuckDBConnection, key: string, value: string): Promise<void> {
  await conn.run('INSERT OR REPLACE INTO meta VALUES ($key, $value)', { key, value });
}

/**
 * Creates or migrates the state tables of every declared table: `cur` (and `log` when `withLog` names it, and the
 * outbox table). Returns the names whose declaration changed (their jobs must be recomputed in full).
 */
export async function createTableSchemas(
  conn: DuckDBConnection,
  catalog: TableCatalog,
  withLog: ReadonlySet<string>,
): Promise<Set<string>> {
  const changed = new Set<string>();
  for (const t of [...catalog.sources, ...catalog.jobs]) {
    const stored = await readMeta(conn, `shape:${t.name}`);
    const shape: StoredShape = { columns: t.columns, key: t.key };
    if (stored !== undefined) {
      const old = JSON.parse(stored) as StoredShape;
      refuseChangedKey(t, old);
      if (JSON.stringify(old.columns) !== JSON.stringify(t.columns)) {
        for (const s of ['cur', 'log', 'ob'] as const) await migrateColumns(conn, rel(s, t.name), old.columns, t);
        changed.add(t.name);
      }
    }
    if (t.kind === 'job' && (await readMeta(conn, `sql:${t.name}`)) !== t.sql) changed.add(t.name);
    const cols = columnsDdl(t.columns);
    await conn.run(`CREATE TABLE IF NOT EXISTS ${rel('cur', t.name)} (${cols}, _lsn BIGINT, _ts TIMESTAMP)`);
    await conn.run(
      `CREATE TABLE IF NOT EXISTS ${rel('ob', t.name)} (batch_id BIGINT, ${cols}, ${columnsDdl(CHANGE_COLUMNS)})`,
    );
    if (withLog.has(t.name)) {
      const fresh = !(await tableExists(conn, 'log', t.name));
      await conn.run(`CREATE TABLE IF NOT EXISTS ${rel('log', t.name)} (${cols}, ${columnsDdl(CHANGE_COLUMNS)})`);
      // a table first read as history after it had rows: its log starts with the current rows
      if (fresh) {
        await conn.run(
          `INSERT INTO ${rel('log', t.name)} SELECT * EXCLUDE (_lsn, _ts), 'c' AS _op, _lsn, _ts FROM ${rel('cur', t.name)}`,
        );
      }
    }
    if (t.kind === 'job' && t.jobKind === 'window') {
      const src = catalog.byName.get(t.source as string) as TableDecl;
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${rel('win', t.name)} (${columnsDdl(src.columns)}, _lsn BIGINT, _ts TIMESTAMP,
           _partition INTEGER, _event BIGINT, _window_start BIGINT)`,
      );
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${rel('ob', `${t.name}_late`)} (batch_id BIGINT, ${columnsDdl(src.columns)},
           window_start TIMESTAMP, watermark TIMESTAMP, ${columnsDdl(CHANGE_COLUMNS)})`,
      );
    }
    await writeMeta(conn, `shape:${t.name}`, JSON.stringify(shape));
    if (t.kind === 'job') await writeMeta(conn, `sql:${t.name}`, t.sql);
  }
  return changed;
}

function refuseChangedKey(t: TableDecl, old: StoredShape): void {
  if (old.key.join(',') === t.key.join(',')) return;
  throw tlError('TL_SQL_FILE', {
    file: t.file,
    line: t.line,
    reason: `the key of ${t.name} changed from (${old.key.join(', ') || 'none: a stream'}) to (${t.key.join(', ') || 'none: a stream'}); the lake and MySQL hold its rows by the old key: give the table a new name`,
  });
}

/** Refuses a declared table whose key changed since it last ran, before any table starts (as `createTableSchemas`). */
export async function refuseChangedKeys(conn: DuckDBConnection, tables: readonly TableDecl[]): Promise<void> {
  const r = await conn.runAndReadAll("SELECT key, value FROM meta WHERE key LIKE 'shape:%'");
  const stored = new Map(r.getRowsJS().map(([k, v]) => [String(k).slice('shape:'.length), String(v)]));
  for (const t of tables) {
    const old = stored.get(t.name);
    if (old !== undefined) refuseChangedKey(t, JSON.parse(old) as StoredShape);
  }
}

async function tableExists(conn: DuckDBConnection, schema: string, name: string): Promise<boolean> {
  const r = await conn.runAndReadAll(
    `SELECT count(*) FROM duckdb_tables() WHERE schema_name = ${sqlString(schema)} AND table_name = ${sqlString(name)}`,
  );
  return Number(r.getRowsJS()[0][0]) > 0;
}

/** Adds, drops and retypes the columns of one state table to follow a changed declaration. */
async function migrateColumns(
  conn: DuckDBConnection,
  table: string,
  old: readonly ColumnDecl[],
  t: TableDecl,
): Promise<void> {
  const [schema, name] = [table.slice(0, table.indexOf('.')), t.name];
  if (!(await tableExists(conn, schema, name))) return;
  for (const c of old) {
    if (!t.columns.some((x) => x.name === c.name)) await conn.run(`ALTER TABLE ${table} DROP COLUMN ${q(c.name)}`);
  }
  for (const c of t.columns) {
    const before = old.find((x) => x.name === c.name);
    if (!before) await conn.run(`ALTER TABLE ${table} ADD COLUMN ${q(c.name)} ${c.type}`);
    else if (before.type !== c.type) {
      try {
        await conn.run(`ALTER TABLE ${table} ALTER ${q(c.name)} TYPE ${c.type} USING CAST(${q(c.name)} AS ${c.type})`);
      } catch (e) {
        throw tlError('TL_SQL_FILE', {
          file: t.file,
          line: t.line,
          reason: `column ${c.name} of ${t.name} changed from ${before.type} to ${c.type}, and a stored value does not convert: ${(e as Error).message.split('\n')[0]}`,
        });
      }
    }
  }
}

/** Rows of a table (DuckDB's CREATE TABLE AS reports no row count, so the engine counts). */
export async function countRows(conn: DuckDBConnection, table: string): Promise<number> {
  const r = await conn.runAndReadAll(`SELECT count(*) FROM ${table}`);
  return Number(r.getRowsJS()[0][0]);
}

/** Next offsets per topic and partition. */
export async function readOffsets(conn: DuckDBConnection): Promise<Map<string, Map<number, number>>> {
  const r = await conn.runAndReadAll('SELECT topic, kafka_partition, next_offset FROM offsets');
  const out = new Map<string, Map<number, number>>();
  for (const [t, p, o] of r.getRowsJS()) {
    const m = out.get(String(t)) ?? new Map<number, number>();
    out.set(String(t), m);
    m.set(Number(p), Number(o));
  }
  return out;
}

export async function writeOffsets(conn: DuckDBConnection, changed: Map<string, Map<number, number>>): Promise<void> {
  for (const [topic, parts] of changed) {
    for (const [p, next] of parts) {
      await conn.run('DELETE FROM offsets WHERE topic = $topic AND kafka_partition = $p', { topic, p });
      await conn.run('INSERT INTO offsets VALUES ($topic, $p, $next)', { topic, p, next });
    }
  }
}

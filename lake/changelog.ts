/**
 * Keyed tables, streams and job outputs in the lake (docs/tables.md, docs/lake.md): each is a change log of Parquet
 * files — the declared columns plus `_op`, `_lsn`, `_ts` — in three directories of `<lake>/<table>/`:
 *
 *   changes/   the log since the last fold, one file per delivered batch (`b<batch>.parquet`: re-delivery overwrites)
 *   base/      a fold: the latest row of every key up to a `_lsn` (lake/changelog-fold.ts)
 *   history/   change files already folded into the base, kept for `_changes`, `_history` and `_as_of`
 *
 * A `schema-<hash>.parquet` with no rows in `changes/` carries the declared columns and types, so a table reads
 * with its columns before its first change and a column added later exists in every reader.
 *
 * The views every reader gets (`viewStatements`) are plain SQL over `read_parquet`, so Spark, Trino or the duckdb
 * CLI compute the same state from the same files (`ticklake views --print`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '../core/duckdb.js';
import { sqlIdent, sqlString } from './sql-quote.js';
import { fsyncPath, writeParquetFile } from './writer.js';

const q = sqlIdent;

export interface ChangelogColumn {
  name: string;
  /** DuckDB type. */
  type: string;
}

/** A keyed table, stream or job output as the lake sees it. */
export interface ChangelogTable {
  name: string;
  columns: readonly ChangelogColumn[];
  /** Empty for a stream (append-only). */
  key: readonly string[];
  /** Column giving the time a version holds from (`_history`); undefined: `_ts`. */
  validFrom?: string;
}

export const LAYERS = ['changes', 'base', 'history'] as const;
export type Layer = (typeof LAYERS)[number];

export const CHANGE_COLUMNS: readonly ChangelogColumn[] = [
  { name: '_op', type: 'VARCHAR' },
  { name: '_lsn', type: 'BIGINT' },
  { name: '_ts', type: 'TIMESTAMP' },
];

export function layerDir(lakeDir: string, table: string, layer: Layer): string {
  return join(lakeDir, table, layer);
}

/** The file columns of a table's change log, cast to their declared types, from `query`. */
export function changeFileQuery(t: ChangelogTable, query: string): string {
  const cols = [...t.columns, ...CHANGE_COLUMNS].map((c) => `CAST(_c.${q(c.name)} AS ${c.type}) AS ${q(c.name)}`);
  return `SELECT ${cols.join(', ')} FROM (${query}) AS _c`;
}

/** Writes one change file of a table (atomically; a re-delivered batch overwrites, a folded one is skipped). */
export async function writeChangeFile(
  conn: DuckDBConnection,
  lakeDir: string,
  t: ChangelogTable,
  fileName: string,
  query: string,
): Promise<{ path: string; rows: number; mergedInto?: string }> {
  return writeParquetFile(conn, layerDir(lakeDir, t.name, 'changes'), fileName, changeFileQuery(t, query));
}

/** `schema-<hash>.parquet`: the name of the empty file carrying a declaration's columns. */
export function schemaFileName(t: ChangelogTable): string {
  const h = createHash('sha256')
    .update(JSON.stringify([t.columns.map((c) => [c.name, c.type]), t.key]))
    .digest('hex')
    .slice(0, 16);
  return `schema-${h}.parquet`;
}

/** Makes sure the table's directory holds the empty file of its current declaration. */
export async function ensureSchemaFile(conn: DuckDBConnection, lakeDir: string, t: ChangelogTable): Promise<void> {
  const dir = layerDir(lakeDir, t.name, 'changes');
  const name = schemaFileName(t);
  if (existsSync(join(dir, name))) return;
  const empty = [...t.columns, ...CHANGE_COLUMNS].map((c) => `NULL::${c.type} AS ${q(c.name)}`).join(', ');
  await writeParquetFile(conn, dir, name, `SELECT ${empty} WHERE false`);
  await fsyncPath(dir, 'r');
}

/** True when the table has any Parquet file in the lake (else its views are empty views of its columns). */
export function hasChangelog(lakeDir: string, table: string): boolean {
  for (const layer of LAYERS) {
    const dir = layerDir(lakeDir, table, layer);
    try {
      if (readdirSync(dir).some((f) => f.endsWith('.parquet') && !f.startsWith('.'))) return true;
    } catch {
      // no such layer yet
    }
  }
  return false;
}

/** `read_parquet` of a table's layers, with the file name in `_file` (so a layer is chosen by path, not opened). */
function scan(lakeDir: string, t: ChangelogTable, layers: readonly Layer[]): string {
  // `.`: a session whose working directory is the lake (the API's query processes) reads it relative to it
  const root = lakeDir === '.' ? t.name : resolve(lakeDir, t.name);
  const cast = [...t.columns, ...CHANGE_COLUMNS]
    .map((c) => `CAST(${q(c.name)} AS ${c.type}) AS ${q(c.name)}`)
    .join(', ');
  const where = layers.map((l) => `_file LIKE ${sqlString(`${join(root, l)}/%`)}`).join(' OR ');
  return `SELECT ${cast} FROM read_parquet(${sqlString(`${root}/*/*.parquet`)}, union_by_name = true, filename = '_file')
    WHERE ${where}`;
}

const cols = (t: ChangelogTable) => t.columns.map((c) => q(c.name)).join(', ');

/** The latest row per key, deleted keys hidden, over a relation holding a change log. */
export function latestSql(t: ChangelogTable, log: string): string {
  if (t.key.length === 0) return `SELECT ${cols(t)} FROM ${log} WHERE _op <> 'd'`;
  return `SELECT ${cols(t)} FROM ${log}
    QUALIFY row_number() OVER (PARTITION BY ${t.key.map(q).join(', ')} ORDER BY _lsn DESC) = 1 AND _op <> 'd'`;
}

/**
 * Every version with `_valid_from` and `_valid_to` (docs/tables.md): from the `valid_from` column (or `_ts`) to the
 * key's next version or delete; versions with the same `_valid_from` keep the later `_lsn` (a correction).
 */
export function historyViewSql(t: ChangelogTable, log: string): string {
  const key = t.key.map(q).join(', ');
  const vf = t.validFrom ? `coalesce(CAST(${q(t.validFrom)} AS TIMESTAMP), _ts)` : '_ts';
  return `SELECT ${cols(t)}, _valid_from, _valid_to, _lsn, _ts FROM (
    SELECT *, lead(_valid_from) OVER (PARTITION BY ${key} ORDER BY _valid_from, _lsn) AS _valid_to
    FROM (
      SELECT *, CASE WHEN _op = 'd' THEN _ts ELSE ${vf} END AS _valid_from FROM ${log}
      QUALIFY row_number() OVER (PARTITION BY ${key}, CASE WHEN _op = 'd' THEN _ts ELSE ${vf} END ORDER BY _lsn DESC) = 1
    )
  ) WHERE _op <> 'd'`;
}

/**
 * The statements creating a table's views: `<t>` (latest row per key; a stream: every row), `<t>_changes` (the log),
 * `<t>_history` (keyed tables) and the table macro `<t>_as_of(ts)`. Without files yet they are empty views of the
 * declared columns.
 */
export function viewStatements(lakeDir: string, t: ChangelogTable, hasFiles = hasChangelog(lakeDir, t.name)): string[] {
  const name = (suffix = '') => q(`${t.name}${suffix}`);
  const log = hasFiles
    ? scan(lakeDir, t, ['changes', 'history'])
    : `SELECT ${[...t.columns, ...CHANGE_COLUMNS].map((c) => `NULL::${c.type} AS ${q(c.name)}`).join(', ')} WHERE false`;
  // a stream is never folded into a base: its rows are the log itself
  const current = hasFiles && t.key.length > 0 ? scan(lakeDir, t, ['base', 'changes']) : log;
  const out = [
    `CREATE OR REPLACE VIEW ${name('_changes')} AS ${log}`,
    `CREATE OR REPLACE VIEW ${name()} AS ${latestSql(t, `(${current})`)}`,
  ];
  if (t.key.length > 0) {
    out.push(`CREATE OR REPLACE VIEW ${name('_history')} AS ${historyViewSql(t, name('_changes'))}`);
    out.push(`CREATE OR REPLACE MACRO ${name('_as_of')}(ts) AS TABLE
      ${latestSql(t, `(SELECT * FROM ${name('_changes')} WHERE _ts <= CAST(ts AS TIMESTAMP))`)}`);
  }
  return out;
}

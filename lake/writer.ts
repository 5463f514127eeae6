/**
 * Writes one Parquet file of the lake, atomically and idempotently (docs/lake.md):
 *
 * 1. `COPY (SELECT <the table's file columns, cast to their contract types> FROM (query)) TO '<dir>/.<name>.tmp'`
 *    (Parquet, ZSTD) on the caller's DuckDB connection, so the query can read the caller's tables;
 * 2. fsync the temporary file; 3. rename it to `<name>`; 4. fsync the directory.
 *
 * Readers glob `*.parquet` and ignore dot-names, so they see either the old file or the new one, never a part.
 * Writing the same name again replaces the file: a re-delivered batch overwrites instead of duplicating.
 * A crash leaves at most a `.<name>.tmp`, which nothing reads; `removeTempFiles` (run by compaction) clears them.
 * A name that compaction has already merged into a bigger file (lake/compact-manifest.ts) is not written again:
 * the result says `mergedInto` and `rows: 0`, because those rows are already in the lake. Compaction may merge the
 * old file of a re-delivered batch while the new one is being written, so the writer asks again before the rename
 * (drops its temp file) and after it (deletes the file it just published: the merged file holds the same rows, the
 * name being derived from them). A query can count such rows twice only in the microseconds between that rename and
 * that delete, and only when the merge committed in between; a crash there leaves the file to the next compaction,
 * which deletes files whose names it already merged.
 *
 * The query must yield the table's file columns (lake/tables.ts `columns`) by name; other columns (for example the
 * partition columns) are ignored, and each column is cast to its contract type, so the files of a table always
 * have one schema whatever the query computed them with. Give timestamps as TIMESTAMP holding UTC (for example
 * `epoch_ms(bigint)`): a TIMESTAMPTZ would be converted in the connection's TimeZone setting.
 */
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBType, DuckDBValue } from '../core/duckdb.js';
import { isTicklakeError, tlError } from '../core/errors.js';
import { mergedInto, readManifest } from './compact-manifest.js';
import { badPathPart, hivePath, requireLakeTable } from './hive-path.js';
import { sqlIdent, sqlString } from './sql-quote.js';

export interface LakeFileSpec {
  lakeDir: string;
  table: string;
  partition: Record<string, string>;
  /** `<name>.parquet`, derived from what the file holds (offset range, outbox batch id). */
  fileName: string;
  /** DuckDB query yielding the table's file columns. */
  query: string;
  params?: Record<string, DuckDBValue>;
}

export const TEMP_PREFIX = '.';
export const TEMP_SUFFIX = '.tmp';

/** `SELECT CAST(c AS type) AS c, ...` of a table's file columns over a subquery. */
export function fileColumnsQuery(table: string, query: string): string {
  const t = requireLakeTable(table);
  const select = t.columns.map((c) => `CAST(q.${sqlIdent(c.name)} AS ${c.type}) AS ${sqlIdent(c.name)}`).join(', ');
  return `SELECT ${select} FROM (${query}) AS q`;
}

/** `<dir>/.<fileName>.tmp`: where a file is written before it is renamed into view. */
export function tempPath(dir: string, fileName: string): string {
  return join(dir, `${TEMP_PREFIX}${fileName}${TEMP_SUFFIX}`);
}

/** COPY a query to `tempPath(dir, fileName)` (Parquet, ZSTD) and fsync it. Returns the row count. */
export async function copyToParquetTemp(
  conn: DuckDBConnection,
  dir: string,
  fileName: string,
  query: string,
  params?: Record<string, DuckDBValue>,
  /** Types of the params (a NULL needs one); see lake/sql-params.ts. */
  types?: Record<string, DuckDBType>,
): Promise<number> {
  const tmp = tempPath(dir, fileName);
  try {
    await mkdir(dir, { recursive: true });
    const sql = `COPY (${query}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`;
    const result = params ? await conn.run(sql, params, types) : await conn.run(sql);
    await fsyncPath(tmp, 'r+');
    return Number(result.rowsChanged);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    if (isTicklakeError(e)) throw e;
    throw tlError('TL_LAKE_WRITE', { file: join(dir, fileName), reason: (e as Error).message }, e);
  }
}

/** Renames `tempPath(dir, fileName)` to `fileName` and fsyncs the directory: the file appears whole. */
export async function publishTemp(dir: string, fileName: string): Promise<void> {
  try {
    await rename(tempPath(dir, fileName), join(dir, fileName));
    await fsyncPath(dir, 'r');
  } catch (e) {
    throw tlError('TL_LAKE_WRITE', { file: join(dir, fileName), reason: (e as Error).message }, e);
  }
}

export async function writeLakeFile(
  conn: DuckDBConnection,
  opts: LakeFileSpec,
): Promise<{ path: string; rows: number; mergedInto?: string }> {
  const dir = hivePath(opts.lakeDir, opts.table, opts.partition);
  return writeParquetFile(conn, dir, opts.fileName, fileColumnsQuery(opts.table, opts.query), opts.params);
}

/**
 * Writes `<dir>/<fileName>` from `query` (already selecting the file's columns) atomically, unless compaction has
 * merged that name away (then `mergedInto` says where its rows are): the steps of `writeLakeFile`, for any
 * directory of the lake (the keyed tables' change logs, lake/changelog.ts, use it directly).
 */
export async function writeParquetFile(
  conn: DuckDBConnection,
  dir: string,
  fileName: string,
  query: string,
  params?: Record<string, DuckDBValue>,
): Promise<{ path: string; rows: number; mergedInto?: string }> {
  const bad = badPathPart(fileName) ?? (fileName.endsWith('.parquet') ? undefined : 'does not end in .parquet');
  if (bad) throw tlError('TL_LAKE_WRITE', { file: join(dir, fileName), reason: `file name ${bad}` });
  // A batch re-delivered after compaction merged its file away: its rows are already in the merged file.
  const merged = await mergedFile(dir, fileName);
  if (merged) return { path: join(dir, merged), rows: 0, mergedInto: merged };
  const rows = await copyToParquetTemp(conn, dir, fileName, query, params);
  const mergedMeanwhile = await mergedFile(dir, fileName).catch(async (e) => {
    await rm(tempPath(dir, fileName), { force: true }).catch(() => {});
    throw e;
  });
  if (mergedMeanwhile) {
    await rm(tempPath(dir, fileName), { force: true });
    return { path: join(dir, mergedMeanwhile), rows: 0, mergedInto: mergedMeanwhile };
  }
  try {
    await publishTemp(dir, fileName);
  } catch (e) {
    await rm(tempPath(dir, fileName), { force: true }).catch(() => {});
    throw e;
  }
  const mergedAfter = await mergedFile(dir, fileName);
  if (mergedAfter) {
    await rm(join(dir, fileName), { force: true });
    await fsyncPath(dir, 'r');
    return { path: join(dir, mergedAfter), rows: 0, mergedInto: mergedAfter };
  }
  return { path: join(dir, fileName), rows };
}

function mergedFile(dir: string, fileName: string): Promise<string | undefined> {
  return mergedInto(dir, fileName).catch((e: Error) => {
    throw tlError('TL_LAKE_WRITE', { file: join(dir, fileName), reason: e.message }, e);
  });
}

export async function fsyncPath(path: string, flags: 'r' | 'r+'): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Deletes leftover `.<name>.tmp` files under `dir` (from a crash mid-write) last modified more than `olderThanMs`
 * ago, so that a writer still working on one (a running processor) is not disturbed, except the merged file of an
 * interrupted compaction (`pending` in `.compacted.json`), which the next compaction publishes. Returns the paths
 * removed.
 */
export async function removeTempFiles(dir: string, olderThanMs = 10 * 60_000, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw e;
  }
  for (const ent of entries) {
    if (!ent.isFile() || !ent.name.startsWith(TEMP_PREFIX) || !ent.name.endsWith(TEMP_SUFFIX)) continue;
    const p = join(ent.parentPath, ent.name);
    const st = await stat(p).catch(() => undefined);
    if (!st || now - st.mtimeMs < olderThanMs) continue;
    // The merged file of an interrupted compaction holds rows whose sources may be gone already: keep it.
    const pending = (await readManifest(ent.parentPath).catch(() => undefined))?.pending;
    if (pending && p === tempPath(ent.parentPath, pending.file)) continue;
    await rm(p, { force: true });
    removed.push(p);
  }
  return removed;
}

/**
 * The catalog of declared tables: every source (`sql/sources/*.sql`) and job (`sql/jobs/*.sql`) of the bundled
 * `sql/` and the user's `--sql-dir` overlays (lake/sql-dirs.ts), parsed, bound and ordered.
 *
 * - Sources are read by running their `create table` in a scratch in-memory DuckDB (source-file.ts).
 * - Jobs are bound there too, in dependency order, against empty tables of their inputs' columns: DuckDB's own
 *   binder gives each job's output columns and types, and its errors (an unknown column, a type mismatch) name the
 *   job's file and line before anything runs.
 * - A file that fails is reported (`errors`, with file:line) and left out, with the jobs that read it; the others
 *   keep working.
 */
import { readFileSync } from 'node:fs';
import { type DuckDBConnection, DuckDBInstance } from '../../core/duckdb.js';
import { isTicklakeError, tlError } from '../../core/errors.js';
import { listSqlFiles } from '../../lake/sql-dirs.js';
import { sqlFileError } from '../../lake/sql-file-error.js';
import { headerError } from '../../lake/sql-file-header.js';
import { sqlIdent } from '../../lake/sql-quote.js';
import { type JobDecl, parseJobFile } from './job-file.js';
import { type ColumnDecl, parseSourceFile, type SourceDecl, type TableDecl } from './source-file.js';

export type Decl = SourceDecl | JobDecl;

export interface CatalogError {
  file: string;
  message: string;
  error: Error;
}

export interface TableCatalog {
  /** Keyed-table and stream sources (not the tick source), by name. */
  sources: SourceDecl[];
  /** The tick engine's source(s) (`-- format: ticks`). */
  tickSources: SourceDecl[];
  /** Jobs in dependency order (a job after everything it reads). */
  jobs: JobDecl[];
  errors: CatalogError[];
  /** Every declared table (sources and jobs) by name. */
  byName: Map<string, Decl>;
}

/** The suffix of a table's version history relation, readable by jobs. */
export const HISTORY_SUFFIX = '_history';
/** Columns `<t>_history` adds to the declared ones. */
export const HISTORY_COLUMNS: readonly ColumnDecl[] = [
  { name: '_valid_from', type: 'TIMESTAMP', notNull: true },
  { name: '_valid_to', type: 'TIMESTAMP', notNull: false },
  { name: '_lsn', type: 'BIGINT', notNull: true },
  { name: '_ts', type: 'TIMESTAMP', notNull: true },
];

/** The declared table a relation name refers to (`products` or `products_history`), and whether it is the history. */
export function relationOf(name: string, byName: Map<string, Decl>): { decl: Decl; history: boolean } | undefined {
  const d = byName.get(name);
  if (d) return { decl: d, history: false };
  if (name.endsWith(HISTORY_SUFFIX)) {
    const h = byName.get(name.slice(0, -HISTORY_SUFFIX.length));
    if (h && h.key.length > 0) return { decl: h, history: true };
  }
  return undefined;
}

export async function loadTableCatalog(
  sqlDirs: readonly string[] = [],
  opts: { bundled?: boolean } = {},
): Promise<TableCatalog> {
  const bundled = opts.bundled ?? true;
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  try {
    return await build(conn, sqlDirs, bundled);
  } finally {
    conn.closeSync();
  }
}

async function build(conn: DuckDBConnection, sqlDirs: readonly string[], bundled: boolean): Promise<TableCatalog> {
  const errors: CatalogError[] = [];
  const fail = (file: string, e: unknown) => {
    const error = e instanceof Error ? e : new Error(String(e));
    errors.push({ file, message: error.message, error });
  };
  const byName = new Map<string, Decl>();
  const sources: SourceDecl[] = [];
  const tickSources: SourceDecl[] = [];
  for (const f of listSqlFiles('sources', sqlDirs, bundled)) {
    try {
      const s = await parseSourceFile(conn, f.display, f.name, readFileSync(f.path, 'utf8'));
      byName.set(s.name, s);
      (s.format === 'ticks' ? tickSources : sources).push(s);
    } catch (e) {
      fail(f.display, e);
    }
  }
  const parsed: JobDecl[] = [];
  for (const f of listSqlFiles('jobs', sqlDirs, bundled)) {
    try {
      const j = await parseJobFile(conn, f.display, f.name, readFileSync(f.path, 'utf8'));
      if (byName.has(j.name)) throw headerError(j.parts, 'title', `a source is named ${j.name} too: rename the job`);
      parsed.push(j);
      byName.set(j.name, j);
    } catch (e) {
      fail(f.display, e);
    }
  }
  // the scratch schema: every source as an empty table, its history as a view with the history columns
  await conn.run('CREATE SCHEMA IF NOT EXISTS decl');
  await conn.run('SET search_path = decl');
  for (const s of [...sources, ...tickSources]) await declareRelation(conn, s);
  const jobs: JobDecl[] = [];
  const done = new Set<string>([...sources, ...tickSources].map((s) => s.name));
  const failed = new Set<string>();
  let pending = parsed;
  while (pending.length > 0) {
    const next: JobDecl[] = [];
    let progressed = false;
    for (const j of pending) {
      const unknown = j.reads.filter((r) => !relationOf(r, byName));
      const broken = j.reads.filter((r) => {
        const rel = relationOf(r, byName);
        return rel && failed.has(rel.decl.name);
      });
      if (unknown.length > 0 || broken.length > 0) {
        const what =
          unknown.length > 0
            ? `reads ${unknown.join(', ')}, which no source or job declares`
            : `reads ${broken.join(', ')}, which failed`;
        fail(j.file, tlError('TL_SQL_FILE', { file: j.file, line: j.line, reason: what }));
        failed.add(j.name);
        byName.delete(j.name);
        progressed = true;
        continue;
      }
      if (!j.reads.every((r) => done.has((relationOf(r, byName) as { decl: Decl }).decl.name))) {
        next.push(j);
        continue;
      }
      try {
        await bindJob(conn, j, byName);
        jobs.push(j);
        done.add(j.name);
      } catch (e) {
        fail(j.file, e);
        failed.add(j.name);
        byName.delete(j.name);
      }
      progressed = true;
    }
    if (!progressed) {
      for (const j of next) {
        fail(
          j.file,
          tlError('TL_SQL_FILE', {
            file: j.file,
            line: j.line,
            reason: `jobs read each other in a cycle: ${next.map((x) => x.name).join(', ')}`,
          }),
        );
        byName.delete(j.name);
      }
      break;
    }
    pending = next;
  }
  return { sources, tickSources, jobs, errors, byName };
}

/** Creates the empty relations a job may read for a declared table: `<t>` and `<t>_history`. */
async function declareRelation(conn: DuckDBConnection, t: TableDecl): Promise<void> {
  const cols = t.columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ');
  await conn.run(`CREATE OR REPLACE TABLE decl.${sqlIdent(t.name)} (${cols})`);
  if (t.key.length > 0) {
    const extra = HISTORY_COLUMNS.map((c) => `NULL::${c.type} AS ${sqlIdent(c.name)}`).join(', ');
    await conn.run(
      `CREATE OR REPLACE VIEW decl.${sqlIdent(t.name + HISTORY_SUFFIX)} AS SELECT *, ${extra} FROM decl.${sqlIdent(t.name)}`,
    );
  }
}

/** Binds a job against its inputs: its output columns, and checks of its key, partition_by and window. */
async function bindJob(conn: DuckDBConnection, j: JobDecl, byName: Map<string, Decl>): Promise<void> {
  let sql = j.sql;
  if (j.jobKind === 'window') {
    const streams = j.reads.filter((r) => {
      const d = byName.get(r);
      return d?.kind === 'source' && d.key.length === 0;
    });
    j.source ??= streams.length === 1 ? streams[0] : undefined;
    const src = j.source === undefined ? undefined : byName.get(j.source);
    if (src?.kind !== 'source' || src.key.length > 0) {
      throw headerError(
        j.parts,
        j.parts.fields.has('source') ? 'source' : 'kind',
        `a window job reads one stream (a source without a primary key)${j.source ? `; ${j.source} is not one` : `: name it with "-- source:" (it reads ${j.reads.join(', ') || 'none'})`}`,
      );
    }
    sql = `WITH ${sqlIdent(src.name)} AS (SELECT *, NULL::TIMESTAMP AS window_start, NULL::TIMESTAMP AS window_end FROM decl.${sqlIdent(src.name)}) SELECT * FROM (${j.sql}) AS _q`;
  }
  try {
    const r = await conn.runAndReadAll(`DESCRIBE ${sql}`);
    j.columns = r.getRowObjectsJS().map((row) => ({
      name: String(row.column_name),
      type: String(row.column_type),
      notNull: false,
    }));
  } catch (e) {
    throw sqlFileError({ file: j.file, line: j.line }, e, j.jobKind === 'window' ? 0 : 0);
  }
  const names = new Set(j.columns.map((c) => c.name));
  if (names.size !== j.columns.length) {
    throw tlError('TL_SQL_FILE', {
      file: j.file,
      line: j.line,
      reason: 'the select yields two columns of the same name',
    });
  }
  for (const c of j.columns) {
    if (c.name.startsWith('_')) {
      throw tlError('TL_SQL_FILE', {
        file: j.file,
        line: j.line,
        reason: `output column ${c.name}: names starting with "_" are reserved for the change log (alias it)`,
      });
    }
  }
  for (const [hkey, cols] of [
    ['key', j.key],
    ['partition_by', j.partitionBy],
  ] as const) {
    const missing = cols.filter((c) => !names.has(c));
    if (missing.length > 0) {
      throw headerError(
        j.parts,
        hkey,
        `${hkey} names ${missing.join(', ')}, not a column of the select (it yields ${[...names].join(', ')})`,
      );
    }
  }
  for (const k of j.key) {
    const c = j.columns.find((x) => x.name === k) as ColumnDecl;
    c.notNull = true;
  }
  if (j.jobKind === 'window' && !j.key.includes('window_start')) {
    throw headerError(j.parts, 'key', 'the key of a window job includes window_start (one row per window and group)');
  }
  if (j.jobKind === 'table') {
    // the inputs here are empty tables: a row now is a row before any message (a window job emits none then)
    const r = await conn.runAndReadAll(`SELECT EXISTS (${j.sql})`);
    j.rowsWhenEmpty = r.getRowsJS()[0][0] === true;
  }
  await declareRelation(conn, j);
}

/** Throws the first catalog error (for commands that must not run with a broken file). */
export function firstError(c: TableCatalog): void {
  const e = c.errors[0];
  if (e)
    throw isTicklakeError(e.error) ? e.error : tlError('TL_SQL_FILE', { file: e.file, line: 1, reason: e.message });
}

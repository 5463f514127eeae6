/**
 * A DuckDB session over the lake: one in-memory DuckDB instance with a view per lake table (sql/views/*.sql) and
 * the derived views, shared by the API, the shell and the one-shot commands.
 *
 * - Views read `read_parquet('<lake>/<table>/**\/*.parquet', hive_partitioning, union_by_name)`, so the next query
 *   sees new files without a restart. A table with no files yet is an empty view of the columns in lake/tables.ts
 *   (read_parquet would fail on an empty glob); `refresh()` swaps in the real view once a file appears and is run
 *   before every query, cheaply (it only looks at tables that were empty).
 * - `confined` (the default, used by the API): DuckDB may read only the lake and write only a private scratch
 *   directory (`enable_external_access = false`, `allowed_directories`), installs or loads no extension, and the
 *   configuration is locked so SQL cannot undo any of it. The shell and `ticklake sql` run unconfined for the
 *   local analyst, with the same views.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { tlError } from '../core/errors.js';
import { logger } from '../core/log.js';
import { type ChangelogTable, hasChangelog, viewStatements } from './changelog.js';
import { VIEWS_DIR } from './sql-catalog.js';
import { sqlIdent, sqlString } from './sql-quote.js';
import { LAKE_TABLES, type LakeTable, lakeTable, lakeTables, loadRegisteredTables } from './tables.js';

export interface LakeSessionOptions {
  lakeDir: string;
  /** Lock DuckDB to the lake (API). Default true. */
  confined?: boolean;
  /** DuckDB memory_limit, e.g. `1GB`. */
  memoryLimit?: string;
  threads?: number;
  viewsDir?: string;
  /**
   * The declared keyed tables, streams and job outputs (sql/sources, sql/jobs; processors/tables/lake-tables.ts):
   * each gets its change-log views (lake/changelog.ts), empty until its first file appears.
   */
  tables?: readonly ChangelogTable[];
}

/** True when a directory tree holds at least one `*.parquet` file not starting with `.` (stops at the first). */
export function hasParquet(dir: string): boolean {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isFile() && e.name.endsWith('.parquet')) return true;
  }
  return entries.some((e) => e.isDirectory() && !e.name.startsWith('.') && hasParquet(join(dir, e.name)));
}

export function emptyViewSql(t: LakeTable): string {
  const cols = [...t.columns, ...t.partitions].map((c) => `cast(null as ${c.type}) as ${sqlIdent(c.name)}`);
  return `create or replace view ${sqlIdent(t.name)} as select ${cols.join(', ')} where false;`;
}

/** What view files write where the lake directory goes (inside a string literal). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a literal placeholder, not a template
export const LAKE_PLACEHOLDER = '${lake}';

export interface ViewFile {
  name: string;
  sql: string;
}

/** The view files, lake tables first (in lake/tables.ts order), then derived views by name. */
export function loadViewFiles(lakeDir: string, dir = VIEWS_DIR): ViewFile[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => ({ name: f.slice(0, -4), sql: readFileSync(join(dir, f), 'utf8') }));
  const literal = sqlString(resolve(lakeDir)).slice(1, -1);
  for (const f of files) f.sql = f.sql.replaceAll(LAKE_PLACEHOLDER, literal);
  const rank = (n: string) => {
    const i = LAKE_TABLES.findIndex((t) => t.name === n);
    return i < 0 ? LAKE_TABLES.length : i;
  };
  return files.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/**
 * A view for each registered lake table (lake/tables.ts `registerLakeTable`) without a view file of its own, placed
 * after the built-in tables' views and before the derived ones (which may read them).
 */
export function withRegisteredViews(lakeDir: string, files: ViewFile[]): ViewFile[] {
  const have = new Set(files.map((f) => f.name));
  const builtin = files.filter((f) => LAKE_TABLES.some((t) => t.name === f.name));
  const derived = files.filter((f) => !LAKE_TABLES.some((t) => t.name === f.name));
  const extra = lakeTables()
    .filter((t) => !LAKE_TABLES.includes(t) && !have.has(t.name))
    .map((t) => ({ name: t.name, sql: tableViewSql(lakeDir, t) }));
  return [...builtin, ...extra, ...derived];
}

/** `create or replace view T as select <columns> from read_parquet('<lake>/T/**\/*.parquet', hive ...)`. */
export function tableViewSql(lakeDir: string, t: LakeTable): string {
  const cols = [...t.columns, ...t.partitions].map((c) => sqlIdent(c.name)).join(', ');
  const glob = sqlString(join(resolve(lakeDir), t.name, '**', '*.parquet'));
  const types = t.partitions.map((p) => `${sqlString(p.name)}: ${p.type.toLowerCase()}`).join(', ');
  const hive = t.partitions.length ? `, hive_partitioning = true, hive_types = {${types}}` : '';
  return `create or replace view ${sqlIdent(t.name)} as select ${cols} from read_parquet(${glob}, union_by_name = true${hive});`;
}

/** Plain SQL creating every view, for the official duckdb CLI (`ticklake views --print`). */
export function printViews(lakeDir: string, tables: readonly ChangelogTable[] = []): string {
  const lines = [
    `-- ticklake views over the lake ${resolve(lakeDir)}, generated by \`ticklake views --print\`.`,
    '-- Tables without files yet are empty views; run this again once they have some.',
  ];
  for (const t of tables) {
    lines.push(
      '',
      `-- ${t.name}: a ${t.key.length ? `keyed table (key ${t.key.join(', ')})` : 'stream'} (docs/tables.md)`,
    );
    for (const sql of viewStatements(lakeDir, t)) lines.push(`${sql.trim()};`);
  }
  for (const v of loadViewFiles(lakeDir)) {
    const table = LAKE_TABLES.find((t) => t.name === v.name);
    lines.push('', table && !hasParquet(join(lakeDir, table.name)) ? emptyViewSql(table) : v.sql.trim());
  }
  return `${lines.join('\n')}\n`;
}

export class LakeSession {
  readonly lakeDir: string;
  /** Private scratch directory (Parquet exports, spills); the only place a confined session may write. */
  readonly scratchDir: string;
  private readonly views: ViewFile[];
  /** Lake tables currently served by an empty view. */
  private readonly empty = new Set<string>();
  /** Declared keyed tables (options.tables) whose views are still empty. */
  private readonly emptyChangelogs = new Set<string>();
  private refreshing: Promise<void> = Promise.resolve();
  private readonly idle: DuckDBConnection[] = [];
  private closed = false;
  private readonly log = logger('lake-session');

  private constructor(
    readonly instance: DuckDBInstance,
    readonly options: LakeSessionOptions,
    scratchDir: string,
  ) {
    this.lakeDir = resolve(options.lakeDir);
    this.scratchDir = scratchDir;
    this.views = withRegisteredViews(this.lakeDir, loadViewFiles(this.lakeDir, options.viewsDir));
  }

  static async open(options: LakeSessionOptions): Promise<LakeSession> {
    const lakeDir = resolve(options.lakeDir);
    if (!existsSync(lakeDir) || !statSync(lakeDir).isDirectory()) throw tlError('TL_LAKE_NOT_FOUND', { dir: lakeDir });
    loadRegisteredTables(lakeDir);
    const scratch = mkdtempSync(join(tmpdir(), 'ticklake-session-'));
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(options.threads ?? 2),
      memory_limit: options.memoryLimit ?? '1GB',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const session = new LakeSession(instance, options, scratch);
    const c = await instance.connect();
    try {
      await c.run(`set temp_directory = ${sqlString(scratch)}`);
      if (options.confined !== false) {
        await c.run(`set allowed_directories = [${sqlString(lakeDir)}, ${sqlString(scratch)}]`);
        await c.run('set enable_external_access = false');
        await c.run('set lock_configuration = true');
      }
      for (const t of options.tables ?? []) {
        const has = hasChangelog(lakeDir, t.name);
        if (!has) session.emptyChangelogs.add(t.name);
        for (const sql of viewStatements(lakeDir, t, has)) await c.run(sql);
      }
      for (const v of session.views) {
        const table = lakeTable(v.name);
        if (table && !hasParquet(join(lakeDir, table.name))) {
          session.empty.add(table.name);
          await c.run(emptyViewSql(table));
        } else await c.run(v.sql);
      }
    } finally {
      c.closeSync();
    }
    return session;
  }

  /** Replaces empty views by real ones for tables that have files now. Serialised; cheap when nothing changed. */
  refresh(): Promise<void> {
    if (this.empty.size === 0 && this.emptyChangelogs.size === 0) return this.refreshing;
    this.refreshing = this.refreshing.then(async () => {
      await this.refreshChangelogs();
      const ready = [...this.empty].filter((t) => hasParquet(join(this.lakeDir, t)));
      if (ready.length === 0) return;
      const c = await this.instance.connect();
      try {
        for (const name of ready) {
          try {
            await c.run(this.views.find((v) => v.name === name)!.sql);
            this.empty.delete(name);
            this.log.debug({ table: name }, 'lake table has files now; view switched to read_parquet');
          } catch (e) {
            // e.g. the first file is unreadable: keep serving the empty view and try again on the next query
            this.log.warn({ table: name, err: (e as Error).message }, 'could not switch view to the lake files');
          }
        }
      } finally {
        c.closeSync();
      }
    });
    return this.refreshing;
  }

  /** Declared keyed tables that have files now get their real views. */
  private async refreshChangelogs(): Promise<void> {
    const ready = (this.options.tables ?? []).filter(
      (t) => this.emptyChangelogs.has(t.name) && hasChangelog(this.lakeDir, t.name),
    );
    if (ready.length === 0) return;
    const c = await this.instance.connect();
    try {
      for (const t of ready) {
        for (const sql of viewStatements(this.lakeDir, t, true)) await c.run(sql);
        this.emptyChangelogs.delete(t.name);
      }
    } finally {
      c.closeSync();
    }
  }

  /** After "No files found": a table lost all its files (deleted lake); serve it empty again. */
  async recheck(): Promise<void> {
    this.refreshing = this.refreshing.then(async () => {
      const c = await this.instance.connect();
      try {
        for (const t of lakeTables()) {
          if (!this.views.some((v) => v.name === t.name)) continue;
          if (!this.empty.has(t.name) && !hasParquet(join(this.lakeDir, t.name))) {
            await c.run(emptyViewSql(t));
            this.empty.add(t.name);
          }
        }
      } finally {
        c.closeSync();
      }
    });
    await this.refreshing.catch((e) => this.log.warn({ err: (e as Error).message }, 'lake recheck failed'));
    this.refreshing = Promise.resolve();
    await this.refresh();
  }

  /** A connection for one query at a time; give it back with `release`. */
  async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw tlError('TL_API_INTERNAL', { reason: 'the lake session is closed' });
    await this.refresh();
    return this.idle.pop() ?? (await this.instance.connect());
  }

  release(c: DuckDBConnection, reusable = true): void {
    if (reusable && !this.closed && this.idle.length < 64) this.idle.push(c);
    else c.closeSync();
  }

  /** A fresh connection the caller owns (the shell keeps one for its whole life). */
  async connect(): Promise<DuckDBConnection> {
    await this.refresh();
    return this.instance.connect();
  }

  /** Names of every view (lake tables, declared tables and derived). */
  viewNames(): string[] {
    const declared = (this.options.tables ?? []).flatMap((t) =>
      t.key.length > 0 ? [t.name, `${t.name}_changes`, `${t.name}_history`] : [t.name, `${t.name}_changes`],
    );
    return [...declared, ...this.views.map((v) => v.name)];
  }

  isEmptyTable(name: string): boolean {
    return this.empty.has(name);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.idle.splice(0)) c.closeSync();
    this.instance.closeSync();
    rmSync(this.scratchDir, { recursive: true, force: true });
  }
}

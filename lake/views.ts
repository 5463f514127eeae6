/**
 * The view statements of a lake session: one `sql/views/*.sql` file per view (the bundled files overlaid by the
 * user's `--sql-dir` directories, lake/sql-dirs.ts), with `${lake}` replaced by the lake directory.
 *
 * `viewStatements` returns them in creation order: the lake tables first (lake/tables.ts order), then the derived
 * views by name. A session (lake/session.ts) runs them in that order and runs again, after the others, any that
 * failed, so a derived view may read another derived view whatever their names; a file that still fails is
 * reported with its file:line and left out, and the others keep working. A table registered at run time
 * (lake/tables.ts `registerLakeTable`: the scheduler's `pipeline_runs`, `-- materialize:` targets) without a view
 * file of its own gets a generated view, after the built-in tables and before the derived views (which may read it).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listSqlFiles } from './sql-dirs.js';
import { sqlIdent, sqlString } from './sql-quote.js';
import { LAKE_TABLES, type LakeTable, lakeTable, lakeTables } from './tables.js';

/** What view files write where the lake directory goes (inside a string literal). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a literal placeholder, not a template
export const LAKE_PLACEHOLDER = '${lake}';

export interface ViewStatement {
  /** The view's name (the file name without `.sql`). */
  name: string;
  /** Where it comes from, as shown in messages (`sql/views/ticks.sql`). */
  file: string;
  /** The statement, lake directory filled in. */
  sql: string;
  /** The lake table this view reads, when it is one: served as an empty view until the table has files. */
  table?: LakeTable;
}

export interface ViewOptions {
  /** The user's SQL directories (`--sql-dir`), laid out like sql/. */
  sqlDirs?: readonly string[];
  /**
   * Write the lake as `.` instead of its absolute path: for a process whose working directory is the lake (the
   * API's query processes), so that view definitions, file names and errors show paths relative to the lake.
   */
  relative?: boolean;
}

/** The text that replaces `${lake}`: the absolute lake directory, or `.` for a relative session. */
export function lakeLiteral(lakeDir: string, relative = false): string {
  return relative ? '.' : sqlString(resolve(lakeDir)).slice(1, -1);
}

/** Every view statement, in creation order (lake tables first, then derived views by name). */
export function viewStatements(lakeDir: string, opts: ViewOptions = {}): ViewStatement[] {
  const literal = lakeLiteral(lakeDir, opts.relative);
  const views = listSqlFiles('views', opts.sqlDirs ?? []).map((f) => ({
    name: f.name,
    file: f.display,
    sql: readFileSync(f.path, 'utf8').replaceAll(LAKE_PLACEHOLDER, literal),
    table: lakeTable(f.name),
  }));
  const have = new Set(views.map((v) => v.name));
  const registered = lakeTables()
    .filter((t) => !LAKE_TABLES.includes(t) && !have.has(t.name))
    .map((t) => ({
      name: t.name,
      file: `lake table ${t.name}`,
      sql: tableViewSql(lakeDir, t, opts.relative),
      table: t,
    }));
  // built-in tables in lake/tables.ts order, then registered tables in registration order, then derived views
  const order = [...LAKE_TABLES, ...lakeTables().filter((t) => !LAKE_TABLES.includes(t))];
  const rank = (v: ViewStatement) => {
    const i = v.table ? order.indexOf(v.table) : -1;
    return i < 0 ? order.length : i;
  };
  return [...views, ...registered].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** `create or replace view T as select <columns> from read_parquet('<lake>/T/**\/*.parquet', hive ...)`. */
export function tableViewSql(lakeDir: string, t: LakeTable, relative = false): string {
  const cols = [...t.columns, ...t.partitions].map((c) => sqlIdent(c.name)).join(', ');
  const glob = sqlString(`${relative ? '.' : resolve(lakeDir)}/${t.name}/**/*.parquet`);
  const types = t.partitions.map((p) => `${sqlString(p.name)}: ${p.type.toLowerCase()}`).join(', ');
  const hive = t.partitions.length ? `, hive_partitioning = true, hive_types = {${types}}` : '';
  return `create or replace view ${sqlIdent(t.name)} as select ${cols} from read_parquet(${glob}, union_by_name = true${hive});`;
}

/** The view of a lake table with no files yet: no rows, the contract's columns and types. */
export function emptyViewSql(t: LakeTable): string {
  const cols = [...t.columns, ...t.partitions].map((c) => `cast(null as ${c.type}) as "${c.name}"`);
  return `create or replace view "${t.name}" as select ${cols.join(', ')} where false;`;
}

/** The statement to run now for a view: the empty view while its lake table has no files. */
export function currentViewSql(v: ViewStatement, lakeDir: string, hasFiles: (dir: string) => boolean): string {
  return v.table && !hasFiles(join(lakeDir, v.table.name)) ? emptyViewSql(v.table) : v.sql;
}

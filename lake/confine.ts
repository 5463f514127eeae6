/**
 * Confining a DuckDB instance to the lake (the HTTP API's sessions, docs/api.md): it may read only the lake and
 * write only its scratch directory, installs and loads no extension, and SQL can change none of it afterwards.
 *
 * It also keeps the server's paths to itself. DuckDB turns `allowed_directories` and `temp_directory` into
 * absolute paths and shows them, with its secret directory under the home directory, in `duckdb_settings()` and
 * `current_setting()`; so the confined session's `main` schema shadows those functions (and
 * `duckdb_temporary_files()`) with macros that show these settings as NULL and temp files by name only, and
 * lake/sql-guard.ts refuses calls that name the originals with a catalog or schema (`system.main.current_setting`).
 * Views read the lake relative to the working directory when the session is opened `relative` (lake/views.ts).
 */
import { join } from 'node:path';
import { sqlString } from './sql-quote.js';

/** Settings whose values are paths of the server. */
export const PATH_SETTINGS = [
  'allowed_directories',
  'allowed_paths',
  'temp_directory',
  'secret_directory',
  'extension_directory',
  'home_directory',
  'file_search_path',
] as const;

/** Functions the confined session shadows; sql-guard refuses them qualified (the original). */
export const SHADOWED_FUNCTIONS = ['duckdb_settings', 'current_setting', 'duckdb_temporary_files'] as const;

export interface ConfineOptions {
  /** The lake directory (absolute). */
  lakeDir: string;
  /** The session's private scratch directory (absolute): spills and Parquet exports. */
  scratchDir: string;
}

/** The statements that confine a fresh instance, in order; the last one locks the configuration. */
export function confineStatements(o: ConfineOptions): string[] {
  const hidden = PATH_SETTINGS.map((s) => sqlString(s)).join(', ');
  return [
    `set allowed_directories = [${sqlString(o.lakeDir)}, ${sqlString(o.scratchDir)}]`,
    // never the user's ~/.duckdb: CREATE SECRET is refused anyway, and the setting then names nothing of theirs
    `set secret_directory = ${sqlString(join(o.scratchDir, 'secrets'))}`,
    `create macro duckdb_settings() as table
       select * replace (case when name in (${hidden}) then null else value end as value)
       from system.main.duckdb_settings()`,
    `create macro current_setting(name) as
       case when lower(name) in (${hidden}) then null else system.main.current_setting(name) end`,
    `create macro duckdb_temporary_files() as table
       select * replace (regexp_replace(path, '^.*/', '') as path) from system.main.duckdb_temporary_files()`,
    'set enable_external_access = false',
    'set lock_configuration = true',
  ];
}

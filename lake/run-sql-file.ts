/**
 * Running a report or check file: parameters from text (query string, CLI, shell) are validated and bound
 * (lake/sql-params.ts), then the file runs on the session with the caller's limits. A check passes when it
 * returns no rows.
 */
import type { DuckDBValue } from '../core/duckdb.js';
import { tlError } from '../core/errors.js';
import { type QueryOptions, type QueryStream, queryAll, runQuery } from './query.js';
import type { LakeSession } from './session.js';
import type { SqlCatalog } from './sql-catalog.js';
import type { SqlFile } from './sql-header.js';
import { bindParams } from './sql-params.js';

export type FileRunOptions = Omit<QueryOptions, 'params' | 'types' | 'readOnly'> & {
  /** Request keys that are not parameters (e.g. `format`). */
  ignore?: readonly string[];
};

export async function runSqlFile(
  session: LakeSession,
  file: SqlFile,
  given: Record<string, string | undefined>,
  opts: FileRunOptions = {},
): Promise<QueryStream> {
  const { values, types } = bindParams(file, given, opts.ignore);
  return runQuery(session, file.sql, { ...opts, params: values, types });
}

export interface CheckResult {
  name: string;
  title: string;
  passed: boolean;
  /** Number of violating rows (up to the row cap). */
  violations: number;
  columns: string[];
  /** The violating rows (up to the row cap). */
  rows: DuckDBValue[][];
  truncated: boolean;
}

/** Runs checks (all when `names` is empty); parameters are given per check name: `{ freshness: { max_age: '1h' } }`. */
export async function runChecks(
  session: LakeSession,
  catalog: SqlCatalog,
  names: readonly string[] = [],
  params: Record<string, Record<string, string>> = {},
  opts: FileRunOptions = {},
): Promise<CheckResult[]> {
  const files = names.length > 0 ? names.map((n) => catalog.get(n)) : catalog.list();
  return runCheckFiles(session, files, params, opts);
}

/** Runs the given check files in order. */
export async function runCheckFiles(
  session: LakeSession,
  files: readonly SqlFile[],
  params: Record<string, Record<string, string>> = {},
  opts: FileRunOptions = {},
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const f of files) {
    const { values, types } = bindParams(f, params[f.name] ?? {});
    const r = await queryAll(session, f.sql, { ...opts, params: values, types, stream: false });
    out.push({
      name: f.name,
      title: f.title,
      passed: r.rows.length === 0,
      violations: r.rows.length,
      columns: r.columns.map((c) => c.name),
      rows: r.rows,
      truncated: r.truncated,
    });
  }
  return out;
}

/**
 * Parameters given once for several checks (`ticklake check --param k=v`): each goes to every selected check that
 * declares it. A name no selected check declares is refused (TL_API_BAD_PARAM, as the API refuses an unknown
 * parameter), so that a typo is never silently ignored.
 */
export function paramsForChecks(
  files: readonly SqlFile[],
  given: Record<string, string>,
): Record<string, Record<string, string>> {
  for (const name of Object.keys(given)) {
    if (!files.some((f) => f.params.some((p) => p.name === name))) {
      const known = [...new Set(files.flatMap((f) => f.params.map((p) => p.name)))].join(', ') || 'none';
      const of = files.length === 1 ? files[0].name : `the checks ${files.map((f) => f.name).join(', ')}`;
      throw tlError('TL_API_BAD_PARAM', { param: name, reason: `unknown parameter of ${of} (known: ${known})` });
    }
  }
  return Object.fromEntries(
    files.map((f) => [
      f.name,
      Object.fromEntries(Object.entries(given).filter(([k]) => f.params.some((p) => p.name === k))),
    ]),
  );
}

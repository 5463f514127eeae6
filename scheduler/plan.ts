/**
 * The scheduler's plan: every SQL file with a `-- schedule:` (models in sql/models/, which must have one, and any
 * report or check), checked, with what it reads and the order it runs in (docs/scheduler.md).
 *
 * Rules, each broken one an error naming file:line:
 * - a model (sql/models/) or a test (sql/tests/: a check of models' results) needs `-- schedule:`; it materializes into `-- materialize:` or its file name (`-` → `_`);
 * - `-- materialize:` needs `-- schedule:`, must not name a lake table, a view or `pipeline_runs`, and two files
 *   cannot materialize the same table;
 * - `-- severity:` is for checks only (default `error`);
 * - the scheduler binds the parameters `interval_start` and `interval_end` (timestamp) to the run's data interval;
 *   every other parameter must be optional (it takes its default).
 */
import { readFileSync } from 'node:fs';
import type { DuckDBConnection } from '../core/duckdb.js';
import { tlError } from '../core/errors.js';
import { listSqlFiles, type SqlKind } from '../lake/sql-dirs.js';
import { parseSqlFile, type Severity, type SqlFile } from '../lake/sql-header.js';
import { LAKE_TABLES } from '../lake/tables.js';
import { buildGraph, type JobGraph, RUNS_TABLE } from './graph.js';
import { parseSchedule, type Schedule } from './schedule.js';
import { expandViews, tablesRead, viewSelect } from './sql-tables.js';

export type JobKind = 'model' | 'report' | 'check';

export interface Job {
  /** `model.hourly_symbol_stats`, `check.freshness`, `report.pipeline-report`. */
  name: string;
  kind: JobKind;
  file: SqlFile;
  schedule: Schedule;
  materialize?: string;
  /** Checks: what a failure means (default error). */
  severity?: Severity;
  /** Tables and views it reads, through views too. */
  reads: Set<string>;
}

export interface Plan {
  jobs: Map<string, Job>;
  graph: JobGraph;
}

export const INTERVAL_PARAMS = ['interval_start', 'interval_end'] as const;

/** Where scheduled files come from; tests (sql/tests/) are checks of the models' results, run only when scheduled. */
const KINDS: { dir: SqlKind; kind: JobKind; prefix: string }[] = [
  { dir: 'models', kind: 'model', prefix: 'model' },
  { dir: 'reports', kind: 'report', prefix: 'report' },
  { dir: 'checks', kind: 'check', prefix: 'check' },
  { dir: 'tests', kind: 'check', prefix: 'test' },
];

export interface LoadPlanOptions {
  /** The user's SQL directories (--sql-dir), over the bundled sql/. */
  sqlDirs?: readonly string[];
  /** Leave the bundled sql/ out (tests with a SQL directory of their own). */
  bundled?: boolean;
  /** A DuckDB connection used only to parse SQL (json_serialize_sql). */
  conn: DuckDBConnection;
  /**
   * A report or check whose header cannot be read is left out of the plan and given here, instead of failing the
   * whole plan: `serve` and `start` must start with a broken report (the API names it; issue 20 item 9).
   */
  onUnreadable?: (error: Error) => void;
}

export async function loadPlan(opts: LoadPlanOptions): Promise<Plan> {
  const bundled = opts.bundled ?? true;
  const views = new Map<string, Set<string>>();
  // the views the lake sessions have: the bundled ones always (lake/session.ts), overlaid by the user's
  for (const ref of listSqlFiles('views', opts.sqlDirs, true)) {
    const v = viewSelect(readFileSync(ref.path, 'utf8'));
    if (!v) continue;
    views.set(ref.name.toLowerCase(), await tablesRead(opts.conn, v.select).catch(() => new Set<string>()));
  }
  const reserved = new Set([...LAKE_TABLES.map((t) => t.name), ...views.keys(), RUNS_TABLE]);
  const jobs = new Map<string, Job>();
  const targets = new Map<string, string>();
  for (const { dir, kind, prefix } of KINDS) {
    for (const ref of listSqlFiles(dir, opts.sqlDirs, bundled)) {
      let file: SqlFile;
      try {
        file = parseSqlFile(ref.display, readFileSync(ref.path, 'utf8'), ref.name);
      } catch (e) {
        if (!opts.onUnreadable || (kind !== 'report' && kind !== 'check') || dir === 'tests') throw e;
        opts.onUnreadable(e as Error);
        continue;
      }
      const line = (k: string) => file.keyLines?.[k] ?? 1;
      const bad = (l: number, reason: string) => tlError('TL_SQL_BAD_HEADER', { file: file.file, line: l, reason });
      if (!file.schedule) {
        if (kind === 'model' || dir === 'tests')
          throw bad(
            1,
            `a ${dir === 'tests' ? 'test' : 'model'} needs a "-- schedule:" line (hourly, daily or a cron expression)`,
          );
        if (file.materialize) throw bad(line('materialize'), 'materialize needs a "-- schedule:" line');
        continue;
      }
      let schedule: Schedule;
      try {
        schedule = parseSchedule(file.schedule);
      } catch (e) {
        throw bad(line('schedule'), (e as Error).message);
      }
      if (file.severity && kind !== 'check') throw bad(line('severity'), 'severity is for checks only');
      const materialize = file.materialize ?? (kind === 'model' ? ref.name.replaceAll('-', '_') : undefined);
      if (materialize) {
        if (!/^[a-z_][a-z0-9_]{0,62}$/.test(materialize)) {
          throw bad(1, `the file name gives the table name "${materialize}"; add "-- materialize: table_name"`);
        }
        if (reserved.has(materialize)) {
          throw bad(line('materialize'), `"${materialize}" is a lake table or view; materialize into another name`);
        }
        const other = targets.get(materialize);
        if (other) throw bad(line('materialize'), `${other} materializes "${materialize}" already`);
        targets.set(materialize, file.file);
      }
      for (const p of file.params) {
        const isInterval = (INTERVAL_PARAMS as readonly string[]).includes(p.name);
        if (isInterval && p.type !== 'timestamp') {
          throw bad(paramLine(file, p.name), `param ${p.name} is bound to the run's data interval: make it timestamp`);
        }
        if (!isInterval && p.required) {
          throw bad(
            paramLine(file, p.name),
            `param ${p.name} is required, but a scheduled run has no value for it (make it optional with a default)`,
          );
        }
      }
      let direct: Set<string>;
      try {
        direct = await tablesRead(opts.conn, bodyOf(file.sql));
      } catch (e) {
        throw tlError('TL_SQL_FILE', {
          file: file.file,
          line: 1,
          reason: `cannot parse the query: ${(e as Error).message}`,
        });
      }
      const name = `${prefix}.${ref.name}`;
      jobs.set(name, {
        name,
        kind,
        file,
        schedule,
        materialize,
        severity: kind === 'check' ? (file.severity ?? 'error') : undefined,
        reads: expandViews(direct, views),
      });
    }
  }
  const graph = buildGraph(
    [...jobs.values()].map((j) => ({
      name: j.name,
      kind: j.kind,
      file: j.file.file,
      reads: j.reads,
      materialize: j.materialize,
    })),
  );
  return { jobs, graph };
}

/** The SQL after the header comments (json_serialize_sql parses comments fine; this keeps errors short). */
function bodyOf(sql: string): string {
  return sql
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n');
}

function paramLine(file: SqlFile, name: string): number {
  const i = file.sql.split('\n').findIndex((l) => new RegExp(`^\\s*--\\s*param:\\s*${name}\\b`).test(l));
  return i + 1;
}

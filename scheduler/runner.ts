/**
 * Running one attempt of one job over one data interval (docs/scheduler.md):
 *
 * - parameters: `interval_start` / `interval_end` are the interval, every other one its default (lake/sql-params.ts);
 * - a materialized file: its rows, with `run_id`, `interval_start` and `interval_end` in front, are written through
 *   lake/writer.ts to `<lake>/<table>/date=<interval start>/<interval end>.parquet` in two steps around the claim's
 *   `committing` mark: COPY to the dot-temp and fsync; mark `committing`; rename into view. A crash before the mark
 *   leaves only an invisible temp file (the interval runs again); after it, the next attempt publishes the temp file
 *   and does not run the query again. Running the interval again replaces the file whole;
 * - a check: its rows are violations; none is success, any is `failed` (the severity says what that stops);
 * - a report without materialize: runs, and its row count is recorded.
 */
import type { DuckDBConnection, DuckDBValue } from '../core/duckdb.js';
import { hivePath, utcDate } from '../lake/hive-path.js';
import { bindParams } from '../lake/sql-params.js';
import type { LakeColumn } from '../lake/tables.js';
import { copyToParquetTemp, fileColumnsQuery, publishTemp, tempPath } from '../lake/writer.js';
import { crashPoint } from '../processors/crash-points.js';
import type { Claim } from './claims.js';
import type { Job } from './plan.js';
import { registerAndKeep } from './run-records.js';
import { compactTime, type DataInterval } from './schedule.js';

/** Columns the scheduler puts in front of a materialized result. */
export const RUN_KEY_COLUMNS: LakeColumn[] = [
  { name: 'run_id', type: 'VARCHAR' },
  { name: 'interval_start', type: 'TIMESTAMP' },
  { name: 'interval_end', type: 'TIMESTAMP' },
];

/** Most violating rows of a check that are read (the count in the record says "at least" beyond it). */
const CHECK_ROW_CAP = 10_000;

export interface RunContext {
  conn: DuckDBConnection;
  lakeDir: string;
  /** Called before each irreversible step: throws when the claim may have been taken over (lease lost). */
  fence: () => void;
  /** Persists the claim (the `committing` mark). */
  save: (c: Claim) => Promise<void>;
}

export interface RunResult {
  rows: number;
  /** A check that found violations (the run itself worked). */
  violation?: string;
}

function boundParams(job: Job, interval: DataInterval) {
  const given: Record<string, string> = {};
  for (const p of job.file.params) {
    if (p.name === 'interval_start') given[p.name] = new Date(interval.start).toISOString();
    if (p.name === 'interval_end') given[p.name] = new Date(interval.end).toISOString();
  }
  return bindParams(job.file, given);
}

export function bodyOf(sql: string): string {
  return sql.replace(/;\s*$/, '');
}

/** Where the result of a materialized job's interval goes. */
export function resultFile(job: Job, lakeDir: string, interval: DataInterval): { dir: string; fileName: string } {
  const table = job.materialize as string;
  return {
    dir: hivePath(lakeDir, table, { date: utcDate(interval.start) }),
    fileName: `${compactTime(interval.end)}.parquet`,
  };
}

/** Registers the materialized table with the columns the query yields now (a changed model changes them). */
export async function registerResultTable(
  lakeDir: string,
  conn: DuckDBConnection,
  job: Job,
  sql: string,
  values: Record<string, DuckDBValue>,
  types: Record<string, import('../core/duckdb.js').DuckDBType>,
): Promise<void> {
  const r = await conn.run(`select * from (${sql}) limit 0`, values, types);
  const names = r.columnNames();
  const ctypes = r.columnTypes();
  const columns = names.map((name, i) => ({ name, type: ctypes[i].toString() }));
  for (const c of columns.slice(RUN_KEY_COLUMNS.length)) {
    if (RUN_KEY_COLUMNS.some((k) => k.name === c.name)) {
      throw new Error(`${job.file.file}: column "${c.name}" is added by the scheduler; rename it in the query`);
    }
  }
  await registerAndKeep(lakeDir, {
    name: job.materialize as string,
    columns,
    partitions: [{ name: 'date', type: 'DATE' }],
    key: ['run_id'],
    description: `${job.file.title} (${job.file.file}, materialized by the scheduler)`,
  });
}

export async function runJob(job: Job, claim: Claim, ctx: RunContext): Promise<RunResult> {
  const { values, types } = boundParams(job, claim.interval);
  const body = bodyOf(job.file.sql);
  crashPoint('schedule-mid-run');
  if (job.materialize) {
    const all = { ...values, __run_id: claim.runId, __start: claim.interval.start, __end: claim.interval.end };
    const sql = `select $__run_id::varchar as run_id, epoch_ms($__start::bigint) as interval_start,
      epoch_ms($__end::bigint) as interval_end, q.* from (${body}\n) as q`;
    await registerResultTable(ctx.lakeDir, ctx.conn, job, sql, all, types);
    const { dir, fileName } = resultFile(job, ctx.lakeDir, claim.interval);
    const rows = await copyToParquetTemp(ctx.conn, dir, fileName, fileColumnsQuery(job.materialize, sql), all, types);
    crashPoint('schedule-after-temp');
    ctx.fence();
    claim.state = 'committing';
    claim.commit = { dir, fileName, rows };
    await ctx.save(claim);
    crashPoint('schedule-committing');
    await publishTemp(dir, fileName);
    return { rows };
  }
  if (job.kind === 'check') {
    const r = await ctx.conn.runAndReadAll(`select * from (${body}\n) as q limit ${CHECK_ROW_CAP}`, values, types);
    const rows = r.getRowObjectsJson();
    if (rows.length === 0) return { rows: 0 };
    const first = JSON.stringify(rows[0]);
    const more = rows.length >= CHECK_ROW_CAP ? ' or more' : '';
    return {
      rows: rows.length,
      violation: `${rows.length}${more} violating row(s), first: ${first.length > 300 ? `${first.slice(0, 300)}…` : first}`,
    };
  }
  const r = await ctx.conn.runAndReadAll(`select count(*) from (${body}\n) as q`, values, types);
  return { rows: Number(r.getRows()[0][0]) };
}

/** The temp file a materialized attempt may have left (deleted when that attempt is run again). */
export function leftoverTemp(job: Job, lakeDir: string, interval: DataInterval): string | undefined {
  if (!job.materialize) return undefined;
  const { dir, fileName } = resultFile(job, lakeDir, interval);
  return tempPath(dir, fileName);
}

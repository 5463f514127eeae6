/**
 * `pipeline_runs`, the record of every run (docs/scheduler.md): one row per attempt, written to the lake when the
 * attempt ends (one small Parquet file per attempt, named after it, so writing it again replaces it) and to MySQL
 * when configured. The table is registered with lake/tables.ts, so lake sessions opened afterwards have a view of it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '../core/duckdb.js';
import { utcDate } from '../lake/hive-path.js';
import { type LakeColumn, type LakeTable, lakeTable, registerLakeTable } from '../lake/tables.js';
import { writeLakeFile } from '../lake/writer.js';
import type { Claim, RunStatus } from './claims.js';
import { RUNS_TABLE } from './graph.js';
import { compactTime } from './schedule.js';

const cols = (spec: string): LakeColumn[] =>
  spec.split(',').map((s) => {
    const [name, ...type] = s.trim().split(/\s+/);
    return { name, type: type.join(' ') };
  });

export const RUN_COLUMNS = cols(
  'run_id VARCHAR, job VARCHAR, kind VARCHAR, severity VARCHAR, attempt INTEGER, interval_start TIMESTAMP, ' +
    'interval_end TIMESTAMP, started_at TIMESTAMP, ended_at TIMESTAMP, status VARCHAR, rows BIGINT, error VARCHAR, ' +
    'forced BOOLEAN, scheduler VARCHAR',
);

export const RUNS_LAKE_TABLE: LakeTable = {
  name: RUNS_TABLE,
  columns: RUN_COLUMNS,
  partitions: cols('date DATE'),
  key: ['run_id'],
  description: 'Every scheduled run: job, data interval, start, end, status, rows, error (docs/scheduler.md)',
};

export function registerRunsTable(): void {
  if (!lakeTable(RUNS_TABLE)) registerLakeTable(RUNS_LAKE_TABLE);
}

/**
 * Registers a table and keeps its definition in `<lake>/_scheduler/tables/<name>.json` (lake/tables.ts
 * `loadRegisteredTables`), so other processes' lake sessions have a view of it. Written by rename: never partial.
 */
export async function registerAndKeep(lakeDir: string, t: LakeTable): Promise<void> {
  registerLakeTable(t);
  const dir = join(lakeDir, '_scheduler', 'tables');
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${t.name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, `${JSON.stringify(t, null, 1)}\n`);
  await rename(tmp, join(dir, `${t.name}.json`));
}

export interface RunRecord {
  run_id: string;
  job: string;
  kind: string;
  severity: string | null;
  attempt: number;
  interval_start: number;
  interval_end: number;
  started_at: number;
  ended_at: number;
  status: RunStatus;
  rows: number;
  error: string | null;
  forced: boolean;
  scheduler: string;
}

export function recordOf(c: Claim, kind: string, severity: string | undefined, attempt = c.attempt): RunRecord {
  const o = c.outcome;
  if (!o) throw new Error(`run ${c.runId} has no outcome yet`);
  return {
    run_id: c.runId,
    job: c.job,
    kind,
    severity: severity ?? null,
    attempt,
    interval_start: c.skippedFrom ?? c.interval.start,
    interval_end: c.interval.end,
    started_at: o.startedAt,
    ended_at: o.endedAt,
    status: o.status,
    rows: o.rows,
    error: o.error ?? null,
    forced: c.forced === true,
    scheduler: `${c.owner.host}:${c.owner.pid}:${c.owner.id}`,
  };
}

/** The file of one attempt: `pipeline_runs/date=<interval start>/<job>_<end>_a<N>.parquet`. */
export function runFileName(r: RunRecord): string {
  return `${r.job}_${compactTime(r.interval_end)}_a${r.attempt}.parquet`;
}

export async function writeRunRecord(conn: DuckDBConnection, lakeDir: string, r: RunRecord): Promise<void> {
  registerRunsTable();
  await writeLakeFile(conn, {
    lakeDir,
    table: RUNS_TABLE,
    partition: { date: utcDate(r.interval_start) },
    fileName: runFileName(r),
    query: `select $run_id as run_id, $job as job, $kind as kind, $severity::varchar as severity,
      $attempt::integer as attempt, epoch_ms($interval_start::bigint) as interval_start,
      epoch_ms($interval_end::bigint) as interval_end, epoch_ms($started_at::bigint) as started_at,
      epoch_ms($ended_at::bigint) as ended_at, $status as status, $rows::bigint as rows, $error::varchar as error,
      $forced::boolean as forced, $scheduler as scheduler`,
    params: { ...r },
  });
}

/**
 * The scheduler's lake session: the tables it writes (`pipeline_runs`, each materialized job's) registered with
 * lake/tables.ts and viewed in its session, and a materialized interval's rows read back (for MySQL).
 */
import { tlError } from '../core/errors.js';
import { hasParquet, type LakeSession } from '../lake/session.js';
import { bindParams } from '../lake/sql-params.js';
import { lakeTable } from '../lake/tables.js';
import type { Claim } from './claims.js';
import type { Job, Plan } from './plan.js';
import { RUNS_LAKE_TABLE, registerAndKeep } from './run-records.js';
import { bodyOf, registerResultTable } from './runner.js';

/**
 * Registers `pipeline_runs` and every materialized table (columns from the query itself, in dependency order) with
 * lake/tables.ts and creates their views in the scheduler's session. Run before lake sessions that should see
 * them are opened. A query that does not compile is an error naming its file.
 */
export async function prepareViews(lakeDir: string, session: LakeSession, plan: Plan): Promise<void> {
  await registerAndKeep(lakeDir, RUNS_LAKE_TABLE);
  await ensureView(lakeDir, session, 'pipeline_runs');
  const conn = await session.connect();
  try {
    for (const name of plan.graph.order) {
      const job = plan.jobs.get(name) as Job;
      if (!job.materialize) continue;
      const { values, types } = bindParams(job.file, {});
      const sql = `select ''::varchar as run_id, now()::timestamp as interval_start, now()::timestamp as interval_end,
        q.* from (${bodyOf(job.file.sql)}\n) as q`;
      try {
        await registerResultTable(lakeDir, conn, job, sql, values, types);
      } catch (e) {
        throw tlError('TL_SQL_FILE', { file: job.file.file, line: 1, reason: (e as Error).message }, e);
      }
      await ensureView(lakeDir, session, job.materialize);
    }
  } finally {
    conn.closeSync();
  }
}

/** The view of a registered table in the scheduler's session: over its files, or empty while it has none. */
export async function ensureView(lakeDir: string, session: LakeSession, table: string): Promise<void> {
  const t = lakeTable(table);
  if (!t) return;
  const { emptyViewSql, tableViewSql } = await import('../lake/session.js');
  const { join } = await import('node:path');
  const conn = await session.connect();
  try {
    const sql = hasParquet(join(lakeDir, table)) ? tableViewSql(lakeDir, t) : emptyViewSql(t);
    await conn.run(sql);
  } finally {
    conn.closeSync();
  }
}

/** Rows of a materialized job's interval, for MySQL (read back from the published file). */
export async function resultRows(
  lakeDir: string,
  session: LakeSession,
  job: Job,
  c: Claim,
): Promise<Record<string, unknown>[]> {
  const conn = await session.connect();
  try {
    const { resultFile } = await import('./runner.js');
    const { dir, fileName } = resultFile(job, lakeDir, c.interval);
    const { join } = await import('node:path');
    const { sqlString } = await import('../lake/sql-quote.js');
    const r = await conn.runAndReadAll(`select * from read_parquet(${sqlString(join(dir, fileName))})`);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

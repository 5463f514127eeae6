/**
 * Opening the scheduler over a lake, as `ticklake start`, `serve` and `run` do: its own (unconfined) lake session,
 * the plan from the SQL directories, MySQL when configured, and `prepare()` (tables registered, views created), so
 * lake sessions opened after this one see `pipeline_runs` and the materialized tables.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../core/log.js';
import { LakeSession } from '../lake/session.js';
import type { Claim } from './claims.js';
import { MysqlStore } from './mysql-store.js';
import { type Job, loadPlan } from './plan.js';
import { Scheduler } from './scheduler.js';

export interface OpenSchedulerOptions {
  lakeDir: string;
  sqlDirs?: readonly string[];
  /** Leave the bundled sql/ out (tests). */
  bundled?: boolean;
  mysqlUrl?: string;
  catchUp?: number;
  delayMs?: number;
  leaseMs?: number;
  clock?: () => number;
  memoryLimit?: string;
  log?: Logger;
  /** Leave out a report or check whose header cannot be read, with a warning, instead of failing (serve, start). */
  lenient?: boolean;
  onRun?: (job: Job, c: Claim) => void;
  only?: readonly string[];
}

export interface OpenScheduler {
  scheduler: Scheduler;
  mysql?: MysqlStore;
  close(): Promise<void>;
}

export async function openScheduler(opts: OpenSchedulerOptions): Promise<OpenScheduler> {
  await mkdir(opts.lakeDir, { recursive: true });
  const session = await LakeSession.open({
    lakeDir: opts.lakeDir,
    confined: false,
    memoryLimit: opts.memoryLimit ?? '512MB',
    threads: 1,
  });
  let mysql: MysqlStore | undefined;
  try {
    const conn = await session.connect();
    let plan: Awaited<ReturnType<typeof loadPlan>>;
    try {
      plan = await loadPlan({
        conn,
        sqlDirs: opts.sqlDirs,
        bundled: opts.bundled,
        onUnreadable: opts.lenient
          ? (e) => opts.log?.warn(`not scheduled (its header cannot be read): ${e.message}`)
          : undefined,
      });
    } finally {
      conn.closeSync();
    }
    mysql = opts.mysqlUrl ? new MysqlStore(opts.mysqlUrl, opts.log) : undefined;
    const scheduler = new Scheduler({
      lakeDir: session.lakeDir,
      plan,
      session,
      clock: opts.clock,
      catchUp: opts.catchUp,
      delayMs: opts.delayMs,
      leaseMs: opts.leaseMs,
      mysql,
      log: opts.log,
      onRun: opts.onRun,
      only: opts.only,
    });
    await scheduler.prepare();
    return {
      scheduler,
      mysql,
      async close() {
        await scheduler.close();
        await mysql?.close();
        session.close();
      },
    };
  } catch (e) {
    await mysql?.close();
    session.close();
    throw e;
  }
}

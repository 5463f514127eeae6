/**
 * Opening the scheduler over a lake, as `ticklake start`, `serve` and `run` do: its own (unconfined) lake session,
 * open only while something uses it (scheduler/on-demand-session.ts), the plan from the SQL directories, MySQL when
 * configured, and `prepare()` (tables registered, views created), so lake sessions opened after this one see
 * `pipeline_runs` and the materialized tables.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from '../core/log.js';
import { LakeSession } from '../lake/session.js';
import type { Claim } from './claims.js';
import { MysqlStore } from './mysql-store.js';
import { OnDemandSession } from './on-demand-session.js';
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
  /** The scheduler's lake session, open while something uses it; `hold` keeps one open across calls. */
  lake: OnDemandSession;
  close(): Promise<void>;
}

export async function openScheduler(opts: OpenSchedulerOptions): Promise<OpenScheduler> {
  await mkdir(opts.lakeDir, { recursive: true });
  const lakeDir = resolve(opts.lakeDir);
  // opened for what needs it and closed after (scheduler/on-demand-session.ts): here the plan and prepare()
  const lake = new OnDemandSession(() =>
    LakeSession.open({ lakeDir, confined: false, memoryLimit: opts.memoryLimit ?? '512MB', threads: 1 }),
  );
  let mysql: MysqlStore | undefined;
  try {
    return await lake.hold(async () => {
      const plan = await lake.use(async (session) => {
        const conn = await session.connect();
        try {
          return await loadPlan({
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
      });
      mysql = opts.mysqlUrl ? new MysqlStore(opts.mysqlUrl, opts.log) : undefined;
      const scheduler = new Scheduler({
        lakeDir,
        plan,
        lake,
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
      const store = mysql;
      return {
        scheduler,
        mysql,
        lake,
        async close() {
          await scheduler.close();
          await store?.close();
        },
      };
    });
  } catch (e) {
    await mysql?.close();
    throw e;
  }
}

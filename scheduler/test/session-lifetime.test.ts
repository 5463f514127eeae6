/**
 * The scheduler's DuckDB is open only while the scheduler uses it (scheduler/on-demand-session.ts): a session kept
 * for the process's life kept the memory of every hourly scan (bench/HISTORY.md, nineteenth stop).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { trackedDuckDbCount } from '../../core/duckdb-databases.js';
import { openScheduler } from '../open.js';
import { BLOCKING_CHECK, DAY, HOUR, MODEL, type SchedFixture, schedFixture } from './fixtures.js';

let fx: SchedFixture | undefined;
afterEach(() => {
  fx?.close();
  fx = undefined;
});

describe('the scheduler’s lake session', () => {
  it('is opened for a tick that runs jobs and closed when the tick ends', async () => {
    fx = await schedFixture({ 'models/per_hour.sql': MODEL, 'checks/positive.sql': BLOCKING_CHECK });
    const before = trackedDuckDbCount();
    const whileRunning: number[] = [];
    const s = await openScheduler({
      lakeDir: fx.lake.dir,
      sqlDirs: [fx.sqlDir],
      bundled: false,
      onRun: () => whileRunning.push(trackedDuckDbCount()),
    });
    try {
      // loading the plan and creating the views needed it; nothing is left open
      expect(trackedDuckDbCount()).toBe(before);
      await s.scheduler.tick(DAY + 2 * HOUR + 30_000);
      // the check and the model ran (one attempt each), on one session held across the tick
      expect(whileRunning).toEqual([before + 1, before + 1]);
      expect(trackedDuckDbCount()).toBe(before);
      // the next hour: a new session, the same again
      await s.scheduler.tick(DAY + 3 * HOUR + 30_000);
      expect(whileRunning).toEqual([before + 1, before + 1, before + 1, before + 1]);
      expect(trackedDuckDbCount()).toBe(before);
      // a re-run on request (the #/pipeline page) opens and closes one too
      const c = await s.scheduler.rerun('model.per_hour', DAY + 3 * HOUR);
      expect(c.outcome?.status).toBe('success');
      expect(whileRunning.at(-1)).toBe(before + 1);
      expect(trackedDuckDbCount()).toBe(before);
    } finally {
      await s.close();
    }
  });
});

/**
 * An hourly model over a simulated day (injected clock) with an outage in the middle: every interval runs exactly
 * once, catch-up included; with a catch-up bound smaller than the outage the oldest missed intervals are recorded
 * once as a skipped range and never run. A failing blocking check blocks the model's interval (recorded with the
 * reason); a failing warn check blocks nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openScheduler } from '../open.js';
import {
  BLOCKING_CHECK,
  DAY,
  expectedCounts,
  HOUR,
  MODEL,
  type SchedFixture,
  schedFixture,
  WARN_CHECK,
} from './fixtures.js';

let fx: SchedFixture | undefined;
afterEach(() => {
  fx?.close();
  fx = undefined;
});

async function runDay(catchUp: number, outage: [from: number, to: number]) {
  fx = await schedFixture({
    'models/hourly_counts.sql': MODEL,
    'checks/positive.sql': BLOCKING_CHECK,
    'checks/warns.sql': WARN_CHECK,
  });
  const s = await openScheduler({ lakeDir: fx.lake.dir, sqlDirs: [fx.sqlDir], bundled: false, catchUp });
  try {
    // a tick 30 s after every hour from 01:00 to 24:00, twice each (a second tick finds nothing due), none in the outage
    for (let h = 1; h <= 24; h++) {
      if (h > outage[0] && h < outage[1]) continue;
      await s.scheduler.tick(DAY + h * HOUR + 30_000);
      await s.scheduler.tick(DAY + h * HOUR + 45_000);
    }
  } finally {
    await s.close();
  }
  const runs = await fx.lake.rows(`select job, status, epoch_ms(interval_start) as s, epoch_ms(interval_end) as e,
      rows, error, run_id from read_parquet('${fx.lake.dir}/pipeline_runs/**/*.parquet') order by job, e`);
  const model = await fx.lake.rows(`select run_id, epoch_ms(interval_start) as s, symbol, n
      from read_parquet('${fx.lake.dir}/hourly_counts/**/*.parquet') order by s, symbol`);
  return { runs, model };
}

describe('scheduler over a simulated day', () => {
  it('runs every hourly interval exactly once across an outage (catch-up included)', async () => {
    const { runs, model } = await runDay(24, [7, 14]); // no tick at 08:00..13:00
    const modelRuns = runs.filter((r) => r.job === 'model.hourly_counts');
    // intervals end at 01:00 .. 24:00: 24 of them, each exactly once
    expect(modelRuns.map((r) => Number(r.e))).toEqual(Array.from({ length: 24 }, (_, i) => DAY + (i + 1) * HOUR));
    // the interval 05:00-06:00 holds the bad tick: the blocking check failed, the model is blocked, with the reason
    for (const r of modelRuns) {
      const h = (Number(r.s) - DAY) / HOUR;
      if (h === 5) {
        expect(r.status).toBe('blocked');
        expect(String(r.error)).toMatch(
          /^blocking check check\.positive failed for 2026-03-02T05:00Z–2026-03-02T06:00Z: 1 violating row/,
        );
      } else expect(r.status, `hour ${h}`).toBe('success');
    }
    const checkRuns = runs.filter((r) => r.job === 'check.positive');
    expect(checkRuns.length).toBe(24);
    expect(checkRuns.filter((r) => r.status === 'failed').map((r) => (Number(r.s) - DAY) / HOUR)).toEqual([5]);
    // the warn check failed every time and blocked nothing (the model succeeded in 23 of 24 hours)
    const warn = runs.filter((r) => r.job === 'check.warns');
    expect(warn.length).toBe(24);
    expect(warn.every((r) => r.status === 'failed')).toBe(true);
    // the materialized rows: one set per interval, equal to the counts computed independently
    for (let h = 0; h < 24; h++) {
      const got = Object.fromEntries(
        model.filter((m) => Number(m.s) === DAY + h * HOUR).map((m) => [m.symbol, Number(m.n)]),
      );
      expect(got, `hour ${h}`).toEqual(h === 5 ? {} : expectedCounts(h));
    }
    expect(new Set(model.map((m) => m.run_id)).size).toBe(23);
  });

  it('bounds catch-up: the oldest missed intervals are one skipped range, never run', async () => {
    const { runs } = await runDay(3, [7, 14]); // at 14:00: 7 intervals due (ends 08..14), only 3 run
    const modelRuns = runs.filter((r) => r.job === 'model.hourly_counts');
    const skipped = modelRuns.filter((r) => r.status === 'skipped');
    expect(skipped.length).toBe(1);
    expect([Number(skipped[0].s), Number(skipped[0].e)]).toEqual([DAY + 7 * HOUR, DAY + 11 * HOUR]);
    expect(String(skipped[0].error)).toMatch(/4 interval\(s\) from 2026-03-02T07:00Z to 2026-03-02T11:00Z/);
    const ran = modelRuns.filter((r) => r.status !== 'skipped').map((r) => (Number(r.e) - DAY) / HOUR);
    expect(ran).toEqual([1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it('waits --run-delay after an interval ends before running it (late data first)', async () => {
    fx = await schedFixture({ 'models/hourly_counts.sql': MODEL });
    const s = await openScheduler({ lakeDir: fx.lake.dir, sqlDirs: [fx.sqlDir], bundled: false, delayMs: 60_000 });
    const ends = () => s.scheduler.store.intervalEnds('model.hourly_counts');
    try {
      await s.scheduler.tick(DAY + 2 * HOUR + 30_000); // 02:00:30: 01:00-02:00 is not due for another 30 s
      expect(await ends()).toEqual([DAY + HOUR]);
      await s.scheduler.tick(DAY + 2 * HOUR + 61_000);
      expect(await ends()).toEqual([DAY + HOUR, DAY + 2 * HOUR]);
    } finally {
      await s.close();
    }
  });
});

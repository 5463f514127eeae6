/**
 * The scheduler's metrics from a real scheduler over the fixture day (scheduler/test/fixtures.ts): runs counted by
 * job and status as they end, `ticklake_check_failing` following the latest run of each check (the blocking check
 * fails for the hour with the bad tick, then passes again), and `ticklake_scheduler_overdue_seconds` rising when a
 * due interval waits unclaimed. Expected values are hand-counted from the fixture.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openScheduler } from '../../scheduler/open.js';
import {
  BLOCKING_CHECK,
  DAY,
  HOUR,
  MODEL,
  type SchedFixture,
  schedFixture,
  WARN_CHECK,
} from '../../scheduler/test/fixtures.js';
import { MetricsRegistry } from '../registry.js';
import { schedulerMetrics } from '../scheduler-metrics.js';

let fx: SchedFixture | undefined;
afterEach(() => {
  fx?.close();
  fx = undefined;
});

/** `name{labels} value` lines of the exposition, as a map. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) out.set(m[1] ?? '', Number(m[2]));
  return out;
}

describe('scheduler metrics', () => {
  it('count runs, follow check results and show an overdue job', async () => {
    fx = await schedFixture({
      'models/hourly_counts.sql': MODEL,
      'checks/positive.sql': BLOCKING_CHECK,
      'checks/warns.sql': WARN_CHECK,
    });
    let now = DAY + 6 * HOUR + 30_000;
    const m = new MetricsRegistry({ processMetrics: false });
    let sched: Awaited<ReturnType<typeof openScheduler>> | undefined;
    const sm = schedulerMetrics(m, () => sched?.scheduler, { now: () => now });
    sched = await openScheduler({ lakeDir: fx.lake.dir, sqlDirs: [fx.sqlDir], bundled: false, onRun: sm.onRun });
    try {
      // 06:00: the first tick runs the hour 05:00-06:00, which holds the bad tick
      await sched.scheduler.tick(now);
      let text = await m.render();
      expect(samples(text, 'ticklake_check_failing')).toEqual(
        new Map([
          ['{check="check.positive",severity="blocking"}', 1],
          ['{check="check.warns",severity="warn"}', 1],
        ]),
      );
      const runs = samples(text, 'ticklake_scheduler_runs_total');
      expect(runs.get('{job="check.positive",kind="check",status="failed"}')).toBe(1);
      expect(runs.get('{job="model.hourly_counts",kind="model",status="blocked"}')).toBe(1);
      // 07:00: the clean hour passes, the blocking check is not failing any more
      now = DAY + 7 * HOUR + 30_000;
      await sched.scheduler.tick(now);
      text = await m.render();
      expect(samples(text, 'ticklake_check_failing').get('{check="check.positive",severity="blocking"}')).toBe(0);
      expect(
        samples(text, 'ticklake_scheduler_runs_total').get('{job="model.hourly_counts",kind="model",status="success"}'),
      ).toBe(1);
      expect(samples(text, 'ticklake_scheduler_overdue_seconds').get('{job="model.hourly_counts"}')).toBe(0);
      // 08:25 with no tick since 07:00: the interval ending 08:00 has waited 25 minutes
      now = DAY + 8 * HOUR + 25 * 60_000;
      text = await m.render();
      expect(samples(text, 'ticklake_scheduler_overdue_seconds').get('{job="model.hourly_counts"}')).toBe(25 * 60);
      expect(samples(text, 'ticklake_scheduler_next_run_timestamp_seconds').get('{job="model.hourly_counts"}')).toBe(
        (DAY + 9 * HOUR) / 1000,
      );
    } finally {
      await sched.close();
    }
  });
});

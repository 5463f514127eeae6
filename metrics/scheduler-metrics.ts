/**
 * The scheduler's numbers (scheduler/): runs by job and outcome and their durations (counted as attempts end, via
 * the scheduler's onRun hook), and read from the claims at scrape time: each job's last success, next fire time,
 * how long a due interval has waited unclaimed (a missed schedule), and each check's current result.
 */
import { Histogram } from 'prom-client';
import type { Claim } from '../scheduler/claims.js';
import type { MysqlStore } from '../scheduler/mysql-store.js';
import type { Job } from '../scheduler/plan.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { recentRuns } from '../scheduler/status.js';
import type { MetricsRegistry, Sample } from './registry.js';

export function schedulerMetrics(
  m: MetricsRegistry,
  scheduler: () => Scheduler | undefined,
  opts: { now?: () => number; mysql?: () => MysqlStore | undefined } = {},
): { onRun: (job: Job, c: Claim) => void } {
  const now = opts.now ?? Date.now;
  const runs = new Map<string, number>();
  const duration = new Histogram({
    name: 'ticklake_scheduler_run_duration_seconds',
    help: 'Duration of finished scheduled runs',
    labelNames: ['job'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
    registers: [m.registry],
  });
  m.counterFrom(
    'ticklake_scheduler_runs_total',
    'Scheduled runs ended by this process, by job, kind and status (success, failed, blocked, skipped, crashed)',
    ['job', 'kind', 'status'],
    () =>
      [...runs].map(([k, v]): Sample => {
        const [job, kind, status] = k.split('\t');
        return [{ job, kind, status }, v];
      }),
  );
  // one claim scan per scrape (the gauges below share it; a finished run invalidates it)
  let snap: Promise<Map<string, Awaited<ReturnType<typeof recentRuns>>>> | undefined;
  let snapAt = 0;
  const recent = () => {
    const s = scheduler();
    if (!s) return Promise.resolve(new Map());
    if (!snap || Date.now() - snapAt > 1000) {
      snapAt = Date.now();
      snap = (async () => {
        const out = new Map<string, Awaited<ReturnType<typeof recentRuns>>>();
        for (const j of s.plan.jobs.keys()) out.set(j, await recentRuns(s, j, 3));
        return out;
      })();
    }
    return snap;
  };
  const perJob = (f: (j: Job, r: Awaited<ReturnType<typeof recentRuns>>) => Sample[]) => async () => {
    const s = scheduler();
    if (!s) return [];
    const all = await recent();
    return [...s.plan.jobs.values()].flatMap((j) => f(j, all.get(j.name) ?? []));
  };
  m.gaugeFrom(
    'ticklake_scheduler_last_success_timestamp_seconds',
    'When the job last ended successfully',
    ['job'],
    perJob((j, r) => {
      const ok = r.find((x) => x.status === 'success');
      return ok ? [[{ job: j.name }, (ok.endedAt ?? ok.startedAt) / 1000]] : [];
    }),
  );
  m.gaugeFrom(
    'ticklake_scheduler_next_run_timestamp_seconds',
    'Next fire time of the job',
    ['job'],
    perJob((j) => {
      const delay = scheduler()?.delayMs ?? 0;
      return [[{ job: j.name }, (j.schedule.next(now() - delay) + delay) / 1000]];
    }),
  );
  m.gaugeFrom(
    'ticklake_scheduler_overdue_seconds',
    "How long the job's latest due interval has waited without being claimed (0 when on time): a missed schedule",
    ['job'],
    perJob((j, r) => {
      const latest = j.schedule.latest(now() - (scheduler()?.delayMs ?? 0));
      const claimed = r.length ? Math.max(...r.map((x) => x.intervalEnd)) : Number.NEGATIVE_INFINITY;
      return [[{ job: j.name }, claimed >= latest ? 0 : (now() - latest - (scheduler()?.delayMs ?? 0)) / 1000]];
    }),
  );
  m.gaugeFrom(
    'ticklake_check_failing',
    'Whether the latest finished run of a check or test failed (1) or passed (0), by severity',
    ['check', 'severity'],
    perJob((j, r) => {
      if (j.kind !== 'check') return [];
      const last = r.find((x) => x.state === 'done' && x.status !== 'skipped');
      if (!last) return [];
      const failing = ['failed', 'blocked', 'crashed'].includes(last.status) ? 1 : 0;
      return [[{ check: j.name, severity: j.severity ?? 'error' }, failing]];
    }),
  );
  m.gaugeFrom('ticklake_mysql_up', 'MySQL reachable for the component (1) or failing (0)', ['component'], () => {
    const store = opts.mysql?.();
    if (!store || store.up === undefined) return [];
    return [[{ component: 'scheduler' }, store.up ? 1 : 0]];
  });
  return {
    onRun: (job, c) => {
      const st = c.outcome?.status ?? 'unknown';
      snap = undefined; // the claims changed
      const k = `${job.name}\t${job.kind}\t${st}`;
      runs.set(k, (runs.get(k) ?? 0) + 1);
      if (c.outcome && st !== 'skipped')
        duration.observe({ job: job.name }, (c.outcome.endedAt - c.outcome.startedAt) / 1000);
    },
  };
}

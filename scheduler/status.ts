/**
 * What the #/pipeline page and /metrics show of the scheduler: per job its schedule, upstream jobs, last and next
 * run, and recent attempts (running ones included), read from the claims (scheduler/claims.ts); `pipeline_runs` in
 * the lake is the same history for SQL.
 */
import type { Claim } from './claims.js';
import type { Job } from './plan.js';
import type { Scheduler } from './scheduler.js';

export interface RunView {
  runId: string;
  job: string;
  attempt: number;
  intervalStart: number;
  intervalEnd: number;
  state: Claim['state'];
  status: string;
  rows: number | null;
  error: string | null;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  forced: boolean;
  scheduler: string;
}

export interface JobView {
  name: string;
  kind: Job['kind'];
  title: string;
  file: string;
  schedule: string;
  cron: string;
  severity: string | null;
  materialize: string | null;
  upstream: { job: string; via: string; table?: string }[];
  next: number;
  last: RunView | null;
  lastSuccess: number | null;
  runs: RunView[];
  /** Failed, blocked or crashed attempts among `runs`. */
  failures: number;
}

export function runView(c: Claim): RunView {
  const o = c.outcome;
  const status = o?.status ?? (c.state === 'committing' ? 'committing' : 'running');
  return {
    runId: c.runId,
    job: c.job,
    attempt: c.attempt,
    intervalStart: c.skippedFrom ?? c.interval.start,
    intervalEnd: c.interval.end,
    state: c.state,
    status,
    rows: o ? o.rows : null,
    error: o?.error ?? null,
    startedAt: o?.startedAt ?? c.claimedAt,
    endedAt: o?.endedAt ?? null,
    durationMs: o ? o.endedAt - o.startedAt : null,
    forced: c.forced === true,
    scheduler: `${c.owner.host}:${c.owner.pid}`,
  };
}

/** Recent attempts of a job, newest interval first (`limit` intervals; every attempt of each). */
export async function recentRuns(s: Scheduler, job: string, limit = 12): Promise<RunView[]> {
  const ends = (await s.store.intervalEnds(job)).slice(-limit).reverse();
  const out: RunView[] = [];
  for (const e of ends) {
    const attempts = await s.store.attempts(job, e);
    for (const a of attempts.reverse()) {
      // an attempt that only finished an earlier one's commit is bookkeeping: show the earlier one
      if (a.claim.completes !== undefined) continue;
      out.push(runView(a.claim));
    }
  }
  return out;
}

export async function jobViews(s: Scheduler, now: number, limit = 12): Promise<JobView[]> {
  const out: JobView[] = [];
  for (const name of s.plan.graph.order) {
    const j = s.plan.jobs.get(name) as Job;
    const runs = await recentRuns(s, name, limit);
    const success = runs.find((r) => r.status === 'success');
    out.push({
      name,
      kind: j.kind,
      title: j.file.title,
      file: j.file.file,
      schedule: j.schedule.text,
      cron: j.schedule.cron,
      severity: j.severity ?? null,
      materialize: j.materialize ?? null,
      upstream: (s.plan.graph.upstream.get(name) ?? []).map((u) => ({ ...u })),
      // when its next interval becomes due (its end plus the run delay)
      next: j.schedule.next(now - s.delayMs) + s.delayMs,
      last: runs[0] ?? null,
      lastSuccess: success ? (success.endedAt ?? success.startedAt) : null,
      runs,
      failures: runs.filter((r) => ['failed', 'blocked', 'crashed'].includes(r.status)).length,
    });
  }
  return out;
}

/**
 * What of a job may run now: its due intervals (after its newest claimed one, at most `catchUp` after downtime, the
 * older ones as one skipped range) and whether the upstream intervals within one are done or block it.
 */
import type { ClaimStore } from './claims.js';
import type { Job, Plan } from './plan.js';
import { type DataInterval, fireTimes, iso } from './schedule.js';

/** Whether an interval may run now; `blocked` (with why) when an upstream failure means it never will as it is. */
export type Readiness = { ready: true } | { ready: false; blocked?: string };

/** Intervals of a job due at `now`: after its newest claimed one (or just the latest, for a new job). */
export async function dueIntervals(
  store: ClaimStore,
  job: Job,
  at: number,
  o: { delayMs: number; catchUp: number },
): Promise<{ due: DataInterval[]; skipped?: DataInterval & { count: number } }> {
  const now = at - o.delayMs; // an interval is due `delayMs` after it ends
  const ends = await store.intervalEnds(job.name);
  const s = job.schedule;
  const last = ends.at(-1);
  if (last === undefined) {
    const end = s.latest(now);
    return { due: [s.intervalEndingAt(end)] };
  }
  const { times, dropped, firstDropped } = fireTimes(s, last, now, o.catchUp);
  const due = times.map((t) => s.intervalEndingAt(t));
  if (dropped === 0 || firstDropped === undefined) return { due };
  const lastDroppedEnd = due.length ? due[0].start : s.latest(now);
  return { due, skipped: { start: s.intervalEndingAt(firstDropped).start, end: lastDroppedEnd, count: dropped } };
}

/** Whether the upstream intervals ending within `interval` are done, and whether one of them blocks it. */
export async function readiness(plan: Plan, store: ClaimStore, job: Job, interval: DataInterval): Promise<Readiness> {
  for (const up of plan.graph.upstream.get(job.name) ?? []) {
    const u = plan.jobs.get(up.job) as Job;
    const first = (await store.intervalEnds(u.name))[0];
    if (first === undefined) return { ready: false };
    for (let e = u.schedule.next(interval.start); e <= interval.end; e = u.schedule.next(e)) {
      if (e < first) continue; // before that job existed
      const newest = await store.newest(u.name, e);
      if (newest?.claim.state !== 'done') {
        // a range skipped in one claim covers the ends inside it
        if (!newest && (await coveredBySkip(store, u.name, e))) continue;
        return { ready: false };
      }
      if (up.via === 'runs') continue; // a reader of pipeline_runs reports failures: it waits, never blocks
      const o = newest.claim.outcome?.status;
      const at = `${iso(newest.claim.interval.start)}–${iso(e)}`;
      const why = newest.claim.outcome?.error ? `: ${newest.claim.outcome.error}` : '';
      if (u.kind === 'check') {
        if (u.severity === 'blocking' && (o === 'failed' || o === 'blocked' || o === 'crashed')) {
          return { ready: false, blocked: `blocking check ${u.name} ${o} for ${at}${why}` };
        }
      } else if (o === 'failed' || o === 'blocked' || o === 'crashed') {
        return { ready: false, blocked: `upstream ${u.name} ${o} for ${at}${why}` };
      }
    }
  }
  return { ready: true };
}

/** Whether a range skipped in one claim of `job` covers the interval end `end`. */
async function coveredBySkip(store: ClaimStore, job: string, end: number): Promise<boolean> {
  for (const e of await store.intervalEnds(job)) {
    if (e < end) continue;
    const n = await store.newest(job, e);
    return n?.claim.skippedFrom !== undefined && n.claim.skippedFrom < end;
  }
  return false;
}

/**
 * The scheduler (docs/scheduler.md): at each tick, for every job in dependency order, it finishes or re-runs
 * abandoned attempts, then claims and runs each due interval, oldest first:
 *
 * - due = every fire time after the job's newest claimed interval, up to now; after downtime at most `catchUp` of
 *   them run (the oldest beyond that are recorded once as one `skipped` range); a job seen for the first time runs
 *   only its latest interval;
 * - an interval runs once its upstream jobs' intervals that end within it are done; a failed (or blocked) model or
 *   report upstream, or a failed `blocking` check, makes it `blocked`, recorded with the reason; an upstream still
 *   running makes it (and the job's later intervals) wait for a later tick;
 * - claims (scheduler/claims.ts) make every interval run once however many schedulers share the lake.
 *
 * `tick(now)` takes the time as an argument (tests inject a clock); `start()` ticks on real time.
 */
import { rm } from 'node:fs/promises';
import { settingDefault } from '../core/config.js';
import type { DuckDBConnection } from '../core/duckdb.js';
import { tlError } from '../core/errors.js';
import { type Logger, logger } from '../core/log.js';
import { LAKE_TABLES, lakeTable } from '../lake/tables.js';
import { publishTemp } from '../lake/writer.js';
import { type Claim, ClaimStore, newOwner, type Outcome } from './claims.js';
import { dueIntervals, type Readiness, readiness } from './due.js';
import { ensureView, prepareViews, resultRows } from './lake-views.js';
import type { MysqlStore } from './mysql-store.js';
import type { OnDemandSession } from './on-demand-session.js';
import type { Job, Plan } from './plan.js';
import { recordOf, writeRunRecord } from './run-records.js';
import { leftoverTemp, runJob } from './runner.js';
import { type DataInterval, iso } from './schedule.js';

export type { Readiness } from './due.js';

export interface SchedulerOptions {
  lakeDir: string;
  plan: Plan;
  /** The scheduler's own lake session (unconfined: it writes the lake), open only while a tick uses it. */
  lake: OnDemandSession;
  /** Schedule clock, epoch ms (default Date.now); leases always use real time. */
  clock?: () => number;
  /** Most missed intervals per job run after downtime (default: --catch-up's). */
  catchUp?: number;
  /** How long after an interval ends it becomes due, for late data to land in the lake (ms, default 0). */
  delayMs?: number;
  leaseMs?: number;
  mysql?: MysqlStore;
  log?: Logger;
  /** Called after every finished attempt (metrics). */
  onRun?: (job: Job, c: Claim) => void;
  /** Only these jobs and what they depend on (`ticklake run NAME ...`); all when omitted. */
  only?: readonly string[];
}

export class Scheduler {
  readonly store: ClaimStore;
  readonly plan: Plan;
  private readonly clock: () => number;
  private readonly catchUp: number;
  readonly delayMs: number;
  private readonly log: Logger;
  private ticking: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.plan = opts.plan;
    this.clock = opts.clock ?? Date.now;
    this.catchUp = Math.max(1, opts.catchUp ?? settingDefault('catchUp'));
    this.delayMs = Math.max(0, opts.delayMs ?? 0);
    this.log = opts.log ?? logger('scheduler');
    this.store = new ClaimStore(opts.lakeDir, newOwner(), { leaseMs: opts.leaseMs });
  }

  /**
   * Registers `pipeline_runs` and every materialized table with lake/tables.ts and creates their views in the
   * scheduler's session (scheduler/lake-views.ts). Run before lake sessions that should see them are opened.
   */
  prepare(): Promise<void> {
    return this.opts.lake.use((s) => prepareViews(this.opts.lakeDir, s, this.plan));
  }

  /** The view of a registered table in the scheduler's session: over its files, or empty while it has none. */
  private ensureView(table: string): Promise<void> {
    return this.opts.lake.use((s) => ensureView(this.opts.lakeDir, s, table));
  }

  /** Runs `fn` on a connection of the scheduler's session (opened for it unless a tick holds it open). */
  private connected<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.opts.lake.use(async (s) => {
      const conn = await s.connect();
      try {
        return await fn(conn);
      } finally {
        conn.closeSync();
      }
    });
  }

  /** Runs everything due at `now` (serialised: a tick called during another waits for it). */
  tick(now = this.clock()): Promise<void> {
    const next = this.ticking.catch(() => undefined).then(() => this.opts.lake.hold(() => this.tickOnce(now)));
    this.ticking = next;
    return next;
  }

  /** The selected jobs (`only`) with everything upstream of them. */
  private selected(): Set<string> | undefined {
    if (!this.opts.only) return undefined;
    const out = new Set<string>();
    const stack = [...this.opts.only];
    while (stack.length) {
      const n = stack.pop() as string;
      if (out.has(n)) continue;
      if (!this.plan.jobs.has(n)) throw tlError('TL_API_NOT_FOUND', { what: `scheduled job "${n}"` });
      out.add(n);
      for (const u of this.plan.graph.upstream.get(n) ?? []) stack.push(u.job);
    }
    return out;
  }

  private async tickOnce(now: number): Promise<void> {
    const only = this.selected();
    for (const name of this.plan.graph.order) {
      if (this.closed) return;
      if (only && !only.has(name)) continue;
      const job = this.plan.jobs.get(name) as Job;
      await this.recoverAbandoned(job);
      await this.runDue(job, now);
    }
    await this.opts.mysql?.retryPending(this).catch((e) => this.log.warn({ err: (e as Error).message }, 'MySQL'));
  }

  private async runDue(job: Job, now: number): Promise<void> {
    const { due, skipped } = await this.dueIntervals(job, now);
    if (skipped) {
      const c = await this.store.tryClaim({
        job: job.name,
        interval: { start: this.schedStart(job, skipped.end), end: skipped.end },
        attempt: 1,
        state: 'running',
        skippedFrom: skipped.start,
      });
      if (c) {
        const t = Date.now();
        const n = skipped.count;
        await this.finish(job, c, {
          status: 'skipped',
          rows: 0,
          error: `missed while no scheduler ran; ${n} interval(s) from ${iso(skipped.start)} to ${iso(skipped.end)} are beyond the catch-up bound (--catch-up ${this.catchUp})`,
          startedAt: t,
          endedAt: t,
        });
      }
    }
    for (const interval of due) {
      if (this.closed) return;
      const ready = await this.readiness(job, interval);
      if (!ready.ready && ready.blocked === undefined) return; // upstream not done yet: later intervals wait too
      const c = await this.store.tryClaim({ job: job.name, interval, attempt: 1, state: 'running' });
      if (!c) continue; // another scheduler has it
      if (!ready.ready) {
        const t = Date.now();
        await this.finish(job, c, { status: 'blocked', rows: 0, error: ready.blocked, startedAt: t, endedAt: t });
        continue;
      }
      await this.execute(job, c);
    }
  }

  /** Intervals of a job due at `now`: after its newest claimed one (or just the latest, for a new job). */
  dueIntervals(job: Job, at: number): Promise<{ due: DataInterval[]; skipped?: DataInterval & { count: number } }> {
    return dueIntervals(this.store, job, at, { delayMs: this.delayMs, catchUp: this.catchUp });
  }

  /** Whether the upstream intervals ending within `interval` are done, and whether one of them blocks it. */
  readiness(job: Job, interval: DataInterval): Promise<Readiness> {
    return readiness(this.plan, this.store, job, interval);
  }

  private schedStart(job: Job, end: number): number {
    return job.schedule.intervalEndingAt(end).start;
  }

  /** Runs a claimed attempt to its end: lease kept alive, outcome recorded. */
  private async execute(job: Job, c: Claim): Promise<void> {
    const startedAt = Date.now();
    let lastBeat = Date.now();
    const beat = setInterval(
      () => {
        this.store.heartbeat(c).then(
          () => {
            lastBeat = Date.now();
          },
          (e) => this.log.warn({ err: (e as Error).message, run: c.runId }, 'lease renewal failed'),
        );
      },
      Math.max(200, Math.floor(this.store.leaseMs / 6)),
    );
    beat.unref();
    let outcome: Outcome;
    try {
      const r = await this.connected(async (conn) => {
        for (const t of job.reads) if (lakeTable(t) && !isBuiltin(t)) await this.ensureView(t);
        return runJob(job, c, {
          conn,
          lakeDir: this.opts.lakeDir,
          fence: () => {
            if (Date.now() - lastBeat > this.store.leaseMs / 2) {
              throw new Error('lease lost (could not renew it for half its length): stopped before publishing');
            }
          },
          save: (x) => this.store.update(x),
        });
      });
      outcome = r.violation
        ? { status: 'failed', rows: r.rows, error: r.violation, startedAt, endedAt: Date.now() }
        : { status: 'success', rows: r.rows, startedAt, endedAt: Date.now() };
    } catch (e) {
      outcome = { status: 'failed', rows: 0, error: (e as Error).message, startedAt, endedAt: Date.now() };
      const tmp = leftoverTemp(job, this.opts.lakeDir, c.interval);
      if (tmp && c.state === 'running') await rm(tmp, { force: true }).catch(() => {});
    } finally {
      clearInterval(beat);
    }
    if (job.materialize && outcome.status === 'success') await this.ensureView(job.materialize);
    await this.finish(job, c, outcome);
  }

  /** Marks an attempt done with its outcome, records it in the lake (and MySQL). */
  private async finish(job: Job, c: Claim, outcome: Outcome, recordAttempt?: Claim): Promise<void> {
    c.outcome = outcome;
    const rec = recordAttempt ?? c;
    await this.connected((conn) => writeRunRecord(conn, this.opts.lakeDir, recordOf(rec, job.kind, job.severity)));
    c.state = 'done';
    if (this.opts.mysql) c.mysql = 'pending';
    delete c.commit;
    await this.store.update(c);
    if (this.opts.mysql) await this.opts.mysql.sync(this, job, c).catch(() => {});
    this.opts.onRun?.(job, c);
    // a failing check or a blocked run is the pipeline working as designed (recorded, on #/pipeline, alerted on):
    // info; a run that broke (a SQL error, a crash) is a warning
    const broke = outcome.status === 'crashed' || (outcome.status === 'failed' && c.outcome?.rows === 0);
    const level = broke ? 'warn' : 'info';
    this.log[level]({ run: c.runId, status: outcome.status, rows: outcome.rows, err: outcome.error }, 'run ended');
  }

  /** Finishes (committing) or re-runs (running) every abandoned attempt among the job's recent intervals. */
  private async recoverAbandoned(job: Job): Promise<void> {
    const ends = (await this.store.intervalEnds(job.name)).slice(-(this.catchUp + 2));
    for (const end of ends) {
      const newest = await this.store.newest(job.name, end);
      if (!newest || !this.store.abandoned(newest.claim, newest.mtime)) continue;
      const prev = newest.claim;
      const target = prev.completes !== undefined ? await this.attempt(job.name, end, prev.completes) : prev;
      const c = await this.store.tryClaim({
        job: job.name,
        interval: prev.interval,
        attempt: prev.attempt + 1,
        state: 'running',
        forced: prev.forced,
        skippedFrom: prev.skippedFrom,
        ...(target?.state === 'committing' ? { completes: target.attempt } : {}),
      });
      if (!c) continue;
      const t = Date.now();
      if (target?.state === 'committing' && target.commit) {
        // the result was written and fsynced: publish it if the rename did not happen, do not run again
        const { dir, fileName, rows } = target.commit;
        await publishTemp(dir, fileName).catch((e: NodeJS.ErrnoException) => {
          if ((e.cause as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') throw e;
        });
        await this.ensureView(job.materialize as string);
        target.outcome = { status: 'success', rows, startedAt: target.claimedAt, endedAt: t };
        c.outcome = target.outcome;
        await this.finish(job, c, target.outcome, target);
        continue;
      }
      // died while running: nothing of it is visible; record it as crashed and run the interval again
      const tmp = leftoverTemp(job, this.opts.lakeDir, prev.interval);
      if (tmp) await rm(tmp, { force: true });
      prev.outcome = {
        status: 'crashed',
        rows: 0,
        error: `scheduler ${prev.owner.host}:${prev.owner.pid} stopped mid-run; run again as attempt ${c.attempt}`,
        startedAt: prev.claimedAt,
        endedAt: t,
      };
      await this.connected((conn) => writeRunRecord(conn, this.opts.lakeDir, recordOf(prev, job.kind, job.severity)));
      this.opts.onRun?.(job, prev);
      if (prev.skippedFrom !== undefined) {
        await this.finish(job, c, { status: 'skipped', rows: 0, error: 'skipped range', startedAt: t, endedAt: t });
        continue;
      }
      const ready = await this.readiness(job, prev.interval);
      if (!ready.ready) {
        await this.finish(job, c, {
          status: 'blocked',
          rows: 0,
          error: ready.blocked ?? 'upstream not done',
          startedAt: t,
          endedAt: t,
        });
        continue;
      }
      await this.execute(job, c);
    }
  }

  private async attempt(job: string, end: number, n: number): Promise<Claim | undefined> {
    return (await this.store.attempts(job, end)).find((a) => a.claim.attempt === n)?.claim;
  }

  /**
   * Runs one interval of a job again on request (the page's re-run button): a new attempt after the newest, which
   * must be done. Returns the finished attempt.
   */
  async rerun(jobName: string, end: number): Promise<Claim> {
    const job = this.plan.jobs.get(jobName);
    if (!job) throw tlError('TL_API_NOT_FOUND', { what: `scheduled job "${jobName}"` });
    const interval = job.schedule.intervalEndingAt(end);
    if (interval.end !== end)
      throw tlError('TL_API_BAD_PARAM', { param: 'end', reason: 'not an interval end of the job' });
    let result: Claim | undefined;
    const run = async () => {
      const newest = await this.store.newest(jobName, end);
      if (newest && newest.claim.state !== 'done') {
        throw tlError('TL_SCHEDULE_BUSY', { job: jobName, interval: iso(end) });
      }
      const c = await this.store.tryClaim({
        job: jobName,
        interval,
        attempt: (newest?.claim.attempt ?? 0) + 1,
        state: 'running',
        forced: true,
      });
      if (!c) throw tlError('TL_SCHEDULE_BUSY', { job: jobName, interval: iso(end) });
      const ready = await this.readiness(job, interval);
      if (!ready.ready) {
        const t = Date.now();
        await this.finish(job, c, {
          status: 'blocked',
          rows: 0,
          error: ready.blocked ?? 'upstream not done for this interval',
          startedAt: t,
          endedAt: t,
        });
      } else await this.execute(job, c);
      result = c;
    };
    const next = this.ticking.catch(() => undefined).then(() => this.opts.lake.hold(run));
    this.ticking = next.catch(() => undefined);
    await next;
    return result as Claim;
  }

  /** Ticks on real time: at each job's next fire time, and every `maxSleepMs` to pick up abandoned attempts. */
  start(maxSleepMs = 30_000): void {
    const loop = () => {
      if (this.closed) return;
      this.tick()
        .catch((e) => this.log.error({ err: (e as Error).message }, 'scheduler tick failed'))
        .finally(() => {
          if (this.closed) return;
          const now = this.clock();
          const due = now - this.delayMs;
          const nextDue = Math.min(...[...this.plan.jobs.values()].map((j) => j.schedule.next(due))) + this.delayMs;
          const next = Math.min(nextDue, now + maxSleepMs);
          this.timer = setTimeout(loop, Math.max(50, next - now + 50));
          this.timer.unref();
        });
    };
    loop();
  }

  /** Stops the timer and waits for the run in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking.catch(() => undefined);
  }

  /** Rows of a materialized job's interval, for MySQL (read back from the published file). */
  resultRows(job: Job, c: Claim): Promise<Record<string, unknown>[]> {
    return this.opts.lake.use((s) => resultRows(this.opts.lakeDir, s, job, c));
  }
}

function isBuiltin(t: string): boolean {
  return LAKE_TABLES.some((x) => x.name === t);
}

/**
 * Claims: who runs which data interval of which job, kept in the lake itself so that it works without MySQL and for
 * any number of schedulers over one lake (docs/scheduler.md, "Exactly once per interval"). Layout:
 *
 *   <lake>/_scheduler/runs/<job>/<interval end, 20260105T100000Z>/a<N>.json     attempt N of that interval
 *
 * - Attempt N is taken by `link(tmp, aN.json)`: link fails with EEXIST when the name exists, atomically (POSIX, and
 *   NFS since v3), so of any number of schedulers exactly one gets attempt N, and the file appears whole.
 * - Only the owner changes its claim afterwards (write a temp file, rename over): `running` → `committing` (the
 *   result file is written and fsynced as a dot-temp; its name is recorded) → `done` with the outcome.
 * - While running, the owner touches the file's mtime every few seconds (a lease). An attempt that is not done is
 *   abandoned when its owner's process is gone (same host: `kill(pid, 0)` fails) or its lease expired; only then
 *   may another scheduler take attempt N+1, again by link, so again exactly one does. The new attempt finishes a
 *   `committing` one (publishes the temp file if it is still there) instead of running the query again, and re-runs
 *   a `running` one (whose temp file, if any, is deleted: no partial result is ever visible).
 * - An owner whose own lease renewals failed for half the lease stops before publishing (it may have been taken
 *   over), so a paused or partitioned scheduler cannot publish behind its successor's back.
 */

import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { settingDefault } from '../core/config.js';
import { pidAlive } from '../core/pid-alive.js';
import { compactTime, type DataInterval, parseCompactTime } from './schedule.js';

export type ClaimState = 'running' | 'committing' | 'done';
export type RunStatus = 'success' | 'failed' | 'blocked' | 'skipped' | 'crashed';

export interface Owner {
  id: string;
  host: string;
  pid: number;
}

export interface Outcome {
  status: RunStatus;
  rows: number;
  error?: string;
  startedAt: number;
  endedAt: number;
}

export interface Claim {
  job: string;
  interval: DataInterval;
  attempt: number;
  runId: string;
  owner: Owner;
  /** Real time the attempt was taken. */
  claimedAt: number;
  state: ClaimState;
  /** `committing`: the result file being published, `<dir>/.<fileName>.tmp` → `<dir>/<fileName>`. */
  commit?: { dir: string; fileName: string; rows: number };
  /** This attempt finishes the commit of that earlier one instead of running again. */
  completes?: number;
  /** Started by a re-run request, not by the schedule. */
  forced?: boolean;
  /** `skipped`: the first interval start of the skipped range (the claim's interval is its last). */
  skippedFrom?: number;
  outcome?: Outcome;
  /** When MySQL is configured: whether the result and the run record reached it. */
  mysql?: 'pending' | 'done';
}

export interface ClaimStoreOptions {
  /** An attempt whose lease was not renewed for this long is abandoned (ms, default: --run-lease's). */
  leaseMs?: number;
  /** Real time (leases are wall-clock; schedules may run on an injected clock). */
  realNow?: () => number;
}

export function newOwner(): Owner {
  return { id: randomBytes(6).toString('hex'), host: hostname(), pid: process.pid };
}

export function runIdOf(job: string, end: number, attempt: number): string {
  return `${job}@${compactTime(end)}#${attempt}`;
}

export class ClaimStore {
  readonly root: string;
  readonly leaseMs: number;
  private readonly realNow: () => number;

  constructor(
    readonly lakeDir: string,
    readonly owner: Owner,
    opts: ClaimStoreOptions = {},
  ) {
    this.root = join(lakeDir, '_scheduler', 'runs');
    this.leaseMs = opts.leaseMs ?? settingDefault('runLease');
    this.realNow = opts.realNow ?? Date.now;
  }

  private dir(job: string, end: number): string {
    return join(this.root, job, compactTime(end));
  }

  private path(c: { job: string; interval: DataInterval; attempt: number }): string {
    return join(this.dir(c.job, c.interval.end), `a${c.attempt}.json`);
  }

  /** Interval ends that have at least one attempt, oldest first. */
  async intervalEnds(job: string): Promise<number[]> {
    const names = await readdir(join(this.root, job)).catch(() => [] as string[]);
    return names
      .map(parseCompactTime)
      .filter((t) => Number.isFinite(t))
      .sort((a, b) => a - b);
  }

  async jobs(): Promise<string[]> {
    return (await readdir(this.root).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
  }

  /** Every attempt of one interval, oldest first, with the file's mtime (the lease). */
  async attempts(job: string, end: number): Promise<{ claim: Claim; mtime: number }[]> {
    const dir = this.dir(job, end);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^a\d+\.json$/.test(n));
    const out: { claim: Claim; mtime: number }[] = [];
    for (const n of names) {
      const p = join(dir, n);
      try {
        const [text, st] = await Promise.all([readFile(p, 'utf8'), stat(p)]);
        out.push({ claim: JSON.parse(text) as Claim, mtime: st.mtimeMs });
      } catch {
        // vanished or (never: files appear whole) unreadable: not an attempt
      }
    }
    return out.sort((a, b) => a.claim.attempt - b.claim.attempt);
  }

  async newest(job: string, end: number): Promise<{ claim: Claim; mtime: number } | undefined> {
    return (await this.attempts(job, end)).at(-1);
  }

  /** True when an unfinished attempt's owner is gone or its lease ran out. */
  abandoned(c: Claim, mtime: number): boolean {
    if (c.state === 'done') return false;
    if (c.owner.host === hostname() && c.owner.pid !== process.pid && !pidAlive(c.owner.pid)) return true;
    return this.realNow() - mtime > this.leaseMs;
  }

  /** Takes attempt `attempt` of an interval; null when another scheduler has it already. */
  async tryClaim(fields: Omit<Claim, 'runId' | 'owner' | 'claimedAt'>): Promise<Claim | null> {
    const claim: Claim = {
      ...fields,
      runId: runIdOf(fields.job, fields.interval.end, fields.attempt),
      owner: this.owner,
      claimedAt: this.realNow(),
    };
    const dir = this.dir(claim.job, claim.interval.end);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.a${claim.attempt}.${this.owner.id}.tmp`);
    await writeDurable(tmp, claim);
    try {
      await link(tmp, this.path(claim));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return null;
      throw e;
    } finally {
      await rm(tmp, { force: true });
    }
    await fsyncDir(dir);
    return claim;
  }

  /** The owner's change of its own claim (state, outcome): replaced whole by rename. */
  async update(c: Claim): Promise<void> {
    const p = this.path(c);
    const tmp = `${join(this.dir(c.job, c.interval.end), `.a${c.attempt}.${this.owner.id}`)}.${randomBytes(3).toString('hex')}.tmp`;
    await writeDurable(tmp, c);
    await rename(tmp, p);
    await fsyncDir(this.dir(c.job, c.interval.end));
  }

  /** Renews the lease of a running attempt. */
  async heartbeat(c: Claim): Promise<void> {
    const t = new Date(this.realNow());
    await utimes(this.path(c), t, t);
  }
}

async function writeDurable(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 1)}\n`);
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

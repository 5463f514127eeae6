/**
 * Guards against processors that would corrupt each other's results (docs/scaling.md, "Guards"):
 *
 * - **A state directory in use.** DuckDB locks its file; a second process opening it gets an IO error that names
 *   the lock. `stateInUse` turns that into `TL_CONFIG_STATE_IN_USE`, naming the directory and the holder.
 * - **A second uncoordinated processor on one lake.** A single-instance processor (one that owns every partition of
 *   its topic and names its result files by batch) takes a lease on the lake for its topic,
 *   `<lake>/_leases/<topic>.json`, renewed every `renewMs` (its file's mtime). Another processor of that topic
 *   finding a live lease is refused with `TL_LAKE_UNCOORDINATED`. A lease is taken over when it is stale (not renewed
 *   for `staleMs`), when its holder's process is gone (same host, no such pid: a SIGKILLed processor restarted at
 *   once), or when it was taken with the same state directory (the same logical processor: DuckDB's lock already
 *   keeps two processes from sharing it). A lake whose topic has a partition commit log (`_commits/<topic>`) is
 *   written by partition-scoped processors: a single-instance one is refused there, too.
 *
 * The lease is a guard at start, not fencing: a holder paused past `staleMs` could write again after another took
 * over. Fencing is the partition commit log's job (commit-log.ts), which single-instance processors do not use.
 */

import { mkdir, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTicklakeError, tlError } from '../../core/errors.js';
import { pidAlive } from '../../core/pid-alive.js';
import { commitDir } from './commit-log.js';

export interface Lease {
  writer: string;
  host: string;
  pid: number;
  stateDir: string;
  since: number;
}

export interface LakeLease {
  readonly path: string;
  /** Stops renewing and removes the lease if it is still this processor's. */
  release(): Promise<void>;
}

export interface ClaimOptions {
  lakeDir: string;
  topic: string;
  stateDir: string;
  writer: string;
  /** Renewal interval (default 2 s). */
  renewMs?: number;
  /** A lease not renewed for this long is abandoned (default 15 s). */
  staleMs?: number;
}

/** `TL_CONFIG_STATE_IN_USE` for DuckDB's lock error on the state file; any other error unchanged. */
export function stateInUse(e: unknown, stateDir: string): unknown {
  const msg = (e as Error)?.message ?? '';
  const m = /Could not set lock on file .*?Conflicting lock is held in (.*?)(?:\. See also|$)/s.exec(msg);
  if (!m) return e;
  return tlError('TL_CONFIG_STATE_IN_USE', { dir: stateDir, reason: `DuckDB's lock is held by ${m[1]}` }, e);
}

export function leasePath(lakeDir: string, topic: string): string {
  commitDir(lakeDir, topic, 0); // validates the topic name
  return join(lakeDir, '_leases', `${topic}.json`);
}

/**
 * Takes the single-instance lease of `topic` on the lake, or throws `TL_LAKE_UNCOORDINATED`. The lease is renewed
 * until `release`.
 */
export async function claimSingleWriter(opts: ClaimOptions): Promise<LakeLease> {
  const renewMs = opts.renewMs ?? 2000;
  const staleMs = opts.staleMs ?? 15_000;
  const path = leasePath(opts.lakeDir, opts.topic);
  const refuse = (reason: string, fix: string) => tlError('TL_LAKE_UNCOORDINATED', { dir: opts.lakeDir, reason, fix });
  const committed = await stat(join(opts.lakeDir, '_commits', opts.topic)).then(
    () => true,
    () => false,
  );
  if (committed) {
    throw refuse(
      `is written by partition-scoped processors (it has a commit log, ${join('_commits', opts.topic)})`,
      'run this processor partition-scoped too, or give it another --lake-dir',
    );
  }
  const me: Lease = {
    writer: opts.writer,
    host: hostname(),
    pid: process.pid,
    stateDir: resolve(opts.stateDir),
    since: Date.now(),
  };
  await mkdir(join(opts.lakeDir, '_leases'), { recursive: true }).catch((e) => {
    throw tlError('TL_LAKE_WRITE', { file: join(opts.lakeDir, '_leases'), reason: (e as Error).message }, e);
  });
  const held = await readLease(path);
  if (held && !abandoned(held.lease, held.mtimeMs, me, staleMs)) {
    const ago = Math.round((Date.now() - held.mtimeMs) / 1000);
    throw refuse(
      `is being written by another processor of ${opts.topic} (${held.lease.writer}, state ${held.lease.stateDir}, ` +
        `alive ${ago} s ago)`,
      `stop it first, or give this one another --lake-dir; a lease not renewed for ${staleMs / 1000} s is taken over`,
    );
  }
  // write-then-rename: a reader sees the old lease or ours, whole
  const tmp = `${path}.${opts.writer}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(me));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    // a full or read-only lake: the processor's documented error, not a raw ENOSPC stack (fatal-exit.test.ts)
    await rm(tmp, { force: true }).catch(() => {});
    throw tlError('TL_LAKE_WRITE', { file: path, reason: (e as Error).message }, e);
  }
  // two processors taking over one abandoned lease at once: the last rename wins, the other one sees it
  await sleep(50);
  const now = await readLease(path);
  if (now?.lease.writer !== me.writer) {
    throw refuse(
      `was claimed at the same moment by another processor of ${opts.topic} (${now?.lease.writer ?? 'unknown'})`,
      'start one processor per lake and topic',
    );
  }
  let released = false;
  const timer = setInterval(() => {
    const t = new Date();
    utimes(path, t, t).catch(() => {});
  }, renewMs);
  timer.unref();
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      const cur = await readLease(path).catch(() => undefined);
      if (cur?.lease.writer === me.writer) await rm(path, { force: true });
    },
  };
}

async function readLease(path: string): Promise<{ lease: Lease; mtimeMs: number } | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { lease: JSON.parse(text) as Lease, mtimeMs: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) return undefined;
    if (isTicklakeError(e)) throw e;
    throw e;
  }
}

function abandoned(held: Lease, mtimeMs: number, me: Lease, staleMs: number): boolean {
  if (Date.now() - mtimeMs > staleMs) return true;
  if (held.stateDir === me.stateDir) return true; // the same processor again (DuckDB's lock rules out a twin)
  if (held.host === me.host && !pidAlive(held.pid)) return true;
  return false;
}

/**
 * A partition-scoped (`--scale-out`) processor joining the lake: several of them share it through the partition
 * commit log, which fences each write (commit-log.ts). Refused with `TL_LAKE_UNCOORDINATED` when a single-instance
 * processor of the topic holds a live lease, or when the lake holds a single-instance processor's results (no
 * commit log for the topic, but `b<batch>` files or tick files): neither would see the other's writes. Creates
 * `_commits/<topic>` first, so a single-instance processor started later is refused (`claimSingleWriter`).
 */
export async function joinCoordinated(opts: { lakeDir: string; topic: string; staleMs?: number }): Promise<void> {
  const staleMs = opts.staleMs ?? 15_000;
  const refuse = (reason: string, fix: string) => tlError('TL_LAKE_UNCOORDINATED', { dir: opts.lakeDir, reason, fix });
  const held = await readLease(leasePath(opts.lakeDir, opts.topic));
  if (held && Date.now() - held.mtimeMs <= staleMs && !(held.lease.host === hostname() && !pidAlive(held.lease.pid))) {
    throw refuse(
      `is being written by a single-instance processor of ${opts.topic} (${held.lease.writer}, state ${held.lease.stateDir})`,
      'stop it first: processors sharing a lake all run with --scale-out',
    );
  }
  const dir = join(opts.lakeDir, '_commits', opts.topic);
  const existed = await stat(dir).then(
    () => true,
    () => false,
  );
  if (!existed) {
    const { findProcessorOutput } = await import('../ticks/tick-archive.js');
    const found = await findProcessorOutput(opts.lakeDir);
    if (found !== undefined) {
      throw refuse(
        `holds the results of a single-instance processor (${found}) and no commit log for ${opts.topic}`,
        'give the scaled-out processors a new --lake-dir, or run one processor without --scale-out',
      );
    }
  }
  await mkdir(dir, { recursive: true }).catch((e) => {
    throw tlError('TL_LAKE_WRITE', { file: dir, reason: (e as Error).message }, e);
  });
}

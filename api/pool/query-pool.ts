/**
 * Where the API runs queries, reports, checks and table statistics: in query processes of their own
 * (api/pool/query-worker.ts), at most `maxRunning` at a time, each with one confined DuckDB session. The API
 * process itself runs no client SQL, so /health and the rest of the server never wait behind a query.
 *
 * Limits (docs/api.md "Limits"), each a setting:
 * - Time: a request's deadline is set when it arrives and covers waiting, starting a process, running and
 *   sending. At the deadline a waiting request is answered 408 TL_SQL_TIMEOUT; a running query is answered the
 *   same (or, when its response has started, the connection is closed), interrupted, and its process is stopped
 *   if it has not given up `killGraceMs` later (a DuckDB function that does not look at interrupts).
 * - Admission: at most `maxQueued` requests wait for a process; one more is answered at once with 503
 *   TL_API_BUSY and a Retry-After of the seconds until a waiting place is certain to be free.
 * - Memory: a query process whose anonymous resident memory (RssAnon) exceeds `queryMemory` is stopped (400
 *   TL_SQL_MEMORY); when all of them together exceed `totalMemory`, the largest running one is stopped (503
 *   TL_API_BUSY). DuckDB's memory_limit in each process is 60 % of `queryMemory`, so DuckDB spills or fails with
 *   its own reason first.
 * - Temporary disk: the same with the bytes in each process's scratch directory (spills, Parquet exports),
 *   `queryTemp` (400 TL_SQL_TEMP_SPACE) and `totalTemp` (503 TL_API_BUSY); DuckDB's max_temp_directory_size is
 *   `queryTemp`.
 * - A client that closes its connection before its answer is complete (the request's `gone` signal) gives up its
 *   place: waiting, it leaves the queue; running, its query is stopped as at the deadline.
 * Memory and disk are sampled every `watchMs` (25 ms) from /proc and the scratch directories. A process whose
 * memory stays high after a query is replaced. Processes start when requests need them (about a second each);
 * the first one is started with the server, and one is kept (the last one stopped is replaced at once), further
 * idle ones end after `idleMs`.
 */
import { type ErrorDetails, type TicklakeError, tlError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { ChangelogTable } from '../../lake/changelog.js';
import type { Job } from './protocol.js';
import { type JobRun, type Started, WorkerProcess } from './worker-process.js';

export type { Started } from './worker-process.js';

/** A waiting request with less time left than this is not started. */
const MIN_START_MS = 50;

/**
 * How long an interrupted query has to give up before its process is killed. DuckDB notices an interrupt between
 * chunks, and the answer crosses two event loops: 10-170 ms for a range scan beside a test run on 2 cores, ~0.4 s
 * alone for a scan that computes levenshtein over 200 characters a row. A process killed while stopping costs a
 * restart, and its query is stopped either way; only functions that never look at interrupts need the kill.
 */
export const KILL_GRACE_MS = 2000;

export interface PoolOptions {
  lakeDir: string;
  sqlDirs?: string[];
  /** Declared keyed tables, streams and jobs: their change-log views. */
  tables?: readonly ChangelogTable[];
  /** Queries running at once (--max-queries). */
  maxRunning: number;
  /** Requests waiting for a query process (--max-queued). */
  maxQueued: number;
  /** Bytes of memory one query process may hold (--query-memory-limit). */
  queryMemory: number;
  /** Bytes of memory all query processes together may hold (--memory-limit). */
  totalMemory: number;
  /** Bytes of temporary files of one query (--query-temp-limit). */
  queryTemp: number;
  /** Bytes of temporary files of all queries together (--temp-limit). */
  totalTemp: number;
  threads?: number;
  /** How long an interrupted query has to give up before its process is killed (KILL_GRACE_MS). */
  killGraceMs?: number;
  idleMs?: number;
  watchMs?: number;
  log?: Logger;
}

export interface PoolStats {
  running: number;
  queued: number;
  processes: number;
  /** Processes started and ready, with no query: a query sent now starts at once. */
  idle: number;
}

/** One request, from admission until its query process is done with it. */
interface Request {
  job: Job;
  limitMs: number;
  deadline: number;
  resolve: (s: Started) => void;
  reject: (e: TicklakeError) => void;
  timer?: NodeJS.Timeout;
  worker?: WorkerProcess;
  run?: JobRun;
  /** Answered already: at its deadline, or its client went away. */
  expired?: boolean;
}

/** `536870912` -> `512MiB`, `1000000000` -> `1GB`: sizes in messages as a user would write them. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['GB', 1e9],
    ['MiB', 2 ** 20],
    ['MB', 1e6],
    ['KiB', 1024],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)}MiB` : `${n}B`;
}

/** A measured amount, rounded: `516616192` -> `493MiB`. */
function measured(n: number): string {
  return n >= 2 ** 20 ? `${Math.round(n / 2 ** 20)}MiB` : `${Math.round(n / 1024)}KiB`;
}

export class QueryPool {
  private readonly workers = new Set<WorkerProcess>();
  private readonly assigned = new Map<WorkerProcess, Request>();
  private readonly queue: Request[] = [];
  private watch?: NodeJS.Timeout;
  private rounds = 0;
  /** Memory and disk of each process as last read. */
  private readonly readings = new Map<WorkerProcess, { mem: number; temp: number }>();
  private closed = false;
  private readonly killGraceMs: number;
  private readonly idleMs: number;

  constructor(private readonly o: PoolOptions) {
    this.killGraceMs = o.killGraceMs ?? KILL_GRACE_MS;
    this.idleMs = o.idleMs ?? 60_000;
  }

  stats(): PoolStats {
    return {
      running: this.assigned.size,
      queued: this.queue.length,
      processes: this.workers.size,
      idle: this.idleCount(),
    };
  }

  /**
   * Admits a job and resolves when it has a result to send (the head, or a value); rejects with TL_API_BUSY when
   * the queue is full, TL_SQL_TIMEOUT at the deadline, TL_API_CLIENT_CLOSED when `gone` aborts first (the
   * query is stopped), or the job's own error.
   */
  start(job: Job, limitMs: number, deadline = Date.now() + limitMs, gone?: AbortSignal): Promise<Started> {
    if (this.closed) return Promise.reject(busy('the server is shutting down', 1));
    if (gone?.aborted) return Promise.reject(tlError('TL_API_CLIENT_CLOSED', {}));
    if (this.queue.length >= this.o.maxQueued && !this.hasCapacity()) {
      const s = this.stats();
      return Promise.reject(
        busy(
          `${s.running} queries are running and ${s.queued} waiting (--max-queries ${this.o.maxRunning}, --max-queued ${this.o.maxQueued})`,
          this.retryAfter(),
        ),
      );
    }
    return new Promise<Started>((resolve, reject) => {
      const r: Request = { job, limitMs, deadline, resolve, reject };
      r.timer = setTimeout(() => this.expire(r), Math.max(0, deadline - Date.now()));
      gone?.addEventListener('abort', () => this.abandon(r), { once: true });
      this.queue.push(r);
      this.pump();
    });
  }

  /** Resolves once a query process is ready (the server is ready to run queries); rejects with why it is not. */
  async warm(): Promise<void> {
    const w = [...this.workers].find((x) => !x.stopping) ?? this.spawn();
    await w.ready;
  }

  /** Stops every query process and refuses what waits. */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.queue.splice(0)) {
      clearTimeout(r.timer);
      r.reject(busy('the server is shutting down', 1));
    }
    for (const [, r] of this.assigned) clearTimeout(r.timer);
    for (const w of this.workers) w.kill();
    await Promise.all([...this.workers].map((w) => w.exited));
    clearInterval(this.watch);
  }

  private hasCapacity(): boolean {
    return this.idleWorker() !== undefined || this.workers.size < this.o.maxRunning;
  }

  private idleWorker(): WorkerProcess | undefined {
    for (const w of this.workers) if (w.isReady && !w.stopping && !this.assigned.has(w)) return w;
    return undefined;
  }

  /** Seconds until a waiting place is certain to be free: the first waiting request's deadline. */
  private retryAfter(): number {
    const now = Date.now();
    const first = this.queue[0]?.deadline;
    const running = [...this.assigned.values()].map((r) => r.deadline + this.killGraceMs);
    const at = first ?? (running.length > 0 ? Math.min(...running) : now);
    return Math.max(1, Math.ceil((at - now) / 1000));
  }

  private idleCount(): number {
    let n = 0;
    for (const w of this.workers) if (w.isReady && !w.stopping && !this.assigned.has(w)) n++;
    return n;
  }

  /** Processes starting up. */
  private starting(): number {
    let n = 0;
    for (const w of this.workers) if (!w.isReady && !w.stopping) n++;
    return n;
  }

  /**
   * Gives waiting requests to idle processes, oldest first, and starts processes for the rest (up to maxRunning).
   * A request waits for whichever process is free first: a process that finishes its query takes it even while
   * another one is still starting.
   */
  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      // a request about to run out of time is answered now rather than started and stopped again
      const r0 = this.queue[0];
      if (r0.deadline - Date.now() < MIN_START_MS) {
        this.queue.shift();
        this.expire(r0);
        continue;
      }
      const w = this.idleWorker();
      if (!w) break;
      this.assign(w, this.queue.shift()!);
    }
    if (this.closed) return;
    let missing = this.queue.length - this.starting();
    while (missing-- > 0 && this.workers.size < this.o.maxRunning) this.spawn();
  }

  private spawn(): WorkerProcess {
    const w = new WorkerProcess({
      lakeDir: this.o.lakeDir,
      sqlDirs: this.o.sqlDirs ?? [],
      tables: [...(this.o.tables ?? [])],
      duckdbMemoryBytes: Math.floor(this.o.queryMemory * 0.6),
      tempBytes: this.o.queryTemp,
      threads: this.o.threads ?? 2,
      memoryLimitText: formatBytes(this.o.queryMemory),
      tempLimitText: formatBytes(this.o.queryTemp),
    });
    this.workers.add(w);
    w.onDone = () => this.jobDone(w);
    w.ready.then(
      () => this.pump(),
      (e: TicklakeError) => {
        // the process could not start (the lake is gone, ...): the oldest waiting request gets the reason
        const r = this.queue.shift();
        if (r) {
          clearTimeout(r.timer);
          r.reject(e);
        }
        w.kill();
      },
    );
    void w.exited.then(() => {
      this.workers.delete(w);
      this.readings.delete(w);
      const r = this.assigned.get(w);
      if (r) {
        clearTimeout(r.timer);
        this.assigned.delete(w);
      }
      this.pump();
      // one process is kept: the last one stopped (a query over its limit, memory kept after one) is replaced now,
      // not when the next request would wait a second for it; one that never started is not (it would fail again)
      if (!this.closed && w.isReady && ![...this.workers].some((x) => !x.stopping)) this.spawn();
    });
    if (!this.watch) {
      this.watch = setInterval(() => this.sample(), this.o.watchMs ?? 25);
      this.watch.unref();
    }
    return w;
  }

  /** Runs a request on a ready, idle process. */
  private assign(w: WorkerProcess, r: Request): void {
    r.worker = w;
    this.assigned.set(w, r);
    r.run = w.run(r.job, r.deadline, r.limitMs);
    r.run.head.then(r.resolve, r.reject);
  }

  private jobDone(w: WorkerProcess): void {
    const r = this.assigned.get(w);
    if (r) clearTimeout(r.timer);
    this.assigned.delete(w);
    // memory DuckDB or the allocator kept after a big query counts against the total: start afresh instead
    const mem = w.rssAnon();
    this.readings.set(w, { mem: mem ?? 0, temp: w.tempBytes() });
    if (mem !== undefined && mem > w.baseline + this.o.queryMemory / 4) w.kill();
    this.pump();
  }

  private expire(r: Request): void {
    this.stopRequest(r, 'TL_SQL_TIMEOUT', { limitMs: r.limitMs });
  }

  /** The client went away: a waiting request leaves the queue, a running query is stopped. */
  private abandon(r: Request): void {
    if (r.expired) return;
    const w = r.worker;
    // its query has ended already (done, or stopped for its memory or disk): nothing runs for it
    if (w && this.assigned.get(w) !== r) return;
    this.o.log?.info({ pid: w?.pid, code: 'TL_API_CLIENT_CLOSED' }, 'the client closed the connection: stopped');
    this.stopRequest(r, 'TL_API_CLIENT_CLOSED', {});
  }

  /**
   * Answers `r` with `code` and stops its query: interrupted, and its process stopped if the query has not given
   * up `killGraceMs` later (a DuckDB function that does not look at interrupts).
   */
  private stopRequest(r: Request, code: TicklakeError['code'], details: Record<string, string | number>): void {
    r.expired = true;
    clearTimeout(r.timer);
    const e = tlError(code, details);
    if (!r.run || !r.worker) {
      const i = this.queue.indexOf(r);
      if (i >= 0) this.queue.splice(i, 1);
      r.reject(e);
      return;
    }
    const w = r.worker;
    const run = r.run;
    run.fail(e);
    w.cancelJob(run.id, code, details);
    const killIfStillRunning = () => {
      if (w.job === run) {
        this.o.log?.warn({ pid: w.pid, code }, 'query did not stop when asked; its process was stopped');
        // SIGKILL cannot be refused: the query is stopped now, the process only has to be reaped
        if (this.assigned.get(w) === r) this.assigned.delete(w);
        w.kill();
      }
    };
    // timers run before the loop reads its sockets: after a stall of this process, the worker's "done" may be
    // waiting unread when the grace ends, so it is read (setImmediate runs after that) before anything is killed
    w.killTimer = setTimeout(() => setImmediate(killIfStillRunning), this.killGraceMs);
  }

  /** Stops a query process for using too much, failing its request with `e`. */
  private stopFor(w: WorkerProcess, e: TicklakeError): void {
    const r = this.assigned.get(w);
    if (r?.run) r.run.fail(e);
    else if (r) r.reject(e);
    if (r) clearTimeout(r.timer);
    // no longer running a request; the process still holds its place (workers) until it has exited
    this.assigned.delete(w);
    this.o.log?.warn({ pid: w.pid, code: e.code }, `query process stopped: ${e.message}`);
    w.kill();
  }

  private sample(): void {
    // idle processes do not grow: they are read every 20th round, busy and starting ones every round; the totals
    // use the latest reading of each
    const all = ++this.rounds % 20 === 0;
    const live = [...this.workers].filter((w) => !w.stopping);
    for (const w of live) {
      if (!all && w.isReady && !this.assigned.has(w) && this.readings.has(w)) continue;
      this.readings.set(w, { mem: w.rssAnon() ?? 0, temp: w.tempBytes() });
    }
    const readings = live.map((w) => ({ w, ...(this.readings.get(w) ?? { mem: 0, temp: 0 }), gone: false }));
    for (const x of readings) {
      if (!this.assigned.has(x.w)) continue;
      if (x.mem > this.o.queryMemory) {
        x.gone = true;
        const details = { limit: formatBytes(this.o.queryMemory), setting: '--query-memory-limit' };
        this.stopFor(x.w, tlError('TL_SQL_MEMORY', { ...details, reason: `its process held ${measured(x.mem)}` }));
      } else if (x.temp > this.o.queryTemp) {
        x.gone = true;
        const details = { limit: formatBytes(this.o.queryTemp), setting: '--query-temp-limit' };
        this.stopFor(x.w, tlError('TL_SQL_TEMP_SPACE', { ...details, reason: `it wrote ${measured(x.temp)}` }));
      }
    }
    this.enforceTotal(readings, 'mem', this.o.totalMemory, 'memory', '--memory-limit');
    this.enforceTotal(readings, 'temp', this.o.totalTemp, 'temporary disk space', '--temp-limit');
    const now = Date.now();
    for (const w of live) {
      const idle = !w.stopping && w.isReady && !this.assigned.has(w);
      if (idle && now - w.idleSince > this.idleMs && this.idleCount() > 1) w.kill();
    }
    if (this.workers.size === 0 && this.watch) {
      clearInterval(this.watch);
      this.watch = undefined;
    }
  }

  private enforceTotal(
    readings: { w: WorkerProcess; mem: number; temp: number; gone: boolean }[],
    key: 'mem' | 'temp',
    limit: number,
    what: string,
    setting: string,
  ): void {
    let total = readings.filter((x) => !x.gone).reduce((a, x) => a + x[key], 0);
    while (total > limit) {
      const candidates = readings.filter((x) => !x.gone).sort((a, b) => b[key] - a[key]);
      const victim = candidates.find((x) => this.assigned.has(x.w)) ?? candidates[0];
      if (!victim) return;
      victim.gone = true;
      total -= victim[key];
      if (!this.assigned.has(victim.w)) {
        victim.w.kill(); // an idle process holding memory: it is simply replaced later
        continue;
      }
      const reason = `the API's queries together used more than ${formatBytes(limit)} of ${what} (${setting}); this one, the largest, was stopped`;
      this.stopFor(victim.w, busy(reason, 1));
    }
  }
}

function busy(reason: string, retryAfter: number): TicklakeError {
  const details: ErrorDetails = { reason, retryAfter };
  return tlError('TL_API_BUSY', details);
}

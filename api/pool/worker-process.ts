/**
 * The API's handle on one query process (api/pool/query-worker.ts): starting it with its private scratch
 * directory, running one job on it (`JobRun`: the head, the flow-controlled body, or a value), stopping it, and
 * reading what it uses — its anonymous resident memory from /proc and the bytes in its scratch directory.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type TicklakeError, tlError } from '../../core/errors.js';
import { type FromWorker, fromWire, type Job, type ToWorker, type WorkerOptions } from './protocol.js';

const ENTRY = new URL('./worker-entry.js', import.meta.url).pathname;

/** What a started job gives the route: the result body (streamed formats) or a value (checks, tables). */
export interface Started {
  /** Parquet: whether the row cap cut the result, known before the body. */
  truncated?: boolean;
  body?: Readable;
  value?: unknown;
  /** Streamed formats: whether the row cap cut the result, known once the body has ended. */
  endTruncated: () => boolean;
}

/** One job on a worker, as the API sees it. */
export class JobRun {
  private settled = false;
  private resolveHead!: (s: Started) => void;
  private rejectHead!: (e: TicklakeError) => void;
  readonly head: Promise<Started>;
  private body?: Readable;
  private truncated = false;
  private pendingAck = 0;
  private ended = false;

  constructor(
    readonly id: number,
    readonly job: Job,
    readonly deadline: number,
    private readonly worker: WorkerProcess,
  ) {
    this.head = new Promise((res, rej) => {
      this.resolveHead = res;
      this.rejectHead = rej;
    });
    this.head.catch(() => {}); // the route awaits it; a failure before it does is not unhandled
  }

  /** Routes one message of this job. */
  onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'head':
        this.startBody(m.truncated);
        break;
      case 'value':
        this.settle();
        this.resolveHead({ value: m.value, endTruncated: () => false });
        break;
      case 'data': {
        if (!this.body || this.body.destroyed) return;
        const buf = Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength);
        if (this.body.push(buf)) this.worker.send({ t: 'ack', id: this.id, bytes: buf.length });
        else this.pendingAck += buf.length;
        break;
      }
      case 'end':
        this.truncated = m.truncated;
        this.ended = true;
        this.body?.push(null);
        break;
      case 'error':
        this.fail(fromWire(m.error));
        break;
    }
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  private startBody(truncated: boolean | undefined): void {
    if (!this.settle()) return;
    this.body = new Readable({
      highWaterMark: 1 << 20,
      read: () => {
        if (this.pendingAck > 0) {
          this.worker.send({ t: 'ack', id: this.id, bytes: this.pendingAck });
          this.pendingAck = 0;
        }
      },
    });
    // the client went away (or the body failed) before the end: stop the query
    this.body.on('close', () => {
      if (!this.ended) this.worker.cancelJob(this.id, 'TL_API_CLIENT_CLOSED', {});
    });
    this.resolveHead({ truncated, body: this.body, endTruncated: () => this.truncated });
  }

  /**
   * Ends the job with an error: before the head the route answers it (status and JSON body); after, the body
   * stops with it and the connection is closed (the status has left already).
   */
  fail(e: TicklakeError): void {
    if (this.settle()) this.rejectHead(e);
    else if (this.body && !this.ended && !this.body.destroyed) this.body.destroy(e);
  }

  /** True once the route has its answer and the body (if any) is complete. */
  isComplete(): boolean {
    return this.settled && (this.body === undefined || this.ended);
  }
}

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly scratchDir: string;
  /** Resolves when the process is ready for jobs; rejects with its start-up error. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited (and its scratch directory is gone). */
  readonly exited: Promise<void>;
  job?: JobRun;
  /** Set once the process is being stopped: it takes no more jobs. */
  stopping = false;
  isReady = false;
  /** Anonymous resident memory right after start-up, bytes. */
  baseline = 0;
  idleSince = Date.now();
  killTimer?: NodeJS.Timeout;
  onDone: (w: WorkerProcess) => void = () => {};
  private nextId = 1;

  constructor(options: Omit<WorkerOptions, 'scratchDir'>) {
    this.scratchDir = mkdtempSync(join(tmpdir(), 'ticklake-query-'));
    const env = { ...process.env, TICKLAKE_QUERY_WORKER: JSON.stringify({ ...options, scratchDir: this.scratchDir }) };
    this.child = fork(ENTRY, [], {
      env,
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.exited = new Promise((res) => {
      this.child.once('exit', (code, signal) => {
        this.stopping = true;
        rmSync(this.scratchDir, { recursive: true, force: true });
        this.job?.fail(
          jobError(`the query process ended (${signal ?? `exit code ${code}`}) before the query finished`),
        );
        this.job = undefined;
        clearTimeout(this.killTimer);
        res();
      });
    });
    this.ready = new Promise((res, rej) => {
      this.child.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          this.isReady = true;
          this.baseline = this.rssAnon() ?? 0;
          res();
        } else if (m.t === 'fatal') rej(fromWire(m.error));
        else if (this.job && 'id' in m && m.id === this.job.id) {
          if (m.t === 'done') {
            const job = this.job;
            this.job = undefined;
            this.idleSince = Date.now();
            clearTimeout(this.killTimer);
            if (!job.isComplete()) job.fail(jobError('the query process gave no result'));
            this.onDone(this);
          } else this.job.onMessage(m);
        }
      });
      void this.exited.then(() => rej(jobError('the query process ended while starting')));
    });
    this.ready.catch(() => {});
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  send(m: ToWorker): void {
    if (this.child.connected) this.child.send(m);
  }

  run(job: Job, deadline: number, limitMs: number): JobRun {
    const run = new JobRun(this.nextId++, job, deadline, this);
    this.job = run;
    this.send({ t: 'run', id: run.id, job, deadline, limitMs });
    return run;
  }

  cancelJob(id: number, code: TicklakeError['code'], details: Record<string, string | number>): void {
    if (this.job?.id === id) this.send({ t: 'cancel', id, error: { code, details } });
  }

  /** Stops the process now (SIGKILL: it holds nothing that must be saved). */
  kill(): void {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Anonymous resident memory (RssAnon), bytes; undefined when it cannot be read (no /proc, process gone). */
  rssAnon(): number | undefined {
    try {
      const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Bytes in the scratch directory: DuckDB's spill files and Parquet exports. */
  tempBytes(): number {
    return dirBytes(this.scratchDir);
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const n of names) {
    try {
      const st = statSync(join(dir, n));
      total += st.isDirectory() ? dirBytes(join(dir, n)) : st.size;
    } catch {
      /* deleted meanwhile */
    }
  }
  return total;
}

function jobError(reason: string): TicklakeError {
  return tlError('TL_API_INTERNAL', { reason });
}

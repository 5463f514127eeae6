/**
 * A query process of the API (api/pool/query-pool.ts starts it through worker-entry.js): one confined DuckDB
 * session over the lake, running one job at a time and sending the encoded result back (api/pool/protocol.ts).
 *
 * - Its working directory is the lake and its views read the lake relative to it (lake/views.ts), so file names
 *   in results and errors are relative to the lake.
 * - DuckDB's own limits are set a little below the process's: memory_limit is part of --query-memory-limit and
 *   max_temp_directory_size is --query-temp-limit, so a query that needs more fails with DuckDB's reason
 *   (TL_SQL_MEMORY, TL_SQL_TEMP_SPACE) before the API has to stop the process.
 * - A result is held back until it is complete or 64 KiB long before its head is sent: a small result that fails
 *   (the time limit, an error) still gets a proper error status, and one that overlapped a lake compaction
 *   (TL_LAKE_CHANGED) is simply run again instead of cutting the HTTP response.
 * - When the API process goes away (its IPC channel closes), this process ends at once.
 */
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { isTicklakeError, type TicklakeError, tlError } from '../../core/errors.js';
import { isVanishedFileError, untilNotDeleting } from '../../lake/compact-epoch.js';
import { jsonRow } from '../../lake/json-value.js';
import { type QueryOptions, type QueryStream, runQuery } from '../../lake/query.js';
import { runCheckFiles } from '../../lake/run-sql-file.js';
import { LakeSession } from '../../lake/session.js';
import { bindParams } from '../../lake/sql-params.js';
import { tableStats } from '../../lake/table-stats.js';
import { parquetBody } from '../formats/parquet.js';
import { csvBody, jsonBody, ndjsonBody } from '../formats/text-formats.js';
import {
  type FromWorker,
  fromWire,
  type Job,
  type ToWorker,
  toWire,
  WINDOW_BYTES,
  type WorkerOptions,
} from './protocol.js';

/** A result this long is sent as it comes; a shorter one only once complete. */
const COMMIT_BYTES = 64 * 1024;
/** Largest message of result bytes: one huge value never lands in the API process at once. */
const SLICE_BYTES = 256 * 1024;

const opts = JSON.parse(process.env.TICKLAKE_QUERY_WORKER ?? '{}') as WorkerOptions;
const send = (m: FromWorker) => process.send?.(m);

// the API process is gone: nothing will read our results
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));

interface Running {
  id: number;
  ac: AbortController;
  inflight: number;
  wake?: () => void;
}

let current: Running | undefined;
let session: LakeSession;

/** DuckDB's out-of-memory and temp-space errors as the API's resource errors, with the limit that applies. */
function resourceError(e: unknown): unknown {
  if (!isTicklakeError(e, 'TL_SQL_QUERY')) return e;
  const reason = String(e.details.reason ?? e.message);
  const full = `${reason}\n${(e.cause as Error | undefined)?.message ?? ''}`;
  if (/max_temp_directory_size|failed to offload/i.test(full)) {
    return tlError('TL_SQL_TEMP_SPACE', { limit: opts.tempLimitText, setting: '--query-temp-limit', reason }, e);
  }
  if (/^Out of Memory Error/i.test(reason)) {
    return tlError('TL_SQL_MEMORY', { limit: opts.memoryLimitText, setting: '--query-memory-limit', reason }, e);
  }
  return e;
}

function lakeChanged(e: unknown): boolean {
  return isTicklakeError(e, 'TL_LAKE_CHANGED') || (isTicklakeError(e, 'TL_SQL_QUERY') && isVanishedFileError(e));
}

/** Sends result bytes in slices of at most SLICE_BYTES, each once the API has room for it. */
async function sendData(r: Running, chunk: Uint8Array): Promise<void> {
  for (let at = 0; at < chunk.byteLength; at += SLICE_BYTES) {
    const slice = chunk.subarray(at, Math.min(chunk.byteLength, at + SLICE_BYTES));
    while (r.inflight > WINDOW_BYTES) {
      if (r.ac.signal.aborted) throw r.ac.signal.reason;
      await new Promise<void>((wake) => {
        r.wake = wake;
      });
    }
    if (r.ac.signal.aborted) throw r.ac.signal.reason;
    r.inflight += slice.byteLength;
    send({ t: 'data', id: r.id, chunk: slice });
  }
}

async function* bytes(texts: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  for await (const t of texts) yield Buffer.from(t);
}

interface OpenResult {
  chunks: AsyncIterable<Uint8Array>;
  truncated: () => boolean;
  /** Known before the body (Parquet): sent with the head. */
  headTruncated?: boolean;
}

async function openResult(job: Extract<Job, { kind: 'query' | 'report' }>, q: QueryOptions): Promise<OpenResult> {
  let sql: string;
  let run: QueryOptions;
  if (job.kind === 'report') {
    const { values, types } = bindParams(job.file, job.given);
    sql = job.file.sql;
    // report results are small by design: DuckDB runs them fully parallel, then the encoding streams
    run = { ...q, params: values, types, stream: false, maxRows: job.maxRows };
  } else {
    sql = job.sql;
    run = { ...q, params: job.params ?? undefined, readOnly: true, maxRows: job.maxRows };
  }
  if (job.format === 'parquet') {
    const p = await parquetBody(session, sql, run);
    return { chunks: p.body, truncated: () => p.truncated, headTruncated: p.truncated };
  }
  const stream: QueryStream = await runQuery(session, sql, run);
  const chunks =
    job.format === 'json'
      ? bytes(jsonBody(stream))
      : job.format === 'csv'
        ? bytes(csvBody(stream))
        : job.format === 'ndjson'
          ? bytes(ndjsonBody(stream))
          : (await import('../formats/arrow.js')).arrowBody(stream); // apache-arrow loads only when used
  return { chunks, truncated: () => stream.truncated };
}

async function streamJob(r: Running, job: Extract<Job, { kind: 'query' | 'report' }>, q: QueryOptions) {
  for (let attempt = 0; ; attempt++) {
    let committed = false;
    const held: Uint8Array[] = [];
    let heldBytes = 0;
    try {
      const result = await openResult(job, q);
      const commit = async () => {
        committed = true;
        send({ t: 'head', id: r.id, truncated: result.headTruncated });
        for (const c of held.splice(0)) await sendData(r, c);
      };
      for await (const chunk of result.chunks) {
        if (committed) await sendData(r, chunk);
        else {
          held.push(chunk);
          heldBytes += chunk.byteLength;
          if (heldBytes >= COMMIT_BYTES) await commit();
        }
      }
      if (!committed) await commit();
      send({ t: 'end', id: r.id, truncated: result.truncated() });
      return;
    } catch (e) {
      // nothing sent yet: a compaction deleted files under the query; once it is done, the next listing is whole
      if (!committed && attempt < 3 && lakeChanged(e) && !r.ac.signal.aborted) {
        await untilNotDeleting(session.lakeDir);
        continue;
      }
      throw e;
    }
  }
}

async function runJob(m: Extract<ToWorker, { t: 'run' }>): Promise<void> {
  const r: Running = { id: m.id, ac: new AbortController(), inflight: 0 };
  current = r;
  const q: QueryOptions = { timeoutMs: m.limitMs, deadline: m.deadline, signal: r.ac.signal };
  try {
    const job = m.job;
    if (job.kind === 'checks') {
      const results = await runCheckFiles(session, job.files, job.params, { ...q, maxRows: job.maxRows });
      const value = {
        passed: results.every((c) => c.passed),
        checks: results.map((c) => ({
          name: c.name,
          title: c.title,
          passed: c.passed,
          violations: c.violations,
          truncated: c.truncated,
          rows: c.rows.map((row) => jsonRow(c.columns, row)),
        })),
      };
      send({ t: 'value', id: r.id, value });
    } else if (job.kind === 'tables') {
      send({ t: 'value', id: r.id, value: await tableStats(session, q) });
    } else {
      await streamJob(r, job, q);
    }
  } catch (e) {
    const err = r.ac.signal.aborted && isTicklakeError(r.ac.signal.reason) ? r.ac.signal.reason : resourceError(e);
    send({ t: 'error', id: r.id, error: toWire(err) });
  } finally {
    current = undefined;
    send({ t: 'done', id: r.id });
  }
}

process.on('message', (m: ToWorker) => {
  if (m.t === 'run') void runJob(m);
  else if (current?.id !== m.id) return;
  else if (m.t === 'ack') {
    current.inflight -= m.bytes;
    current.wake?.();
  } else if (m.t === 'cancel') {
    current.ac.abort(fromWire(m.error) as TicklakeError);
    current.wake?.();
  }
});

async function main(): Promise<void> {
  const lakeDir = resolve(opts.lakeDir);
  if (!existsSync(lakeDir)) throw tlError('TL_LAKE_NOT_FOUND', { dir: lakeDir });
  const real = realpathSync(lakeDir);
  process.chdir(real);
  session = await LakeSession.open({
    lakeDir: real,
    confined: true,
    relative: true,
    memoryLimit: `${opts.duckdbMemoryBytes}B`,
    tempLimit: `${opts.tempBytes}B`,
    threads: opts.threads,
    sqlDirs: opts.sqlDirs,
    tables: opts.tables,
    scratchDir: opts.scratchDir,
    quiet: true,
  });
  send({ t: 'ready' });
}

main().catch((e) => {
  if (process.send) process.send({ t: 'fatal', error: toWire(e) } satisfies FromWorker, () => process.exit(1));
  else process.exit(1);
});

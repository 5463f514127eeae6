/**
 * Running one query on a lake session with limits: a time limit (the connection is interrupted, again every
 * 100 ms until DuckDB gives up, and the query fails with TL_SQL_TIMEOUT), an abort signal (the same, with the
 * signal's reason), a row cap (reading stops after `maxRows`, `truncated` tells), and streaming: rows come out in
 * DuckDB's chunks (2048 rows), so memory is bounded by the cap and one chunk, never by the result size.
 *
 * `readOnly` runs the text through the guard (lake/sql-guard.ts) first; report and check files skip it.
 */
import type { DuckDBConnection, DuckDBResult, DuckDBType, DuckDBValue } from '../core/duckdb.js';
import { isTicklakeError, tlError } from '../core/errors.js';
import { filesMayHaveVanished, isVanishedFileError, readMark, untilNotDeleting } from './compact-epoch.js';
import type { LakeSession } from './session.js';
import { duckError, prepareReadOnly } from './sql-guard.js';

export interface QueryOptions {
  params?: Record<string, DuckDBValue> | DuckDBValue[];
  types?: Record<string, DuckDBType>;
  /** The time limit in milliseconds (0 or undefined: none); counted from `deadline - timeoutMs` when given. */
  timeoutMs?: number;
  /** When the limit runs out (epoch ms): several queries of one request share it. Default: now + timeoutMs. */
  deadline?: number;
  /** Interrupts the query; it fails with the signal's reason when that is a ticklake error, else TL_SQL_TIMEOUT. */
  signal?: AbortSignal;
  /** Stop after this many rows and set `truncated` (undefined: no cap). */
  maxRows?: number;
  readOnly?: boolean;
  /**
   * Stream the result chunk by chunk (default). `false` lets DuckDB run the whole query in parallel and
   * materialise the result first: faster for small results (reports, checks), but memory grows with the result.
   */
  stream?: boolean;
}

export interface QueryColumn {
  name: string;
  type: DuckDBType;
}

export class QueryStream {
  truncated = false;
  rowCount = 0;
  private done = false;

  constructor(
    readonly columns: QueryColumn[],
    private readonly result: DuckDBResult,
    private readonly finish: (reusable: boolean) => void,
    private readonly maxRows: number | undefined,
    private readonly failure: (e: unknown) => Error,
    /**
     * Why a stream that ended did not really end: the query was stopped, or compaction may have deleted files it
     * had listed (lake/compact-epoch.ts). Undefined when it is complete.
     */
    private readonly endError: () => Error | undefined = () => undefined,
  ) {}

  /** Row batches (arrays of rows, each an array of DuckDB values), at most `maxRows` rows in all. */
  async *batches(): AsyncGenerator<DuckDBValue[][]> {
    let complete = false;
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<DuckDBResult['fetchChunk']>>;
        try {
          chunk = await this.result.fetchChunk();
        } catch (e) {
          throw this.failure(e);
        }
        if (!chunk || chunk.rowCount === 0) {
          // node-api ends a stream that failed (interrupted, or a file deleted after it was listed) like a finished one
          const why = this.endError();
          if (why) throw why;
          complete = true;
          return;
        }
        let rows = chunk.getRows();
        if (this.maxRows !== undefined && this.rowCount + rows.length > this.maxRows) {
          rows = rows.slice(0, this.maxRows - this.rowCount);
          this.truncated = true;
        }
        this.rowCount += rows.length;
        if (rows.length > 0) yield rows;
        if (this.truncated) return;
      }
    } finally {
      this.close(complete);
    }
  }

  /** All rows at once (small results: checks, tests). */
  async all(): Promise<DuckDBValue[][]> {
    const out: DuckDBValue[][] = [];
    for await (const b of this.batches()) out.push(...b);
    return out;
  }

  /** Ends the query; a connection left mid-stream is interrupted and not reused. */
  close(complete = false): void {
    if (this.done) return;
    this.done = true;
    this.finish(complete);
  }
}

export async function runQuery(session: LakeSession, sql: string, opts: QueryOptions = {}): Promise<QueryStream> {
  try {
    return await startConsistent(session, sql, opts);
  } catch (e) {
    if (isTicklakeError(e, 'TL_SQL_QUERY') && /No files found that match the pattern/.test(e.message)) {
      await session.recheck();
      return startConsistent(session, sql, opts);
    }
    // compaction deleted a file between the listing and the reading of the lake: once it is done deleting, the
    // next listing is current (a few tries: a later merge may delete again)
    let last = e;
    for (let tries = 0; isTicklakeError(last, 'TL_SQL_QUERY') && isVanishedFileError(last) && tries < 3; tries++) {
      await untilNotDeleting(session.lakeDir);
      try {
        return await startConsistent(session, sql, opts);
      } catch (again) {
        last = again;
      }
    }
    throw last;
  }
}

/**
 * Compaction deletes a merge's sources and then publishes the merged file, so a query that lists the lake in
 * between misses those rows (never counts them twice). A materialised result is run again when a deletion
 * overlapped it (lake/compact-epoch.ts); a streamed one is checked when it ends (TL_LAKE_CHANGED).
 */
async function startConsistent(session: LakeSession, sql: string, opts: QueryOptions): Promise<QueryStream> {
  const streamed = opts.readOnly || opts.stream !== false;
  for (let tries = 0; ; tries++) {
    const mark = readMark(session.lakeDir);
    const q = await start(session, sql, opts, mark, streamed);
    if (streamed || !filesMayHaveVanished(mark, readMark(session.lakeDir))) return q;
    q.close(true);
    if (tries >= 3) throw tlError('TL_LAKE_CHANGED', {});
    await untilNotDeleting(session.lakeDir);
  }
}

async function start(
  session: LakeSession,
  sql: string,
  opts: QueryOptions,
  mark: string,
  streamed: boolean,
): Promise<QueryStream> {
  const limitMs = opts.timeoutMs ?? 0;
  const timeout = () => tlError('TL_SQL_TIMEOUT', { limitMs });
  const deadline = opts.deadline ?? (limitMs > 0 ? Date.now() + limitMs : undefined);
  if ((deadline !== undefined && Date.now() >= deadline) || opts.signal?.aborted) {
    throw isTicklakeError(opts.signal?.reason) ? opts.signal.reason : timeout();
  }
  const conn = await session.acquire();
  // why the query was stopped, once it was
  let stopped: Error | undefined;
  let timer: NodeJS.Timeout | undefined;
  let again: NodeJS.Timeout | undefined;
  const stop = (why: Error) => {
    if (stopped) return;
    stopped = why;
    conn.interrupt();
    // an interrupt that comes before DuckDB has started the query (its call still queued for a thread) is lost:
    // repeat it until the query ends
    again = setInterval(() => conn.interrupt(), 100);
    again.unref();
  };
  if (deadline !== undefined) {
    timer = setTimeout(() => stop(timeout()), Math.max(0, deadline - Date.now()));
    timer.unref();
  }
  const onAbort = () => stop(isTicklakeError(opts.signal?.reason) ? (opts.signal.reason as Error) : timeout());
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const failure = (e: unknown): Error => {
    if (stopped && (!isTicklakeError(e) || e.code === 'TL_SQL_QUERY')) return stopped;
    if (isTicklakeError(e)) return e;
    if (/^INTERRUPT/.test((e as Error)?.message ?? '')) return timeout();
    return duckError(e);
  };
  const finish = (reusable: boolean) => {
    clearTimeout(timer);
    clearInterval(again);
    opts.signal?.removeEventListener('abort', onAbort);
    if (!reusable) conn.interrupt();
    session.release(conn, reusable && !stopped);
  };
  try {
    const result = await execute(conn, sql, opts);
    if (stopped) throw stopped;
    // deduplicated (a, a:1): JSON and NDJSON rows are objects keyed by column name
    const columns = result.deduplicatedColumnNames().map((name, i) => ({ name, type: result.columnType(i) }));
    // a materialised result (stream: false) is checked by startConsistent before anything is read from it
    return new QueryStream(columns, result, finish, opts.maxRows, failure, () => {
      if (stopped) return stopped;
      if (streamed && filesMayHaveVanished(mark, readMark(session.lakeDir))) return tlError('TL_LAKE_CHANGED', {});
      return undefined;
    });
  } catch (e) {
    finish(false);
    throw failure(e);
  }
}

async function execute(conn: DuckDBConnection, sql: string, opts: QueryOptions): Promise<DuckDBResult> {
  const hasParams = opts.params !== undefined && Object.keys(opts.params).length > 0;
  if (opts.readOnly) {
    const prepared = await prepareReadOnly(conn, sql);
    try {
      if (hasParams) prepared.bind(opts.params!, opts.types);
    } catch (e) {
      prepared.destroySync();
      throw tlError('TL_API_BAD_PARAM', { param: 'params', reason: (e as Error).message.split('\n')[0] });
    }
    return prepared.stream();
  }
  const values = hasParams ? opts.params : undefined;
  return opts.stream === false ? conn.run(sql, values, opts.types) : conn.stream(sql, values, opts.types);
}

/** Convenience: run and collect every row as objects of DuckDB values (small results). */
export async function queryAll(
  session: LakeSession,
  sql: string,
  opts: QueryOptions = {},
): Promise<{ columns: QueryColumn[]; rows: DuckDBValue[][]; truncated: boolean }> {
  const q = await runQuery(session, sql, opts);
  const rows = await q.all();
  return { columns: q.columns, rows, truncated: q.truncated };
}

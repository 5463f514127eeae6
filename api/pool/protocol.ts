/**
 * Messages between the API process and its query processes (api/pool/query-pool.ts, api/pool/query-worker.ts),
 * over Node's IPC channel with the `advanced` serialization (so result chunks travel as bytes).
 *
 * One job at a time per process. The API sends `run`; the worker answers `head` (the query started: from here on
 * the HTTP response is committed) then `data` chunks and `end`, or a single `value` (checks, tables), or `error`;
 * and always `done` last, when it is ready for the next job. `data` is flow-controlled: the worker keeps at most
 * WINDOW_BYTES unacknowledged and the API acknowledges a chunk once the HTTP response has taken it, so a slow
 * client slows the query down instead of filling the API's memory. `cancel` stops the job (deadline, client gone).
 */
import { type ErrorCode, type ErrorDetails, isTicklakeError, type TicklakeError, tlError } from '../../core/errors.js';
import type { ChangelogTable } from '../../lake/changelog.js';
import type { SqlFile } from '../../lake/sql-header.js';
import type { ResultFormat } from '../formats/negotiate.js';

export type Scalar = string | number | boolean | null;

export type Job =
  | {
      kind: 'query';
      sql: string;
      params?: Record<string, Scalar> | Scalar[];
      format: ResultFormat;
      maxRows: number;
    }
  | { kind: 'report'; file: SqlFile; given: Record<string, string>; format: ResultFormat; maxRows: number }
  | { kind: 'checks'; files: SqlFile[]; params: Record<string, Record<string, string>>; maxRows: number }
  | { kind: 'tables' };

/** What a query process is started with (JSON in the TICKLAKE_QUERY_WORKER environment variable). */
export interface WorkerOptions {
  lakeDir: string;
  scratchDir: string;
  sqlDirs: string[];
  /** Declared keyed tables, streams and jobs: their change-log views. */
  tables: ChangelogTable[];
  /** DuckDB memory_limit, bytes. */
  duckdbMemoryBytes: number;
  /** DuckDB max_temp_directory_size, bytes. */
  tempBytes: number;
  threads: number;
  /** The per-query limits as the user wrote them, for messages. */
  memoryLimitText: string;
  tempLimitText: string;
}

export interface WireError {
  code: ErrorCode;
  details: ErrorDetails;
}

export type ToWorker =
  | { t: 'run'; id: number; job: Job; deadline: number; limitMs: number }
  | { t: 'ack'; id: number; bytes: number }
  | { t: 'cancel'; id: number; error: WireError };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'fatal'; error: WireError }
  | { t: 'head'; id: number; truncated?: boolean }
  | { t: 'data'; id: number; chunk: Uint8Array }
  | { t: 'end'; id: number; truncated: boolean }
  | { t: 'value'; id: number; value: unknown }
  | { t: 'error'; id: number; error: WireError }
  | { t: 'done'; id: number };

/** Unacknowledged result bytes a worker may have in flight. */
export const WINDOW_BYTES = 1 << 20;

export function toWire(e: unknown): WireError {
  if (isTicklakeError(e)) return { code: e.code, details: e.details };
  return { code: 'TL_API_INTERNAL', details: { reason: (e as Error)?.message ?? String(e) } };
}

export function fromWire(w: WireError): TicklakeError {
  return tlError(w.code, w.details);
}

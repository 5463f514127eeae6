/**
 * Rows of a small lake query as JSON objects (lake/json-value.ts), with the API's time limit. Materialised, not
 * streamed (`stream: false`): lake/query.ts then runs it again by itself when compaction replaced files under it,
 * instead of failing with TL_LAKE_CHANGED at the end of a stream.
 */
import type { DuckDBType, DuckDBValue } from '../../core/duckdb.js';
import { type JsonValue, jsonRow } from '../../lake/json-value.js';
import { queryAll } from '../../lake/query.js';
import type { LakeSession } from '../../lake/session.js';

export type Row = Record<string, JsonValue>;

export async function lakeRows(
  session: LakeSession,
  sql: string,
  opts: { params?: Record<string, DuckDBValue>; types?: Record<string, DuckDBType>; timeoutMs: number },
): Promise<Row[]> {
  const r = await queryAll(session, sql, { ...opts, stream: false });
  const names = r.columns.map((c) => c.name);
  return r.rows.map((row) => jsonRow(names, row));
}

/** A number or null. */
export const numOrNull = (v: JsonValue | undefined): number | null => (typeof v === 'number' ? v : null);

/** Rows of a lake query as JSON objects (lake/json-value.ts), with the API's time limit. */
import type { DuckDBValue } from '@duckdb/node-api';
import { type JsonValue, jsonRow } from '../../lake/json-value.js';
import { queryAll } from '../../lake/query.js';
import type { LakeSession } from '../../lake/session.js';

export type Row = Record<string, JsonValue>;

export async function lakeRows(
  session: LakeSession,
  sql: string,
  params: Record<string, DuckDBValue> | undefined,
  timeoutMs: number,
): Promise<Row[]> {
  const r = await queryAll(session, sql, { params, timeoutMs });
  const names = r.columns.map((c) => c.name);
  return r.rows.map((row) => jsonRow(names, row));
}

/** A number or null. */
export const numOrNull = (v: JsonValue | undefined): number | null => (typeof v === 'number' ? v : null);

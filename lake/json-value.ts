/**
 * DuckDB values as JSON, exactly (docs/api.md "Numbers"):
 * - integers (BIGINT, HUGEINT, UBIGINT...) are JSON numbers when they are safe integers (|v| <= 2^53 - 1), otherwise
 *   strings with all digits — so a JavaScript client never silently rounds;
 * - DECIMAL values are JSON numbers when they have at most 15 significant digits (a double holds them exactly as
 *   written), otherwise strings with DuckDB's exact text;
 * - DOUBLE/FLOAT are numbers; NaN and ±Infinity, which JSON cannot hold, are the strings "NaN", "Infinity",
 *   "-Infinity";
 * - dates, times, timestamps, intervals, UUIDs and blobs are DuckDB's text (`2026-01-05`, `2026-01-05 10:00:00.123`);
 * - lists and arrays are arrays, structs objects, maps arrays of {key, value}, unions their value.
 */
import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBUnionValue,
  type DuckDBValue,
} from '@duckdb/node-api';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function significantDigits(text: string): number {
  return text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length;
}

export function jsonValue(v: DuckDBValue): JsonValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString();
  }
  if (v instanceof DuckDBDecimalValue) {
    const text = v.toString();
    return significantDigits(text) <= 15 ? Number(text) : text;
  }
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(jsonValue);
  if (v instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(v.entries).map(([k, x]) => [k, jsonValue(x)]));
  }
  if (v instanceof DuckDBMapValue) return v.entries.map((e) => ({ key: jsonValue(e.key), value: jsonValue(e.value) }));
  if (v instanceof DuckDBUnionValue) return jsonValue(v.value);
  return String(v);
}

/** A row as an object keyed by column name. */
export function jsonRow(names: readonly string[], row: readonly DuckDBValue[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (let i = 0; i < names.length; i++) out[names[i]] = jsonValue(row[i]);
  return out;
}

/** Text for CSV and the shell's table: null is empty, nested values are JSON, others as in JSON. */
export function textValue(v: DuckDBValue): string {
  const j = jsonValue(v);
  if (j === null) return '';
  if (typeof j === 'object') return JSON.stringify(j);
  return String(j);
}

/**
 * DuckDB values as JSON, exactly (docs/api.md "Numbers"):
 * - integers (BIGINT, HUGEINT, UBIGINT...) are JSON numbers when they are safe integers (|v| <= 2^53 - 1), otherwise
 *   strings with all digits — so a JavaScript client never silently rounds;
 * - DECIMAL values are JSON numbers when they have at most 15 significant digits (a double holds them exactly as
 *   written), otherwise strings with DuckDB's exact text;
 * - DOUBLE/FLOAT are numbers; NaN and ±Infinity, which JSON cannot hold, are the strings "NaN", "Infinity",
 *   "-Infinity";
 * - timestamps are UTC in ISO 8601 / RFC 3339 with a `Z` (`2026-01-05T10:00:00.123Z`; TIMESTAMP columns hold UTC
 *   in ticklake, TIMESTAMPTZ ones are shown in UTC), so that any client parses them with the right zone;
 *   `infinity` and years DuckDB writes otherwise (BC) stay DuckDB's text;
 * - dates, times, intervals, UUIDs and blobs are DuckDB's text (`2026-01-05`, `10:00:00`);
 * - lists and arrays are arrays, structs objects, maps arrays of {key, value}, unions their value.
 */
import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBUnionValue,
  type DuckDBValue,
} from '../core/duckdb.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function significantDigits(text: string): number {
  return text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length;
}

const TIMESTAMP_TEXT = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:([+-]\d{2})(?::?(\d{2}))?)?$/;

/** DuckDB's timestamp text as RFC 3339: `2026-01-05 10:00:00.5` -> `2026-01-05T10:00:00.5Z`. */
export function isoTimestamp(text: string): string {
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) return text;
  const [, date, time, oh, om] = m;
  const zone = oh === undefined || (Number(oh) === 0 && Number(om ?? 0) === 0) ? 'Z' : `${oh}:${om ?? '00'}`;
  return `${date}T${time}${zone}`;
}

function isTimestamp(v: object): boolean {
  return (
    v instanceof DuckDBTimestampValue ||
    v instanceof DuckDBTimestampMillisecondsValue ||
    v instanceof DuckDBTimestampSecondsValue ||
    v instanceof DuckDBTimestampNanosecondsValue ||
    v instanceof DuckDBTimestampTZValue
  );
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
  if (isTimestamp(v)) return isoTimestamp(String(v));
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

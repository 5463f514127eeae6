/**
 * Turning text parameters (query strings, `--param k=v`, `.report NAME k=v`) into typed DuckDB values to bind,
 * checked against a report's or check's header (lake/sql-header.ts). Values are always bound, never spliced.
 * A missing required parameter, an unknown one, or a value of the wrong form is a TL_API_BAD_PARAM naming it.
 */

import { parseDuration } from '../core/config.js';
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  type DuckDBType,
  type DuckDBValue,
  dateValue,
  INTEGER,
  INTERVAL,
  intervalValue,
  LIST,
  listValue,
  TIMESTAMP,
  timestampValue,
  VARCHAR,
} from '../core/duckdb.js';
import { tlError } from '../core/errors.js';
import type { ParamType, SqlFile, SqlParam } from './sql-header.js';

export interface BoundParams {
  values: Record<string, DuckDBValue>;
  types: Record<string, DuckDBType>;
}

const DUCK_TYPES: Record<ParamType, DuckDBType> = {
  varchar: VARCHAR,
  integer: INTEGER,
  bigint: BIGINT,
  double: DOUBLE,
  boolean: BOOLEAN,
  date: DATE,
  timestamp: TIMESTAMP,
  interval: INTERVAL,
  'varchar[]': LIST(VARCHAR),
  'integer[]': LIST(INTEGER),
  'bigint[]': LIST(BIGINT),
  'double[]': LIST(DOUBLE),
  'date[]': LIST(DATE),
};

const DAY_MS = 86_400_000;

function parseDateMs(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(ms).toISOString().slice(0, 10);
  return back === text ? ms : undefined;
}

/** `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fff]]` or with `T` and an optional `Z`; UTC. Returns microseconds. */
function parseTimestampMicros(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?Z?)?$/.exec(text);
  if (!m) return undefined;
  const day = parseDateMs(m[1]);
  if (day === undefined) return undefined;
  const [h, mi, s] = [Number(m[2] ?? 0), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const frac = BigInt((m[5] ?? '').padEnd(6, '0'));
  return BigInt(day + ((h * 60 + mi) * 60 + s) * 1000) * 1000n + frac;
}

/** Converts one text value; throws TL_API_BAD_PARAM naming the parameter. */
export function convertParam(p: Pick<SqlParam, 'name' | 'type' | 'min' | 'max'>, text: string): DuckDBValue {
  const v = convertType(p, text);
  if (typeof v === 'number' || typeof v === 'bigint') {
    const n = Number(v);
    const bad = (reason: string) => tlError('TL_API_BAD_PARAM', { param: p.name, reason });
    if (p.min !== undefined && n < p.min) throw bad(`must be at least ${p.min}, got "${text}"`);
    if (p.max !== undefined && n > p.max) throw bad(`must be at most ${p.max}, got "${text}"`);
  }
  return v;
}

function convertType(p: Pick<SqlParam, 'name' | 'type'>, text: string): DuckDBValue {
  const bad = (reason: string) => tlError('TL_API_BAD_PARAM', { param: p.name, reason });
  const t = text.trim();
  if (p.type.endsWith('[]')) {
    // a list: comma-separated values, each converted as the element type (the error names the parameter)
    const type = p.type.slice(0, -2) as ParamType;
    const items = text.split(',').map((x) => x.trim());
    if (items.some((x) => x === '')) throw bad(`expected comma-separated ${type} values, got "${text}"`);
    return listValue(items.map((x) => convertParam({ name: p.name, type }, x)));
  }
  switch (p.type) {
    case 'varchar':
      return text;
    case 'integer': {
      if (!/^-?\d+$/.test(t) || Math.abs(Number(t)) > 2 ** 31 - 1) throw bad(`expected an integer, got "${text}"`);
      return Number(t);
    }
    case 'bigint': {
      if (!/^-?\d+$/.test(t)) throw bad(`expected an integer, got "${text}"`);
      const v = BigInt(t);
      if (v > 2n ** 63n - 1n || v < -(2n ** 63n)) throw bad(`out of the BIGINT range: "${text}"`);
      return v;
    }
    case 'double': {
      const v = Number(t);
      if (t === '' || !Number.isFinite(v)) throw bad(`expected a number, got "${text}"`);
      return v;
    }
    case 'boolean': {
      const v = t.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      throw bad(`expected true or false, got "${text}"`);
    }
    case 'date': {
      const ms = parseDateMs(t);
      if (ms === undefined) throw bad(`expected a date YYYY-MM-DD, got "${text}"`);
      return dateValue(ms / DAY_MS);
    }
    case 'timestamp': {
      const us = parseTimestampMicros(t);
      if (us === undefined) throw bad(`expected a timestamp YYYY-MM-DD[ HH:MM[:SS[.ffffff]]] (UTC), got "${text}"`);
      return timestampValue(us);
    }
    case 'interval': {
      try {
        return intervalValue(0, 0, BigInt(parseDuration(t)) * 1000n);
      } catch {
        throw bad(`expected a duration like 30s, 15m, 2h or 1d, got "${text}"`);
      }
    }
  }
  throw bad(`unsupported type ${p.type}`);
}

/**
 * Binds request parameters for a report or check: every declared parameter gets a value (given, default, or a
 * typed NULL for an optional one without default). Unknown names are refused so that a typo is not silently ignored.
 */
export function bindParams(
  def: Pick<SqlFile, 'name' | 'params'>,
  given: Record<string, string | undefined>,
  ignore: readonly string[] = [],
): BoundParams {
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const name of Object.keys(given)) {
    if (ignore.includes(name)) continue;
    if (!def.params.some((p) => p.name === name)) {
      const known = def.params.map((p) => p.name).join(', ') || 'none';
      throw tlError('TL_API_BAD_PARAM', { param: name, reason: `unknown parameter of ${def.name} (known: ${known})` });
    }
  }
  for (const p of def.params) {
    const raw = given[p.name];
    types[p.name] = DUCK_TYPES[p.type];
    if (raw !== undefined && raw !== '') values[p.name] = convertParam(p, raw);
    else if (p.required) {
      throw tlError('TL_API_BAD_PARAM', { param: p.name, reason: `required ${p.type} parameter is missing` });
    } else if (p.default !== undefined) values[p.name] = convertParam(p, p.default);
    else values[p.name] = null;
  }
  return { values, types };
}

/** Parses `k=v` words (CLI `--param`, shell `.report`); a value may contain `=`. */
export function parseKeyValues(words: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw tlError('TL_API_BAD_PARAM', { param: w, reason: 'expected name=value' });
    out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}

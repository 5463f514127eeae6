/**
 * One column in Debezium's MySQL mapping with the JSON converter: its Kafka Connect schema field and its value.
 * Defaults of a stock connector: decimal.handling.mode=precise (org.apache.kafka.connect.data.Decimal, base64
 * two's-complement bytes; strings when the schema envelope is off, as decimal.handling.mode=string),
 * time.precision.mode=adaptive_time_microseconds, bigint.unsigned.handling.mode=precise (BIGINT UNSIGNED as a
 * Decimal of scale 0, so 2^64−1 stays exact), binary.handling.mode=bytes. docs/cdc.md has the table.
 *
 * Values come from the binlog reader or the snapshot query in one shape: integers as numbers or exact strings,
 * DECIMAL as a string, DATE/DATETIME/TIME as text as stored, TIMESTAMP as UTC text, BLOB/BIT as Buffers.
 */
import { RawNumber } from './raw-json.js';
import type { CapturedColumn } from './table-schema.js';

export interface ConnectField {
  type: string;
  optional: boolean;
  field?: string;
  name?: string;
  version?: number;
  parameters?: Record<string, string>;
}

export function connectField(c: CapturedColumn, schemas: boolean): ConnectField {
  const f = (type: string, name?: string, parameters?: Record<string, string>): ConnectField => ({
    type,
    optional: c.optional,
    ...(name ? { name } : {}),
    ...(name === 'org.apache.kafka.connect.data.Decimal' ? { version: 1 } : {}),
    ...(parameters ? { parameters } : {}),
    field: c.name,
  });
  switch (c.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
      return f(c.kind);
    case 'uint64':
      return schemas
        ? f('bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '0', 'connect.decimal.precision': '20' })
        : f('string');
    case 'decimal':
      return schemas
        ? f('bytes', 'org.apache.kafka.connect.data.Decimal', {
            scale: String(c.scale ?? 0),
            'connect.decimal.precision': String(c.precision ?? 10),
          })
        : f('string');
    case 'float':
      return f('float');
    case 'double':
      return f('double');
    case 'bool':
      return f('boolean');
    case 'bits':
      return f('bytes', 'io.debezium.data.Bits', { length: String(c.bits ?? 1) });
    case 'string':
      return f('string');
    case 'bytes':
      return f('bytes');
    case 'date':
      return f('int32', 'io.debezium.time.Date');
    case 'datetime':
      return (c.fsp ?? 0) <= 3
        ? f('int64', 'io.debezium.time.Timestamp')
        : f('int64', 'io.debezium.time.MicroTimestamp');
    case 'timestamp':
      return f('string', 'io.debezium.time.ZonedTimestamp');
    case 'time':
      return f('int64', 'io.debezium.time.MicroTime');
    case 'year':
      return f('int32', 'io.debezium.time.Year');
    case 'json':
      return f('string', 'io.debezium.data.Json');
    case 'enum':
      return f('string', 'io.debezium.data.Enum', { allowed: (c.values ?? []).join(',') });
    case 'set':
      return f('string', 'io.debezium.data.EnumSet', { allowed: (c.values ?? []).join(',') });
  }
}

/** Two's-complement big-endian bytes of an integer, as Java's BigInteger.toByteArray (shortest form). */
export function twosComplement(n: bigint): Buffer {
  let w = 1;
  while (n < -(1n << BigInt(8 * w - 1)) || n >= 1n << BigInt(8 * w - 1)) w++;
  const v = n < 0n ? (1n << BigInt(8 * w)) + n : n;
  return Buffer.from(v.toString(16).padStart(2 * w, '0'), 'hex');
}

/** `-123.4500` with scale 4 → unscaled -1234500n. */
export function unscaled(text: string, scale: number): bigint {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new Error(`not a decimal: ${text}`);
  const frac = (m[3] ?? '').padEnd(scale, '0');
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale)))
    throw new Error(`${text} has more than ${scale} decimals`);
  const digits = `${m[2] || '0'}${frac.slice(0, scale)}`;
  const v = BigInt(digits);
  return m[1] === '-' ? -v : v;
}

const DAY_MS = 86_400_000;

function dateDays(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m || m[2] === '00' || m[3] === '00') return null; // zero dates are null, as in Debezium
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

/** Epoch microseconds of `YYYY-MM-DD hh:mm:ss[.ffffff]` read as UTC (DATETIME has no zone). */
function datetimeMicros(text: string): bigint | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/.exec(text);
  if (!m || m[2] === '00' || m[3] === '00') return null;
  const secs = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  return BigInt(secs) * 1_000_000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

function timeMicros(text: string): bigint {
  const m = /^(-?)(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!m) throw new Error(`not a TIME: ${text}`);
  const v =
    (BigInt(m[2]) * 3600n + BigInt(m[3]) * 60n + BigInt(m[4])) * 1_000_000n + BigInt((m[5] ?? '').padEnd(6, '0'));
  return m[1] === '-' ? -v : v;
}

function text(v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** The column's value in the change event (null stays null). */
export function connectValue(c: CapturedColumn, v: unknown, schemas: boolean): unknown {
  if (v === null || v === undefined) return null;
  switch (c.kind) {
    case 'int16':
    case 'int32':
    case 'year':
      return Number(v);
    case 'int64':
      return new RawNumber(String(v));
    case 'uint64':
      return schemas ? twosComplement(BigInt(String(v))).toString('base64') : String(v);
    case 'decimal': {
      const s = text(v);
      return schemas ? twosComplement(unscaled(s, c.scale ?? 0)).toString('base64') : s;
    }
    case 'float':
    case 'double':
      return Number(v);
    case 'bool':
      return Buffer.isBuffer(v) ? v.some((b) => b !== 0) : Boolean(Number(v));
    case 'bits':
    case 'bytes':
      return (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8')).toString('base64');
    case 'string':
    case 'enum':
    case 'set':
    case 'json':
      return text(v);
    case 'date':
      return dateDays(text(v));
    case 'datetime': {
      const us = datetimeMicros(text(v));
      if (us === null) return null;
      return new RawNumber(((c.fsp ?? 0) <= 3 ? us / 1000n : us).toString());
    }
    case 'timestamp': {
      const s = text(v);
      if (/^0000-00-00/.test(s)) return null;
      return `${s.replace(' ', 'T')}Z`;
    }
    case 'time':
      return new RawNumber(timeMicros(text(v)).toString());
  }
}

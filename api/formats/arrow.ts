/**
 * Arrow IPC stream bodies built with apache-arrow: one record batch per DuckDB chunk, written as they come.
 *
 * Types: BOOLEAN Bool; TINYINT..INTEGER Int32; BIGINT Int64; UBIGINT Uint64; FLOAT Float32; DOUBLE Float64;
 * DATE DateDay; TIMESTAMP (any unit) TimestampMicrosecond (set from epoch milliseconds: the lake is millisecond
 * precise); everything else (VARCHAR, DECIMAL, HUGEINT, nested types, ...) Utf8 with the exact text, as in CSV.
 */
import type { Readable } from 'node:stream';
import {
  Bool,
  type DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  makeBuilder,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMicrosecond,
  Uint64,
  Utf8,
} from 'apache-arrow';
import { DuckDBTypeId, type DuckDBValue } from '../../core/duckdb.js';
import { textValue } from '../../lake/json-value.js';
import type { QueryColumn, QueryStream } from '../../lake/query.js';

interface ColumnMap {
  type: DataType;
  convert: (v: DuckDBValue) => unknown;
}

const same = (v: DuckDBValue) => v;
const epochMs = (v: DuckDBValue) => {
  const micros = (v as { micros?: bigint }).micros;
  if (micros !== undefined) return Number(micros / 1000n);
  const millis = (v as { millis?: bigint }).millis;
  if (millis !== undefined) return Number(millis);
  const seconds = (v as { seconds?: bigint }).seconds;
  if (seconds !== undefined) return Number(seconds) * 1000;
  const nanos = (v as { nanos?: bigint }).nanos;
  return Number((nanos ?? 0n) / 1_000_000n);
};

function columnMap(c: QueryColumn): ColumnMap {
  switch (c.type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { type: new Bool(), convert: same };
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return { type: new Int32(), convert: same };
    case DuckDBTypeId.BIGINT:
      return { type: new Int64(), convert: same };
    case DuckDBTypeId.UBIGINT:
      return { type: new Uint64(), convert: same };
    case DuckDBTypeId.FLOAT:
      return { type: new Float32(), convert: same };
    case DuckDBTypeId.DOUBLE:
      return { type: new Float64(), convert: same };
    case DuckDBTypeId.DATE:
      return { type: new DateDay(), convert: (v) => (v as { days: number }).days * 86_400_000 };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_NS:
      return { type: new TimestampMicrosecond(), convert: epochMs };
    default:
      return { type: new Utf8(), convert: (v) => textValue(v) };
  }
}

/** Starts writing; returns the byte stream to send. Errors end the stream with an error. */
export function arrowBody(q: QueryStream): Readable {
  const maps = q.columns.map(columnMap);
  const fields = q.columns.map((c, i) => new Field(c.name, maps[i].type, true));
  const schema = new Schema(fields);
  const writer = new RecordBatchStreamWriter();
  const out = writer.toNodeStream() as Readable;
  (async () => {
    let wrote = false;
    for await (const rows of q.batches()) {
      if (out.destroyed) break; // the client went away: stop reading (the query is interrupted)
      const children = maps.map((m, i) => {
        const b = makeBuilder({ type: m.type, nullValues: [null, undefined] });
        for (const r of rows) b.append((r[i] === null ? null : m.convert(r[i])) as never);
        return b.finish().flush();
      });
      const data = makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children });
      writer.write(new RecordBatch(schema, data));
      wrote = true;
    }
    if (!wrote) writer.reset(undefined, schema);
    writer.finish();
  })().catch((e) => out.destroy(e as Error));
  return out;
}

/**
 * Debezium's schema envelope (the JSON converter with `schemas.enable=true`): how each column of a change event is
 * encoded, from its field schema's logical type (`name`) and `parameters`. The decode SQL (decode-sql.ts) needs this
 * for what JSON alone cannot say: a DECIMAL sent as base64 bytes with the schema's scale, a timestamp in micro- or
 * nanoseconds, a time of day in micro- or nanoseconds. Everything else decodes the same with or without a schema.
 *
 * A batch has few distinct schemas (one per table version), so each is read once here, not per message.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { sqlIdent, sqlString } from '../../lake/sql-quote.js';
import type { SourceDecl } from './source-file.js';

/** How a column is encoded; undefined: as JSON says (numbers, strings, booleans, base64 bytes). */
export type Conversion = 'decimal_b64' | 'vsdecimal' | 'ts_us' | 'ts_ns' | 'time_us' | 'time_ns';

interface FieldSchema {
  field?: string;
  type?: string;
  name?: string;
  parameters?: Record<string, string>;
  fields?: FieldSchema[];
}

const LOGICAL: Record<string, Conversion> = {
  'org.apache.kafka.connect.data.Decimal': 'decimal_b64',
  'io.debezium.data.VariableScaleDecimal': 'vsdecimal',
  'io.debezium.time.MicroTimestamp': 'ts_us',
  'io.debezium.time.NanoTimestamp': 'ts_ns',
  'io.debezium.time.MicroTime': 'time_us',
  'io.debezium.time.NanoTime': 'time_ns',
};

/** Per column name: its conversion and scale, read from an envelope schema (the `after` or `before` struct). */
export function columnConversions(schema: unknown): Map<string, { conv: Conversion; scale: number | null }> {
  const out = new Map<string, { conv: Conversion; scale: number | null }>();
  const root = schema as FieldSchema;
  const row = root?.fields?.find((f) => f.field === 'after') ?? root?.fields?.find((f) => f.field === 'before');
  for (const f of row?.fields ?? []) {
    const conv = f.name ? LOGICAL[f.name] : undefined;
    if (!conv || !f.field) continue;
    const scale = f.parameters?.scale;
    out.set(f.field, { conv, scale: scale === undefined ? null : Number(scale) });
  }
  return out;
}

/**
 * Fills the TEMP table `name` (_schema_hash, _conv_0, _scale_0, … one pair per declared column) with the conversions
 * of every distinct schema the batch's messages of `s.topic` carry in `stg`.
 */
export async function loadConversions(conn: DuckDBConnection, s: SourceDecl, name: string): Promise<void> {
  const pairs = s.columns.map((_, i) => `_conv_${i} VARCHAR, _scale_${i} INTEGER`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdent(name)} (_schema_hash VARCHAR, ${pairs})`);
  const r = await conn.runAndReadAll(
    `SELECT md5((d->'$.schema')::VARCHAR) AS h, any_value((d->'$.schema')::VARCHAR) AS schema
     FROM (SELECT _v::JSON AS d FROM stg WHERE _topic = ${sqlString(s.topic)} AND _v IS NOT NULL AND _bad IS NULL AND json_valid(_v))
     WHERE json_type(d) = 'OBJECT' AND json_exists(d, '$.payload') AND json_exists(d, '$.schema')
     GROUP BY h`,
  );
  const rows = r.getRowsJS();
  if (rows.length === 0) return;
  const app = await conn.createAppender(name, 'main', 'temp');
  for (const [h, text] of rows) {
    let convs = new Map<string, { conv: Conversion; scale: number | null }>();
    try {
      convs = columnConversions(JSON.parse(String(text)));
    } catch {
      // an unreadable schema: the values decode as JSON says, and a wrong one is rejected by its column
    }
    app.appendVarchar(String(h));
    for (const c of s.columns) {
      const x = convs.get(c.name);
      if (x) app.appendVarchar(x.conv);
      else app.appendNull();
      if (x && x.scale !== null && Number.isFinite(x.scale)) app.appendInteger(x.scale);
      else app.appendNull();
    }
    app.endRow();
  }
  app.closeSync();
}

/**
 * The SQL that turns a batch's raw messages of one source (the TEMP table `stg`: _topic, _partition, _offset, Kafka
 * timestamp, key and value as text) into typed changes or rejections with their reasons (docs/tables.md, "Message
 * formats" and "Invalid messages"). DuckDB parses the JSON (each document once, every column in one
 * `json_extract` call) and casts each value through its text to the declared type, so a BIGINT of 2^63−1 or a
 * DECIMAL(38,10) stays exact: no value passes through a JavaScript double.
 *
 * Output columns: the declared columns (typed; for a delete only the key columns are set), `_kind` (`upsert`,
 * `delete` or `reject`), `_src_op` (Debezium's op, null for plain), `_reason`, `_lsn`, `_ts`, and the message's
 * `_partition`, `_offset`, and for a rejection only `_k`, `_v` (the dead-letter path; an accepted message's raw text is
 * not copied again). Every internal column starts with `_`, which
 * declared column names may not.
 *
 * Debezium values under a schema envelope are decoded by their logical types: the batch's distinct schemas are
 * read in JavaScript (debezium-schema.ts) into the TEMP table `dbz_conv(_schema_hash, col, conv, scale)`, which this
 * SQL joins by the hash of each message's schema.
 */
import { sqlIdent, sqlString } from '../../lake/sql-quote.js';
import type { ColumnDecl, SourceDecl } from './source-file.js';

/** How many partitions `_lsn` makes room for: `_lsn = _offset × LSN_PARTITIONS + _partition`. */
export const LSN_PARTITIONS = 4096;

const q = sqlIdent;

/** A JSON path of one member: `$."name"`. */
function path(name: string): string {
  return sqlString(`$."${name.replaceAll('"', '\\"')}"`);
}

/** Base type of a DuckDB type text (`DECIMAL(12,2)` → DECIMAL, `VARCHAR[]` → LIST). */
export function baseType(type: string): string {
  if (/\[\d*\]$/.test(type)) return 'LIST';
  const m = /^([A-Z ]+?)\s*(\(|$)/.exec(type.toUpperCase());
  return m ? m[1].trim() : type.toUpperCase();
}

const NUMERIC = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
  'DECIMAL',
  'FLOAT',
  'DOUBLE',
]);
const NESTED = new Set(['LIST', 'STRUCT', 'MAP', 'UNION']);

/** Whether a column is read from the document as raw JSON (JSON and nested types) rather than as text. */
function asJson(c: ColumnDecl): boolean {
  const base = baseType(c.type);
  return base === 'JSON' || NESTED.has(base);
}

/**
 * The typed value of one column from its text `s` (strings unquoted, numbers and booleans as written, objects and
 * arrays as JSON; NULL when absent or null) or, for JSON and nested columns, its JSON value `s`. `raw` is an
 * expression of the value as JSON, evaluated only where a text alone cannot tell (an object in a VARCHAR column).
 * `conv`/`scale` are the Debezium logical-type conversion (NULL without a schema envelope).
 */
function typedValue(c: ColumnDecl, s: string, raw: string, conv: string, scale: string): string {
  const t = c.type;
  const base = baseType(t);
  const digits = `regexp_full_match(${s}, '-?[0-9]+')`;
  const dbzTime = (ms: string) =>
    conv === 'NULL'
      ? ms
      : `CASE ${conv} WHEN 'ts_us' THEN make_timestamp(TRY_CAST(${s} AS BIGINT)) WHEN 'ts_ns' THEN make_timestamp(TRY_CAST(${s} AS BIGINT) // 1000) ELSE ${ms} END`;
  switch (true) {
    case base === 'VARCHAR':
      // a text that looks like an object or array is one when the document says so: refused, not stringified
      return `CASE WHEN left(${s}, 1) IN ('{', '[') AND json_type(${raw}) IN ('OBJECT', 'ARRAY') THEN NULL ELSE ${s} END`;
    case (base === 'DECIMAL' || base === 'HUGEINT' || base === 'UHUGEINT' || base === 'BIGINT') && conv !== 'NULL':
      return `CASE WHEN ${conv} = 'decimal_b64' THEN TRY_CAST(tl_unscaled_text(${s}, ${scale}) AS ${t})
        WHEN ${conv} = 'vsdecimal' THEN TRY_CAST(tl_unscaled_text(${raw}->>'$.value', TRY_CAST(${raw}->>'$.scale' AS INTEGER)) AS ${t})
        ELSE TRY_CAST(${s} AS ${t}) END`;
    case NUMERIC.has(base):
      return `TRY_CAST(${s} AS ${t})`;
    case base === 'BOOLEAN':
      return `CASE WHEN ${s} IN ('true', '1') THEN true WHEN ${s} IN ('false', '0') THEN false END`;
    case base === 'DATE':
      // a date text, or a whole number of days since 1970-01-01 (Debezium's io.debezium.time.Date)
      return `CASE WHEN ${digits} THEN DATE '1970-01-01' + TRY_CAST(${s} AS INTEGER) ELSE TRY_CAST(${s} AS DATE) END`;
    case base === 'TIMESTAMP' || base === 'TIMESTAMP_MS' || base === 'TIMESTAMP_NS' || base === 'TIMESTAMP_S':
      // epoch milliseconds; or a text, whose zone (Z, +02:00) is converted to UTC: a cast to TIMESTAMP alone would
      // drop the offset
      return `CAST(CASE WHEN ${digits} THEN ${dbzTime(`epoch_ms(TRY_CAST(${s} AS BIGINT))`)}
        WHEN regexp_matches(${s}, '(Z|z|[+-][0-9][0-9](:?[0-9][0-9])?)$') THEN timezone('UTC', TRY_CAST(${s} AS TIMESTAMPTZ))
        ELSE TRY_CAST(${s} AS TIMESTAMP) END AS ${t})`;
    case base === 'TIMESTAMP WITH TIME ZONE':
      return `CASE WHEN ${digits} THEN CAST(${dbzTime(`epoch_ms(TRY_CAST(${s} AS BIGINT))`)} AS TIMESTAMPTZ)
        ELSE TRY_CAST(${s} AS TIMESTAMPTZ) END`;
    case base === 'TIME':
      return `CASE WHEN ${digits} THEN TIME '00:00:00' + to_microseconds(TRY_CAST(${s} AS BIGINT) * CASE ${conv} WHEN 'time_us' THEN 1 WHEN 'time_ns' THEN 0.001 ELSE 1000 END)
        ELSE TRY_CAST(${s} AS TIME) END`;
    case base === 'JSON':
      // Debezium's io.debezium.data.Json is a string holding JSON: taken as that JSON
      return `CASE WHEN json_type(${s}) = 'VARCHAR' AND json_type(TRY_CAST(${s}->>'$' AS JSON)) IN ('OBJECT', 'ARRAY')
        THEN TRY_CAST(${s}->>'$' AS JSON) ELSE ${s} END`;
    case base === 'BLOB':
      return `TRY(from_base64(${s}))`;
    case NESTED.has(base):
      return `TRY_CAST(${s} AS ${t})`;
    default:
      return `TRY_CAST(${s} AS ${t})`;
  }
}

/** `json_transform`'s structure for a table's columns: each as VARCHAR (its text) or JSON. */
function structure(cols: readonly ColumnDecl[]): string {
  return sqlString(JSON.stringify(Object.fromEntries(cols.map((c) => [c.name, asJson(c) ? 'JSON' : 'VARCHAR']))));
}

/** Macros the decode SQL uses (created once per connection). */
export const DECODE_MACROS = [
  // the value of a big-endian two's-complement integer given as base64 (Kafka Connect's Decimal), as HUGEINT
  `CREATE OR REPLACE TEMP MACRO tl_hex_int(x) AS CASE WHEN x = '' THEN 0::HUGEINT
     WHEN instr('01234567', left(x, 1)) > 0
       THEN list_reduce(list_transform(string_split(x, ''), d -> (instr('0123456789ABCDEF', d) - 1)::HUGEINT), (a, v) -> a * 16 + v)
     ELSE -1 - list_reduce(list_transform(string_split(x, ''), d -> (16 - instr('0123456789ABCDEF', d))::HUGEINT), (a, v) -> a * 16 + v)
   END`,
  // at least s + 1 digits (lpad alone would also cut longer ones)
  `CREATE OR REPLACE TEMP MACRO tl_digits(v, s) AS CASE WHEN length(abs(v)::VARCHAR) > s THEN abs(v)::VARCHAR
     ELSE lpad(abs(v)::VARCHAR, s + 1, '0') END`,
  // an integer scaled down by 10^s, as exact decimal text
  `CREATE OR REPLACE TEMP MACRO tl_scaled(v, s) AS CASE WHEN v IS NULL THEN NULL WHEN coalesce(s, 0) = 0 THEN v::VARCHAR
     ELSE (CASE WHEN v < 0 THEN '-' ELSE '' END) || left(tl_digits(v, s), length(tl_digits(v, s)) - s) || '.' || right(tl_digits(v, s), s) END`,
  `CREATE OR REPLACE TEMP MACRO tl_unscaled_text(b, s) AS tl_scaled(TRY(tl_hex_int(hex(from_base64(b)))), s)`,
];

/** The `SELECT` turning the topic's rows of `stg` into changes; `$topic` is bound. */
export function decodeSql(s: SourceDecl, opts: { dbzConv?: string } = {}): string {
  const cols = s.columns;
  const keyed = s.key.length > 0;
  const names = cols.map((c) => c.name);
  const declared = `[${names.map(sqlString).join(', ')}]`;
  const debezium = s.format === 'debezium';
  // 1. the envelope: what each message asks for, and the documents holding the row and the key
  const envelope = debezium
    ? `SELECT m.*,
         CASE WHEN json_type(_doc) = 'OBJECT' AND json_exists(_doc, '$.payload') AND json_exists(_doc, '$.schema')
           THEN _doc->'$.payload' ELSE _doc END AS _ev,
         CASE WHEN json_type(_doc) = 'OBJECT' AND json_exists(_doc, '$.payload') AND json_exists(_doc, '$.schema')
           THEN md5((_doc->'$.schema')::VARCHAR) END AS _schema_hash,
         CASE WHEN json_type(_kdoc) = 'OBJECT' AND json_exists(_kdoc, '$.payload') AND json_exists(_kdoc, '$.schema')
           THEN _kdoc->'$.payload' ELSE _kdoc END AS _kev
       FROM m`
    : 'SELECT m.*, _doc AS _ev, NULL::VARCHAR AS _schema_hash, _kdoc AS _kev FROM m';
  const withKeyType = `SELECT e0.*, json_type(_kev) AS _kev_type FROM (${envelope}) e0`;
  const ask = debezium
    ? `SELECT e.*, _ev->>'$.op' AS _src_op,
         CASE WHEN _v IS NULL THEN 'delete'
           WHEN (_ev->>'$.op') IN ('c', 'u', 'r') THEN 'upsert'
           WHEN (_ev->>'$.op') = 'd' THEN 'delete' END AS _want,
         CASE WHEN _v IS NULL THEN NULL
           WHEN (_ev->>'$.op') IN ('c', 'u', 'r') THEN _ev->'$.after'
           WHEN (_ev->>'$.op') = 'd' THEN _ev->'$.before' END AS _row,
         CASE WHEN _v IS NULL OR json_type(_ev) IS DISTINCT FROM 'OBJECT' THEN NULL
           WHEN json_type(_ev->'$.op') IS NULL THEN 'the change event has no op'
           WHEN (_ev->>'$.op') = 't' THEN 'op "t" (truncate) is not supported: delete the rows or take a new snapshot'
           WHEN (_ev->>'$.op') NOT IN ('c', 'u', 'd', 'r') THEN 'op "' || (_ev->>'$.op') || '" is not one of c, u, d, r'
           WHEN (_ev->>'$.op') IN ('c', 'u', 'r') AND json_type(_ev->'$.after') IS DISTINCT FROM 'OBJECT'
             THEN 'op ' || (_ev->>'$.op') || ' without an "after" row'
           WHEN (_ev->>'$.op') = 'd' AND json_type(_ev->'$.before') IS DISTINCT FROM 'OBJECT' AND _kev IS NULL
             THEN 'op d without a "before" row or a key' END AS _r_event,
         coalesce(TRY_CAST(_ev->>'$.source.ts_ms' AS BIGINT), TRY_CAST(_ev->>'$.ts_ms' AS BIGINT), _kts) AS _ts_ms
       FROM e`
    : `SELECT e.*, NULL::VARCHAR AS _src_op, CASE WHEN _v IS NULL THEN 'delete' ELSE 'upsert' END AS _want,
         _ev AS _row, NULL::VARCHAR AS _r_event, _kts AS _ts_ms FROM e`;
  // 2. every declared column from the row, every key column from the message key, in one extract each
  const conv = opts.dbzConv !== undefined && debezium;
  const convCols = conv ? cols.map((_c, i) => `, cv._conv_${i}, cv._scale_${i}`).join('') : '';
  const convJoin = conv ? `LEFT JOIN ${q(opts.dbzConv as string)} cv USING (_schema_hash)` : '';
  // one parse of the row into the declared columns' texts (json_transform), the key columns likewise
  const field = (i: number) => `struct_extract(_tr, ${sqlString(names[i])})`;
  const rawAt = (i: number) => `json_extract(_row, ${path(names[i])})`;
  const keyCols = s.key.map((k) => cols.find((x) => x.name === k) as ColumnDecl);
  const extract = `SELECT a.*, json_transform(_row, ${structure(cols)}) AS _tr,
      ${keyed ? `CASE WHEN _kev_type = 'OBJECT' THEN json_transform(_kev, ${structure(keyCols.map((c) => ({ ...c, type: 'VARCHAR' })))}) END` : 'NULL'} AS _ktr,
      json_type(_row) AS _row_type,
      ${s.undeclared === 'ignore' ? 'NULL' : `CASE WHEN json_type(_row) = 'OBJECT' THEN list_filter(json_keys(_row), x -> NOT list_contains(${declared}, x))[1] END`} AS _extra
      ${convCols}
    FROM a ${convJoin}`;
  const typed = cols
    .map((c, i) => {
      const [cv, sc] = conv ? [`_conv_${i}`, `_scale_${i}`] : ['NULL', 'NULL'];
      return `${typedValue(c, field(i), rawAt(i), cv, sc)} AS ${q(c.name)}`;
    })
    .join(',\n      ');
  // a single-column key may come as its bare value; a JSON object names the key columns
  const keyTyped = keyCols
    .map((c) => {
      const fromObject = typedValue(c, `struct_extract(_ktr, ${sqlString(c.name)})`, 'NULL', 'NULL', 'NULL');
      const single = s.key.length === 1 ? `WHEN _k IS NOT NULL THEN TRY_CAST(_kbare AS ${c.type})` : '';
      return `CASE WHEN _kev_type = 'OBJECT' THEN ${fromObject} ${single} END AS ${q(`_k_${c.name}`)}`;
    })
    .join(',\n      ');
  // 3. reasons, the first that applies
  const colReasons = cols.map((c, i) => {
    const raw = `left(${rawAt(i)}::VARCHAR, 80)`;
    const isKey = s.key.includes(c.name);
    const parts = [
      `WHEN ${field(i)} IS NOT NULL AND ${q(c.name)} IS NULL THEN 'column ${c.name}: ' || ${raw} || ' is not a ${c.type}'`,
    ];
    if (isKey) parts.push(`WHEN ${q(c.name)} IS NULL THEN 'primary key column ${c.name} is missing'`);
    else if (c.notNull)
      parts.push(`WHEN _want = 'upsert' AND ${q(c.name)} IS NULL THEN 'column ${c.name} is NOT NULL'`);
    return `CASE ${parts.join(' ')} END`;
  });
  const keyMismatch = keyed
    ? `CASE WHEN _kev IS NOT NULL AND (${s.key.map((k) => `${q(`_k_${k}`)} IS DISTINCT FROM ${q(k)}`).join(' OR ')})
         THEN 'the message key ' || left(_k, 80) || ' is not the row''s key ' || left(to_json(struct_pack(${s.key.map((k) => `${q(k)} := ${q(k)}`).join(', ')}))::VARCHAR, 80) END`
    : 'NULL';
  const rowReasons = `coalesce(${[
    `CASE WHEN _row_type IS DISTINCT FROM 'OBJECT' THEN 'the row is not a JSON object' END`,
    `CASE WHEN _extra IS NOT NULL THEN 'column ' || _extra || ' is not declared in ' || ${sqlString(s.file)} END`,
    ...colReasons,
    keyMismatch,
  ].join(',\n        ')})`;
  // a delete: the key from the row (Debezium's before) when there is one, else from the message key
  const deleteKeyReason = keyed
    ? `CASE WHEN _kev IS NULL AND _row IS NULL THEN 'a null value (delete) needs a key'
         WHEN ${s.key.map((k) => `${q(`_dk_${k}`)} IS NULL`).join(' OR ')}
           THEN 'the delete names no key (${s.key.join(', ')}): message key ' || left(coalesce(_k, 'null'), 80) END`
    : `'a stream has no key to delete'`;
  const finalCols = cols
    .map((c) => {
      if (!keyed) return q(c.name);
      if (s.key.includes(c.name)) {
        return `CASE WHEN _kind = 'delete' THEN ${q(`_dk_${c.name}`)} ELSE ${q(c.name)} END AS ${q(c.name)}`;
      }
      return `CASE WHEN _kind = 'upsert' THEN ${q(c.name)} END AS ${q(c.name)}`;
    })
    .join(', ');
  return `
WITH m0 AS (
  SELECT _partition, _offset, _kts, _k, _v, _bad,
    CASE WHEN _bad IS NULL THEN TRY_CAST(_v AS JSON) END AS _doc, TRY_CAST(_k AS JSON) AS _kj
  FROM stg WHERE _topic = $topic
),
m AS (
  SELECT m0.* EXCLUDE (_kj), CASE WHEN json_type(_kj) = 'OBJECT' THEN _kj WHEN _k IS NOT NULL THEN to_json(_k) END AS _kdoc,
    json_type(_doc) AS _doc_type, json_type(_kj) AS _kj_type,
    CASE WHEN json_type(_kj) NOT IN ('OBJECT', 'ARRAY') THEN _kj->>'$' ELSE _k END AS _kbare
  FROM m0
),
e AS (${withKeyType}),
a AS (${ask}),
x AS (${extract}),
t0 AS (
  SELECT x.*,
      ${typed}${keyTyped ? `,\n      ${keyTyped}` : ''}
  FROM x
),
t AS (SELECT t0.*${s.key.map((k) => `, coalesce(${q(k)}, ${q(`_k_${k}`)}) AS ${q(`_dk_${k}`)}`).join('')} FROM t0),
r AS (
  SELECT t.*, coalesce(
    _bad,
    CASE WHEN _v IS NOT NULL AND _doc IS NULL THEN 'value is not JSON: ' || left(_v, 80) END,
    CASE WHEN _v IS NOT NULL AND _doc_type <> 'OBJECT' THEN 'value is not a JSON object: ' || left(_v, 80) END,
    _r_event,
    CASE WHEN _want = 'upsert' THEN ${rowReasons} WHEN _want = 'delete' THEN ${deleteKeyReason} END
  ) AS _reason FROM t
)
SELECT ${finalCols},
  CASE WHEN _reason IS NOT NULL THEN 'reject' ELSE _want END AS _kind,
  _src_op, _reason,
  _offset * ${LSN_PARTITIONS} + _partition AS _lsn,
  epoch_ms(coalesce(_ts_ms, 0)) AS _ts,
  _partition, _offset,
  CASE WHEN _reason IS NOT NULL THEN _k END AS _k, CASE WHEN _reason IS NOT NULL THEN _v END AS _v
FROM (SELECT r.*, CASE WHEN _reason IS NOT NULL THEN 'reject' ELSE _want END AS _kind FROM r)
ORDER BY _partition, _offset`;
}

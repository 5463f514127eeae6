/**
 * Debezium change events (MySQL connector layout, JSON converter): key = the primary key, value = the envelope
 * {before, after, source, op, ts_ms, ts_us, ts_ns, transaction}, with or without the {schema, payload} wrapper of
 * schemas.enable. A delete is followed by a tombstone (null value, same key) so compacted topics forget the key.
 * docs/cdc.md shows an example of each.
 */
import type { BinlogPosition } from './binlog-position.js';
import { type ConnectField, connectField, connectValue } from './debezium-values.js';
import { RawNumber, toJson } from './raw-json.js';
import type { TableSchema } from './table-schema.js';

export const CONNECTOR_VERSION = 'ticklake-0.1.0';

export interface EventContext {
  /** topic.prefix, also source.name */
  prefix: string;
  schemas: boolean;
  /** 'mysql' or 'mariadb' (Debezium's connector names) */
  connector: string;
  serverId: number;
}

export interface SourceInfo {
  tsMs: number;
  /** 'true' | 'last' | 'false' */
  snapshot: string;
  position: BinlogPosition;
  row: number;
  gtid?: string;
}

export interface EncodedMessage {
  topic: string;
  key: string | null;
  value: string | null;
  /** Identity of the change (binlog file:pos:row, or snapshot) for duplicate detection after a crash. */
  id: string;
}

const SOURCE_FIELDS: ConnectField[] = [
  { type: 'string', optional: false, field: 'version' },
  { type: 'string', optional: false, field: 'connector' },
  { type: 'string', optional: false, field: 'name' },
  { type: 'int64', optional: false, field: 'ts_ms' },
  {
    type: 'string',
    optional: true,
    name: 'io.debezium.data.Enum',
    version: 1,
    parameters: { allowed: 'true,last,false,incremental' },
    field: 'snapshot',
  },
  { type: 'string', optional: false, field: 'db' },
  { type: 'string', optional: true, field: 'sequence' },
  { type: 'string', optional: true, field: 'table' },
  { type: 'int64', optional: false, field: 'server_id' },
  { type: 'string', optional: true, field: 'gtid' },
  { type: 'string', optional: false, field: 'file' },
  { type: 'int64', optional: false, field: 'pos' },
  { type: 'int32', optional: false, field: 'row' },
  { type: 'int64', optional: true, field: 'thread' },
  { type: 'string', optional: true, field: 'query' },
];

export function topicOf(prefix: string, db: string, table: string): string {
  return `${prefix}.${db}.${table}`;
}

/** Schema texts per table layout, built once per layout. */
const schemaCache = new Map<string, { key: string; value: string }>();

function schemasFor(ctx: EventContext, t: TableSchema): { key: string; value: string } {
  const sig = JSON.stringify([ctx.prefix, ctx.connector, t]);
  let s = schemaCache.get(sig);
  if (s) return s;
  const base = `${ctx.prefix}.${t.db}.${t.table}`;
  const fields = t.columns.map((c) => connectField(c, true));
  const keyFields = t.key.map((k) => ({
    ...connectField(t.columns.find((c) => c.name === k) as never, true),
    optional: false,
  }));
  const row = (field: string) => ({ type: 'struct', fields, optional: true, name: `${base}.Value`, field });
  const value = {
    type: 'struct',
    fields: [
      row('before'),
      row('after'),
      {
        type: 'struct',
        fields: SOURCE_FIELDS,
        optional: false,
        name: `io.debezium.connector.${ctx.connector}.Source`,
        field: 'source',
      },
      {
        type: 'struct',
        fields: [
          { type: 'string', optional: false, field: 'id' },
          { type: 'int64', optional: false, field: 'total_order' },
          { type: 'int64', optional: false, field: 'data_collection_order' },
        ],
        optional: true,
        name: 'event.block',
        version: 1,
        field: 'transaction',
      },
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
      { type: 'int64', optional: true, field: 'ts_us' },
      { type: 'int64', optional: true, field: 'ts_ns' },
    ],
    optional: false,
    name: `${base}.Envelope`,
    version: 2,
  };
  const key = { type: 'struct', fields: keyFields, optional: false, name: `${base}.Key` };
  s = { key: JSON.stringify(key), value: JSON.stringify(value) };
  if (schemaCache.size > 1000) schemaCache.clear();
  schemaCache.set(sig, s);
  return s;
}

function rowPayload(ctx: EventContext, t: TableSchema, row: Record<string, unknown> | undefined) {
  if (!row) return null;
  const out: Record<string, unknown> = {};
  for (const c of t.columns) out[c.name] = connectValue(c, row[c.name], ctx.schemas);
  return out;
}

/** The key payload of a row (null for a table without primary key). */
export function keyPayload(
  ctx: EventContext,
  t: TableSchema,
  row: Record<string, unknown>,
): Record<string, unknown> | null {
  if (t.key.length === 0) return null;
  const out: Record<string, unknown> = {};
  for (const k of t.key) {
    const c = t.columns.find((x) => x.name === k);
    if (c) out[k] = connectValue(c, row[k], ctx.schemas);
  }
  return out;
}

function wrap(ctx: EventContext, schemaText: string, payload: unknown): string {
  return ctx.schemas ? `{"schema":${schemaText},"payload":${toJson(payload)}}` : toJson(payload);
}

/**
 * The messages of one row change: the event, and after a delete its tombstone. `op` 'r' is a snapshot read.
 */
export function encodeChange(
  ctx: EventContext,
  t: TableSchema,
  op: 'c' | 'u' | 'd' | 'r',
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
  src: SourceInfo,
  id: string,
  nowMs = Date.now(),
): EncodedMessage[] {
  const s = schemasFor(ctx, t);
  const topic = topicOf(ctx.prefix, t.db, t.table);
  const keyRow = (op === 'd' ? before : after) ?? {};
  const kp = keyPayload(ctx, t, keyRow);
  const key = kp === null ? null : wrap(ctx, s.key, kp);
  const source = {
    version: CONNECTOR_VERSION,
    connector: ctx.connector,
    name: ctx.prefix,
    ts_ms: new RawNumber(String(src.tsMs)),
    snapshot: src.snapshot,
    db: t.db,
    sequence: null,
    table: t.table,
    server_id: new RawNumber(String(ctx.serverId)),
    gtid: src.gtid ?? null,
    file: src.position.file,
    pos: new RawNumber(String(src.position.pos)),
    row: src.row,
    thread: null,
    query: null,
  };
  const payload = {
    before: rowPayload(ctx, t, before),
    after: rowPayload(ctx, t, after),
    source,
    transaction: null,
    op,
    ts_ms: new RawNumber(String(nowMs)),
    ts_us: new RawNumber(`${nowMs}000`),
    ts_ns: new RawNumber(`${nowMs}000000`),
  };
  const out: EncodedMessage[] = [{ topic, key, value: wrap(ctx, s.value, payload), id }];
  if (op === 'd' && key !== null) out.push({ topic, key, value: null, id: `${id}:t` });
  return out;
}

/** A tombstone for a key (a snapshot's delete of a row that vanished while the binlog was not read). */
export function encodeTombstone(ctx: EventContext, t: TableSchema, key: string, id: string): EncodedMessage {
  return { topic: topicOf(ctx.prefix, t.db, t.table), key, value: null, id };
}

/**
 * The decode SQL on hand-written messages: every value type exact (compared with values written by hand, not read
 * back from the code), the plain and Debezium formats (with and without the schema envelope, a base64 decimal and
 * micro-timestamps as Debezium's documentation shows them), and a reason naming the field for every invalid case.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConversions } from '../debezium-schema.js';
import { DECODE_MACROS, decodeSql } from '../decode-sql.js';
import { parseSourceFile, type SourceDecl } from '../source-file.js';
import { type RawMessage, stageMessages } from '../stage.js';

let conn: DuckDBConnection;
let plain: SourceDecl;
let dbz: SourceDecl;
let stream: SourceDecl;

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run("SET TimeZone = 'America/New_York'"); // decoding must not depend on the session's zone
  for (const m of DECODE_MACROS) await conn.run(m);
  plain = await parseSourceFile(
    conn,
    'sql/sources/items.sql',
    'items',
    `-- title: Items
-- topic: items
-- format: plain
create table items (id varchar primary key, name varchar not null, big bigint, price decimal(38,10), qty double,
  ok boolean, day date, seen_at timestamp, doc json, raw blob, tags varchar[]);`,
  );
  dbz = await parseSourceFile(
    conn,
    'sql/sources/customers.sql',
    'customers',
    `-- title: Customers
-- topic: dbserver1.inventory.customers
-- format: debezium
create table customers (id integer primary key, first_name varchar, email varchar, balance decimal(10,2),
  updated timestamp);`,
  );
  stream = await parseSourceFile(
    conn,
    'sql/sources/clicks.sql',
    'clicks',
    `-- title: Clicks
-- topic: clicks
-- format: plain
create table clicks (page varchar, n integer);`,
  );
});
afterAll(() => conn.closeSync());

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
let offset = 0;
const msg = (topic: string, key: string | null, value: unknown, partition = 0): RawMessage => ({
  topic,
  partition,
  offset: offset++,
  timestamp: T0,
  key,
  value: value === null ? null : typeof value === 'string' ? value : JSON.stringify(value),
});

async function decode(s: SourceDecl, messages: RawMessage[], conv = false) {
  await stageMessages(conn, messages);
  if (conv) await loadConversions(conn, s, 'conv_t');
  const sql = decodeSql(s, conv ? { dbzConv: 'conv_t' } : {});
  // exact values compared as text: DECIMAL and BIGINT would pass through JavaScript numbers otherwise
  const asText = ['price', 'big', 'balance', 'doc'].filter((c) => s.columns.some((x) => x.name === c));
  const replace = asText.length ? ` REPLACE (${asText.map((c) => `CAST(${c} AS VARCHAR) AS ${c}`).join(', ')})` : '';
  const r = await conn.runAndReadAll(`SELECT * EXCLUDE (_k, _v)${replace} FROM (${sql})`, { topic: s.topic });
  return r.getRowObjectsJS();
}

describe('plain format', () => {
  it('decodes every type exactly and keeps the order of the partition', async () => {
    const rows = await decode(plain, [
      msg('items', 'A', {
        id: 'A',
        name: 'apple',
        big: 9223372036854775807n.toString(),
        price: '12345678901234567890123456.0123456789',
        qty: 1.5,
        ok: true,
        day: '2026-03-04',
        seen_at: '2026-01-01T10:00:00+02:00',
        doc: '{"a":[1,2]}',
        raw: 'AQID',
        tags: ['x', 'y'],
      }),
      // a bare JSON number of 2^63-1 and a zone-less timestamp text; day as days since 1970, at as epoch ms
      msg('items', '{"id":"B"}', '{"id":"B","name":"b","big":9223372036854775807,"day":1,"seen_at":86400000,"ok":0}'),
    ]);
    expect(rows.map((r) => r._kind)).toEqual(['upsert', 'upsert']);
    const [a, b] = rows;
    expect(a.big).toBe('9223372036854775807');
    expect(a.price).toBe('12345678901234567890123456.0123456789');
    expect(a.qty).toBe(1.5);
    expect(a.ok).toBe(true);
    expect((a.day as Date).toISOString().slice(0, 10)).toBe('2026-03-04');
    expect(new Date(a.seen_at as string).toISOString()).toBe('2026-01-01T08:00:00.000Z');
    expect(a.doc).toBe('{"a":[1,2]}');
    expect(a.tags).toEqual(['x', 'y']);
    expect(b.big).toBe('9223372036854775807');
    expect((b.day as Date).toISOString().slice(0, 10)).toBe('1970-01-02');
    expect(new Date(b.seen_at as string).toISOString()).toBe('1970-01-02T00:00:00.000Z');
    expect(b.ok).toBe(false);
    expect(new Date(a._ts as string).getTime()).toBe(T0);
    expect(Number(a._lsn)).toBe(Number(offset - 2) * 4096);
  });

  it('a tombstone deletes its key; a bare or JSON key both work', async () => {
    const rows = await decode(plain, [
      msg('items', 'A', null),
      msg('items', '{"id":"B"}', null),
      msg('items', '"C"', null),
    ]);
    expect(rows.map((r) => [r._kind, r.id, r.name])).toEqual([
      ['delete', 'A', null],
      ['delete', 'B', null],
      ['delete', 'C', null],
    ]);
  });

  it('rejects each invalid case with a reason that names the field', async () => {
    const rows = await decode(plain, [
      msg('items', 'X', '{not json'),
      msg('items', 'X', { id: 'X', name: 'x', price: 'abc' }),
      msg('items', null, { name: 'no key' }),
      msg('items', 'X', { id: 'X', name: 'x', colour: 'red' }),
      msg('items', 'X', { id: 'X' }),
      msg('items', null, null),
      msg('items', 'Y', { id: 'X', name: 'x' }),
      msg('items', 'X', [1, 2]),
      msg('items', 'X', { id: 'X', name: 'x', big: '1e400' }),
      msg('items', 'X', { id: 'X', name: { nested: true } }),
      { ...msg('items', 'X', null), value: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) },
    ]);
    expect(rows.map((r) => [r._kind, r._reason])).toEqual([
      ['reject', 'value is not JSON: {not json'],
      ['reject', 'column price: "abc" is not a DECIMAL(38,10)'],
      ['reject', 'primary key column id is missing'],
      ['reject', 'column colour is not declared in sql/sources/items.sql'],
      ['reject', 'column name is NOT NULL'],
      ['reject', 'a null value (delete) needs a key'],
      ['reject', 'the message key Y is not the row\'s key {"id":"X"}'],
      ['reject', 'value is not a JSON object: [1,2]'],
      ['reject', 'column big: "1e400" is not a BIGINT'],
      ['reject', 'column name: {"nested":true} is not a VARCHAR'],
      ['reject', 'the value is not valid UTF-8 (kept as base64)'],
    ]);
  });

  it('a stream appends every row and has no key to delete', async () => {
    const rows = await decode(stream, [msg('clicks', null, { page: '/', n: 1 }), msg('clicks', 'k', null)]);
    expect(rows.map((r) => [r._kind, r.page, r._reason])).toEqual([
      ['upsert', '/', null],
      ['reject', null, 'a stream has no key to delete'],
    ]);
  });
});

describe('debezium format', () => {
  // from Debezium's MySQL connector documentation (the customers example), without and with the schema envelope
  const after = { id: 1004, first_name: 'Anne', email: 'annek@noanswer.org' };
  const source = { version: '2.7', connector: 'mysql', name: 'dbserver1', ts_ms: 1465581029100, db: 'inventory' };

  it('c, u, r upsert after; d deletes before; a tombstone deletes the key; unknown ops are refused', async () => {
    const t = 'dbserver1.inventory.customers';
    const rows = await decode(dbz, [
      msg(t, '{"id":1004}', { before: null, after, source, op: 'c', ts_ms: 1465581029523 }),
      msg(t, '{"id":1004}', { before: after, after: { ...after, first_name: 'Anne Marie' }, source, op: 'u' }),
      msg(t, '{"id":1005}', {
        before: null,
        after: { ...after, id: 1005 },
        source: { ...source, snapshot: 'true' },
        op: 'r',
      }),
      msg(t, '{"id":1004}', { before: after, after: null, source, op: 'd' }),
      msg(t, '{"id":1004}', null),
      msg(t, '{"id":1006}', { before: null, after: null, source, op: 'x' }),
      msg(t, '{"id":1006}', { before: null, after: null, source, op: 't' }),
    ]);
    expect(rows.map((r) => [r._kind, r._src_op, r.id, r.first_name, r._reason])).toEqual([
      ['upsert', 'c', 1004, 'Anne', null],
      ['upsert', 'u', 1004, 'Anne Marie', null],
      ['upsert', 'r', 1005, 'Anne', null],
      ['delete', 'd', 1004, null, null],
      ['delete', null, 1004, null, null],
      ['reject', 'x', null, null, 'op "x" is not one of c, u, d, r'],
      ['reject', 't', null, null, 'op "t" (truncate) is not supported: delete the rows or take a new snapshot'],
    ]);
    expect(new Date(rows[0]._ts as string).getTime()).toBe(1465581029100); // source.ts_ms
  });

  it('with the schema envelope, a Decimal is decoded from base64 with its scale and MicroTimestamp from µs', async () => {
    const t = 'dbserver1.inventory.customers';
    const field = (f: string, type: string, extra: Record<string, unknown> = {}) => ({
      field: f,
      type,
      optional: true,
      ...extra,
    });
    const row = {
      type: 'struct',
      fields: [
        field('id', 'int32', { optional: false }),
        field('first_name', 'string'),
        field('email', 'string'),
        field('balance', 'bytes', {
          name: 'org.apache.kafka.connect.data.Decimal',
          parameters: { scale: '2', 'connect.decimal.precision': '10' },
        }),
        field('updated', 'int64', { name: 'io.debezium.time.MicroTimestamp' }),
      ],
    };
    const schema = {
      type: 'struct',
      name: 'dbserver1.inventory.customers.Envelope',
      fields: [
        { ...row, field: 'before' },
        { ...row, field: 'after' },
        { field: 'op', type: 'string' },
      ],
    };
    // 123456 = 0x01E240 → "AeJA"; −1 = 0xFF → "/w=="; updated = 2026-01-02T03:04:05.123456Z in µs
    const micros = Date.UTC(2026, 0, 2, 3, 4, 5, 123) * 1000 + 456;
    const key = { schema: { type: 'struct', fields: [field('id', 'int32')] }, payload: { id: 7 } };
    const rows = await decode(
      dbz,
      [
        msg(t, JSON.stringify(key), {
          schema,
          payload: { before: null, after: { ...after, id: 7, balance: 'AeJA', updated: micros }, op: 'c', source },
        }),
        msg(t, JSON.stringify(key), {
          schema,
          payload: { before: null, after: { ...after, id: 7, balance: '/w==' }, op: 'u', source },
        }),
        msg(t, JSON.stringify(key), {
          schema,
          payload: { before: null, after: { ...after, id: 7, balance: '%%%' }, op: 'u', source },
        }),
      ],
      true,
    );
    expect(rows.map((r) => [r._kind, r.balance])).toEqual([
      ['upsert', '1234.56'],
      ['upsert', '-0.01'],
      ['reject', null],
    ]);
    expect(rows[2]._reason).toBe('column balance: "%%%" is not a DECIMAL(10,2)');
    expect(new Date(rows[0].updated as string).toISOString()).toBe('2026-01-02T03:04:05.123Z');
  });
});

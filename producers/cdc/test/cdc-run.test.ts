/**
 * `runCdc` end to end against a real MariaDB (binlog on, server time zone +05:00) and the embedded broker, the
 * topics read back with kcat: snapshot then streaming, every type exact, a tombstone after each delete,
 * ALTER TABLE mid-stream, resume from the stored position with nothing repeated.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CdcEnv, cdcEnvAvailable, kcatRead, startCdcEnv } from '../../../test/helpers/cdc.js';
import { createDatabase, queryMysql } from '../../../test/helpers/mysql.js';
import { runCdc } from '../cdc-run.js';

/** Decodes a Kafka Connect Decimal (base64 two's complement, big endian) — written here, apart from the encoder. */
function decodeDecimal(b64: string, scale: number): string {
  const bytes = Buffer.from(b64, 'base64');
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length > 0 && bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const s = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${s}` : s;
}

let env: CdcEnv;
let url: string;

describe.skipIf(!cdcEnvAvailable())('ticklake cdc against MariaDB', () => {
  beforeAll(async () => {
    env = await startCdcEnv('cdc-run');
    url = await createDatabase(env.my.url, 'shop');
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('snapshots, then streams every op with exact values and resumes without repeats', async () => {
    // the server runs at +05:00; this session writes TIMESTAMPs at +02:00 on purpose
    await queryMysql(
      url,
      `CREATE TABLE items (
        id BIGINT PRIMARY KEY,
        price DECIMAL(30,10) NOT NULL,
        big BIGINT UNSIGNED,
        made DATETIME(6),
        seen TIMESTAMP(3) NULL,
        day DATE,
        doc JSON,
        size ENUM('s','m','l'),
        tags SET('a','b','c'),
        raw BLOB,
        note VARCHAR(20)
      )`,
    );
    await queryMysql(
      url,
      `INSERT INTO items VALUES
        (9007199254740993, -12345678901234567890.0123456789, 18446744073709551615, '2026-03-29 02:30:00.123456',
         NULL, '1999-12-31', '{"n": 12345678901234567890}', 'm', 'a,c', x'00ff10', NULL)`,
    );
    const offsetsDir = await mkdtemp(join(env.dir, 'offsets-'));
    const opts = {
      mysqlUrl: url,
      brokers: env.brokers,
      tables: [],
      snapshot: 'initial' as const,
      topicPrefix: 'bank',
      offsetsDir,
      serverId: 901,
      schemas: true,
      stopWhenIdleMs: 1500,
    };
    expect(await runCdc(opts)).toBe(0);

    const c = await mysql.createConnection(url);
    await c.query("SET time_zone = '+02:00'");
    await c.query("INSERT INTO items (id, price, seen, note) VALUES (2, 0.5, '2026-01-01 12:00:00.250', 'two')");
    await c.end();
    await queryMysql(url, "UPDATE items SET note = 'changed', price = 1.25 WHERE id = 2");
    await queryMysql(url, 'DELETE FROM items WHERE id = 9007199254740993');
    await queryMysql(url, 'ALTER TABLE items ADD COLUMN color VARCHAR(10) AFTER note');
    await queryMysql(url, "INSERT INTO items (id, price, color) VALUES (3, 3, 'red')");
    await queryMysql(url, 'ALTER TABLE items DROP COLUMN tags');
    await queryMysql(url, 'ALTER TABLE items RENAME COLUMN note TO remark');
    await queryMysql(url, "UPDATE items SET remark = 'renamed' WHERE id = 3");
    expect(await runCdc(opts)).toBe(0);
    // nothing new: a third run publishes nothing
    expect(await runCdc(opts)).toBe(0);

    const msgs = await kcatRead(env.brokers, 'bank.shop.items');
    const events = msgs.map((m) => ({ key: m.key, v: m.value === null ? null : JSON.parse(m.value) }));
    const byKey = (id: string) =>
      events
        .filter((e) => e.key?.includes(`"payload":{"id":${id}}`))
        .map((e) => (e.v === null ? 'tombstone' : e.v.payload.op));
    expect(byKey('9007199254740993')).toEqual(['r', 'd', 'tombstone']);
    expect(byKey('2')).toEqual(['c', 'u']);
    expect(byKey('3')).toEqual(['c', 'u']);
    expect(msgs).toHaveLength(7);

    const snap = events.find((e) => e.v?.payload.op === 'r')?.v;
    const fields = Object.fromEntries(
      (snap.schema.fields[1].fields as { field: string; name?: string; parameters?: Record<string, string> }[]).map(
        (f) => [f.field, f],
      ),
    );
    const a = snap.payload.after;
    expect(fields.price.name).toBe('org.apache.kafka.connect.data.Decimal');
    expect(decodeDecimal(a.price, Number(fields.price.parameters?.scale))).toBe('-12345678901234567890.0123456789');
    expect(decodeDecimal(a.big, 0)).toBe('18446744073709551615');
    // the id beyond 2^53 stays exact in the JSON text
    expect(msgs.find((m) => m.value?.includes('"op":"r"'))?.value).toContain('"id":9007199254740993');
    // DATETIME as stored (no zone): 2026-03-29 02:30:00.123456 as if UTC, in microseconds
    expect(fields.made.name).toBe('io.debezium.time.MicroTimestamp');
    expect(String(a.made)).toBe(String(Date.UTC(2026, 2, 29, 2, 30, 0) * 1000 + 123456));
    expect(a.day).toBe(Date.UTC(1999, 11, 31) / 86_400_000);
    expect(JSON.parse(a.doc)).toBeTruthy();
    expect(a.doc).toContain('12345678901234567890');
    expect(a.size).toBe('m');
    expect(a.tags).toBe('a,c');
    expect(Buffer.from(a.raw, 'base64').toString('hex')).toBe('00ff10');
    expect(a.note).toBeNull();
    expect(snap.payload.source).toMatchObject({
      connector: 'mariadb',
      name: 'bank',
      db: 'shop',
      table: 'items',
      snapshot: 'last',
    });

    const upd = events.find((e) => e.v?.payload.op === 'u')?.v.payload;
    expect(upd.before.note).toBe('two');
    expect(upd.after.note).toBe('changed');
    expect(upd.source.snapshot).toBe('false');
    expect(upd.source.file).toMatch(/^binlog\.\d+$/);
    expect(upd.source.gtid).toMatch(/^0-1-\d+$/);
    // 12:00:00.250 at +02:00 is 10:00:00.250 UTC, whatever the server's own zone (+05:00)
    expect(upd.after.seen).toBe('2026-01-01T10:00:00.250Z');
    const c3 = events.find((e) => e.key?.includes('"id":3'))?.v.payload;
    expect(c3.after.color).toBe('red');
    expect(c3.after.tags).toBeNull(); // written before DROP COLUMN: the column was still there
    // after DROP and RENAME COLUMN the event's schema and row follow the new layout
    const u3 = events.filter((e) => e.key?.includes('"id":3'))[1].v;
    expect(Object.keys(u3.payload.after)).toEqual([
      'id',
      'price',
      'big',
      'made',
      'seen',
      'day',
      'doc',
      'size',
      'raw',
      'remark',
      'color',
    ]);
    expect(u3.payload.before.remark).toBeNull();
    expect(u3.payload.after.remark).toBe('renamed');
    expect(u3.schema.fields[1].fields.map((f: { field: string }) => f.field)).toContain('remark');

    // --snapshot only: a snapshot reconciled with the topic, then exit. Row 3 was last published in the table's
    // current layout: not published again; row 2 was last published before DROP/RENAME COLUMN: published again
    // in the new layout
    expect(await runCdc({ ...opts, snapshot: 'only', offsetsDir: await mkdtemp(join(env.dir, 'only-')) })).toBe(0);
    const again = (await kcatRead(env.brokers, 'bank.shop.items')).filter(
      (m) => !msgs.some((x) => x.partition === m.partition && x.offset === m.offset),
    );
    expect(again.map((m) => [JSON.parse(m.key ?? 'null').payload, JSON.parse(m.value ?? 'null').payload.op])).toEqual([
      [{ id: 2 }, 'r'],
    ]);
    expect(JSON.parse(again[0].value ?? '').payload.after.remark).toBe('changed');
  }, 120_000);
});

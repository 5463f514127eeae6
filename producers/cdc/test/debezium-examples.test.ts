/**
 * ticklake's change events against Debezium's. The events below are written by hand in the format Debezium's MySQL
 * connector documents ("Data change events": key and value with the JSON converter's schema envelope, the
 * `io.debezium.connector.mysql.Source` block): its `inventory.customers` example (snapshot reads, the create of
 * 1004 Anne Kretchmar, the update to "Anne Marie", the delete and its tombstone) and a `products` table with a
 * DECIMAL(10,2) column in the default `decimal.handling.mode=precise` (bytes: the unscaled value in two's complement,
 * the scale in the schema). They are produced straight to `dbz.inventory.*`; the equivalent SQL statements run on
 * MariaDB and are captured by `ticklake cdc` into `tl.inventory.*`.
 *
 * 1. Both topics decode (with the test's own decoder) to the same changes per key.
 * 2. Both reach the same LAKE state: the keyed-table engine reads each pair of topics into its own lake, and the
 *    lake views `<table>` (latest row per key) and `<table>_changes` (every change with its op, in order) equal
 *    each other row by row with exact values, equal the rows written here by hand, and `<table>` equals MariaDB's
 *    table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeSession } from '../../../lake/session.js';
import { loadTableCatalog } from '../../../processors/tables/catalog.js';
import { deliveredTables } from '../../../processors/tables/lake-tables.js';
import { startTablesProcessor } from '../../../processors/tables/processor.js';
import { type CdcEnv, cdcEnvAvailable, type KcatMessage, kcatRead, startCdcEnv } from '../../../test/helpers/cdc.js';
import { decodeRow, foldTopic } from '../../../test/helpers/debezium-fold.js';
import { createDatabase, queryMysql } from '../../../test/helpers/mysql.js';
import { runCdc } from '../cdc-run.js';

// ---- Debezium's documented events, by hand ----------------------------------------------------------------------

type Row = Record<string, unknown>;
const field = (type: string, name: string, optional = false, extra: Row = {}) => ({
  type,
  optional,
  ...extra,
  field: name,
});
const CUSTOMER_FIELDS = [
  field('int32', 'id'),
  field('string', 'first_name'),
  field('string', 'last_name'),
  field('string', 'email'),
];
// DECIMAL(10,2), decimal.handling.mode=precise
const PRODUCT_FIELDS = [
  field('int32', 'id'),
  field('string', 'name'),
  field('bytes', 'price', false, {
    name: 'org.apache.kafka.connect.data.Decimal',
    version: 1,
    parameters: { scale: '2', 'connect.decimal.precision': '10' },
  }),
];
const SOURCE_FIELDS = [
  field('string', 'version'),
  field('string', 'connector'),
  field('string', 'name'),
  field('int64', 'ts_ms'),
  field('string', 'snapshot', true, {
    name: 'io.debezium.data.Enum',
    version: 1,
    parameters: { allowed: 'true,last,false,incremental' },
  }),
  field('string', 'db'),
  field('string', 'sequence', true),
  field('string', 'table', true),
  field('int64', 'server_id'),
  field('string', 'gtid', true),
  field('string', 'file'),
  field('int64', 'pos'),
  field('int32', 'row'),
  field('int64', 'thread', true),
  field('string', 'query', true),
];

function key(table: string, id: number): string {
  return JSON.stringify({
    schema: {
      type: 'struct',
      fields: [field('int32', 'id')],
      optional: false,
      name: `mysql-server-1.inventory.${table}.Key`,
    },
    payload: { id },
  });
}

let pos = 154;
/** A change event's value: the envelope schema, then before/after/source/op/ts_ms as the docs show them. */
function value(table: string, op: 'r' | 'c' | 'u' | 'd', before: Row | null, after: Row | null, snapshot = 'false') {
  const fields = table === 'customers' ? CUSTOMER_FIELDS : PRODUCT_FIELDS;
  const row = (f: string) => ({
    type: 'struct',
    fields,
    optional: true,
    name: `mysql-server-1.inventory.${table}.Value`,
    field: f,
  });
  pos += 200;
  return JSON.stringify({
    schema: {
      type: 'struct',
      fields: [
        row('before'),
        row('after'),
        {
          type: 'struct',
          fields: SOURCE_FIELDS,
          optional: false,
          name: 'io.debezium.connector.mysql.Source',
          field: 'source',
        },
        field('string', 'op'),
        field('int64', 'ts_ms', true),
      ],
      optional: false,
      name: `mysql-server-1.inventory.${table}.Envelope`,
    },
    payload: {
      before,
      after,
      source: {
        version: '2.5.0.Final',
        connector: 'mysql',
        name: 'mysql-server-1',
        ts_ms: op === 'r' ? 1465491411000 : 1465581029100,
        snapshot,
        db: 'inventory',
        sequence: null,
        table,
        server_id: op === 'r' ? 0 : 223344,
        gtid: null,
        file: 'mysql-bin.000003',
        pos: op === 'r' ? 154 : pos,
        row: 0,
        thread: op === 'r' ? null : 7,
        query: null,
      },
      op,
      ts_ms: 1465581029523,
    },
  });
}

const sally = { id: 1001, first_name: 'Sally', last_name: 'Thomas', email: 'sally.thomas@acme.com' };
const sally2 = { ...sally, email: 'sally@example.com' };
const george = { id: 1002, first_name: 'George', last_name: 'Bailey', email: 'gbailey@foobar.com' };
const anne = { id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' };
const anneMarie = { ...anne, first_name: 'Anne Marie' };
// prices: base64 of the unscaled value in big-endian two's complement (700 = 0x02bc, 1234 = 0x04d2, -50 = 0xce,
// 99999999 = 0x05f5e0ff)
const hammer = { id: 100, name: 'hammer', price: 'Arw=' }; // 7.00
const scooter = { id: 101, name: 'scooter', price: 'BNI=' }; // 12.34
const scooter2 = { ...scooter, price: 'BfXg/w==' }; // 999999.99
const battery = { id: 102, name: 'car battery', price: 'zg==' }; // -0.50

/** [table, key, value] in the order Debezium would write them; a null value is the tombstone after a delete. */
const DEBEZIUM_EVENTS: [string, number, string | null][] = [
  ['customers', 1001, value('customers', 'r', null, sally, 'true')],
  ['customers', 1002, value('customers', 'r', null, george, 'true')],
  ['products', 100, value('products', 'r', null, hammer, 'last')],
  ['customers', 1004, value('customers', 'c', null, anne)],
  ['customers', 1004, value('customers', 'u', anne, anneMarie)],
  ['customers', 1001, value('customers', 'u', sally, sally2)],
  ['customers', 1004, value('customers', 'd', anneMarie, null)],
  ['customers', 1004, null],
  ['customers', 1002, value('customers', 'd', george, null)],
  ['customers', 1002, null],
  ['products', 101, value('products', 'c', null, scooter)],
  ['products', 102, value('products', 'c', null, battery)],
  ['products', 101, value('products', 'u', scooter, scooter2)],
  ['products', 102, value('products', 'd', battery, null)],
  ['products', 102, null],
];

// ---- the same, as SQL on MariaDB --------------------------------------------------------------------------------

const BEFORE_SNAPSHOT = [
  'CREATE TABLE customers (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(255) NOT NULL, last_name VARCHAR(255) NOT NULL, email VARCHAR(255) NOT NULL UNIQUE KEY) AUTO_INCREMENT=1001',
  'CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(255) NOT NULL, price DECIMAL(10,2) NOT NULL)',
  "INSERT INTO customers VALUES (1001, 'Sally', 'Thomas', 'sally.thomas@acme.com'), (1002, 'George', 'Bailey', 'gbailey@foobar.com')",
  "INSERT INTO products VALUES (100, 'hammer', 7.00)",
];
const STREAMED = [
  "INSERT INTO customers VALUES (1004, 'Anne', 'Kretchmar', 'annek@noanswer.org')",
  "UPDATE customers SET first_name = 'Anne Marie' WHERE id = 1004",
  "UPDATE customers SET email = 'sally@example.com' WHERE id = 1001",
  'DELETE FROM customers WHERE id = 1004',
  'DELETE FROM customers WHERE id = 1002',
  "INSERT INTO products VALUES (101, 'scooter', 12.34)",
  "INSERT INTO products VALUES (102, 'car battery', -0.50)",
  'UPDATE products SET price = 999999.99 WHERE id = 101',
  'DELETE FROM products WHERE id = 102',
];

// ---- the lake's declarations (the same for both lakes but the topic) ---------------------------------------------

const SOURCES = (prefix: string): Record<string, string> => ({
  'customers.sql': `-- title: Customers
-- topic: ${prefix}.inventory.customers
-- format: debezium
-- mysql: off
create table customers (id integer primary key, first_name varchar not null, last_name varchar not null, email varchar not null);
`,
  'products.sql': `-- title: Products
-- topic: ${prefix}.inventory.products
-- format: debezium
-- mysql: off
create table products (id integer primary key, name varchar not null, price decimal(10,2) not null);
`,
});

/** The expected lake state, by hand: latest rows, and every change in order (key, sequence, op, values). */
const EXPECTED_ROWS = {
  customers: [['1001', 'Sally', 'Thomas', 'sally@example.com']],
  products: [
    ['100', 'hammer', '7.00'],
    ['101', 'scooter', '999999.99'],
  ],
};
const EXPECTED_CHANGES = {
  customers: [
    ['1001', '1', 'r', 'Sally', 'Thomas', 'sally.thomas@acme.com'],
    ['1001', '2', 'u', 'Sally', 'Thomas', 'sally@example.com'],
    ['1002', '1', 'r', 'George', 'Bailey', 'gbailey@foobar.com'],
    ['1002', '2', 'd', null, null, null],
    ['1004', '1', 'c', 'Anne', 'Kretchmar', 'annek@noanswer.org'],
    ['1004', '2', 'u', 'Anne Marie', 'Kretchmar', 'annek@noanswer.org'],
    ['1004', '3', 'd', null, null, null],
  ],
  products: [
    ['100', '1', 'r', 'hammer', '7.00'],
    ['101', '1', 'c', 'scooter', '12.34'],
    ['101', '2', 'u', 'scooter', '999999.99'],
    ['102', '1', 'c', 'car battery', '-0.50'],
    ['102', '2', 'd', null, null],
  ],
};
const COLUMNS = { customers: ['id', 'first_name', 'last_name', 'email'], products: ['id', 'name', 'price'] };

function changes(msgs: KcatMessage[]) {
  return msgs.map((m) => {
    const key = m.key === null ? null : JSON.parse(m.key).payload;
    if (m.value === null) return { key, op: 'tombstone' };
    const v = JSON.parse(m.value);
    const fields = v.schema.fields.find((f: { field: string }) => f.field === 'after').fields;
    const p = v.payload;
    return {
      key,
      op: p.op,
      before: p.before && decodeRow(p.before, fields),
      after: p.after && decodeRow(p.after, fields),
    };
  });
}

/** A key's changes are in order within its partition: compare them key by key. */
function perKey(msgs: KcatMessage[]) {
  const out: Record<string, unknown[]> = {};
  for (const c of changes(msgs)) {
    const k = JSON.stringify(c.key);
    out[k] = [...(out[k] ?? []), c];
  }
  return out;
}

/** Builds a lake from the `prefix.inventory.*` topics with the keyed-table engine; returns its views' rows as text. */
async function lakeFrom(prefix: string): Promise<Record<string, { rows: unknown[][]; changes: unknown[][] }>> {
  const base = join(env.dir, `lake-${prefix}`);
  const sqlDir = join(base, 'sql');
  await mkdir(join(sqlDir, 'sources'), { recursive: true });
  for (const [name, text] of Object.entries(SOURCES(prefix))) await writeFile(join(sqlDir, 'sources', name), text);
  const catalog = await loadTableCatalog([sqlDir], { bundled: false });
  expect(catalog.errors).toEqual([]);
  const proc = await startTablesProcessor({
    brokers: env.brokers,
    group: `lake-${prefix}`,
    lakeDir: join(base, 'lake'),
    stateDir: join(base, 'state'),
    catalog,
    untilIdle: true,
    foldEveryMs: 0,
  });
  if (!proc) throw new Error('no source declared');
  const stats = await proc.done;
  expect(stats.rejected, `${prefix}: rejected messages`).toBe(0);
  const session = await LakeSession.open({
    lakeDir: join(base, 'lake'),
    confined: false,
    tables: deliveredTables(catalog),
  });
  const c = await session.connect();
  try {
    const out: Record<string, { rows: unknown[][]; changes: unknown[][] }> = {};
    for (const [table, cols] of Object.entries(COLUMNS)) {
      const text = cols.map((col) => `cast(${col} as varchar)`).join(', ');
      out[table] = {
        rows: (await c.runAndReadAll(`select ${text} from ${table} order by id`)).getRowsJS(),
        changes: (
          await c.runAndReadAll(
            `select cast(id as varchar), cast(row_number() over (partition by id order by _lsn) as varchar), _op,
                    ${text.replace('cast(id as varchar), ', '')}
             from ${table}_changes order by id, _lsn`,
          )
        ).getRowsJS(),
      };
    }
    return out;
  } finally {
    c.closeSync();
    session.close();
  }
}

let env: CdcEnv;
let url: string;

describe.skipIf(!cdcEnvAvailable())("Debezium's documented events and ticklake cdc's", () => {
  beforeAll(async () => {
    env = await startCdcEnv('cdc-dbz');
    // Debezium's events, straight to the topics
    const kafka = new Kafka({ clientId: 'fixture', brokers: env.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    for (const [table, id, v] of DEBEZIUM_EVENTS) {
      await producer.send({ topic: `dbz.inventory.${table}`, acks: -1, messages: [{ key: key(table, id), value: v }] });
    }
    await producer.disconnect();
    // the same through MariaDB and ticklake cdc: a snapshot (op r), then streamed statements
    url = await createDatabase(env.my.url, 'inventory');
    for (const sql of BEFORE_SNAPSHOT) await queryMysql(url, sql);
    const cdc = () =>
      runCdc({
        mysqlUrl: url,
        brokers: env.brokers,
        tables: [],
        snapshot: 'initial',
        topicPrefix: 'tl',
        offsetsDir: join(env.dir, 'offsets'),
        serverId: 903,
        schemas: true,
        stopWhenIdleMs: 800,
      });
    await cdc();
    for (const sql of STREAMED) await queryMysql(url, sql);
    await cdc();
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  });

  it('decode to the same changes and rows', async () => {
    for (const table of ['customers', 'products']) {
      const theirs = await kcatRead(env.brokers, `dbz.inventory.${table}`);
      const ours = await kcatRead(env.brokers, `tl.inventory.${table}`);
      expect(perKey(ours), table).toEqual(perKey(theirs));
      // (the keys' bytes differ — their schema names the server — so they may land in other partitions)
      const folded = (msgs: KcatMessage[]) => [...foldTopic(msgs).rows].sort(([a], [b]) => a.localeCompare(b));
      expect(folded(ours), table).toEqual(folded(theirs));
    }
    const products = [...foldTopic(await kcatRead(env.brokers, 'tl.inventory.products')).rows.values()];
    expect(products.map((r) => r.price).sort()).toEqual(['7.00', '999999.99']);
  }, 60_000);

  it('reach the same lake state through the keyed-table engine', async () => {
    const theirs = await lakeFrom('dbz');
    const ours = await lakeFrom('tl');
    for (const table of ['customers', 'products'] as const) {
      // each lake against the hand-written state, so that two equally wrong lakes do not pass
      expect(theirs[table].rows, `Debezium's ${table}`).toEqual(EXPECTED_ROWS[table]);
      expect(theirs[table].changes, `Debezium's ${table}_changes`).toEqual(EXPECTED_CHANGES[table]);
      expect(ours[table].rows, `ticklake cdc's ${table}`).toEqual(theirs[table].rows);
      expect(ours[table].changes, `ticklake cdc's ${table}_changes`).toEqual(theirs[table].changes);
      // and the lake view against MariaDB's table, row by row
      const cols = COLUMNS[table];
      const my = await queryMysql<Record<string, unknown>>(url, `SELECT * FROM ${table} ORDER BY id`);
      expect(
        my.map((r) => cols.map((c) => String(r[c]))),
        `MariaDB ${table}`,
      ).toEqual(ours[table].rows);
    }
  }, 180_000);
});

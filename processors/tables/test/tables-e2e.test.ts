/**
 * Issue 13's first "done when", end to end with real components: a source and a derived table written into a
 * temporary --sql-dir; plain and Debezium messages (creates, updates, deletes, re-sent rows, tombstones, invalid
 * ones) produced with kcat (librdkafka) to the embedded broker; `ticklake process --until-idle` run twice (a
 * restart between the two halves of the stream). The lake views and the MySQL tables (read with a second client)
 * must equal the final state computed independently here, by replaying the same messages into a Map; `_as_of(t)`
 * the state at t; `_changes` each change once; every invalid message in `<topic>.dlq` (read with kafkajs) and in the
 * lake's `rejected`, with its reason.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import { LakeSession } from '../../../lake/session.js';
import { useBroker } from '../../../test/helpers/broker.js';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../../test/helpers/mysql.js';
import { requireTool } from '../../../test/helpers/tools.js';
import { declaredLakeTables } from '../lake-tables.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'cli', 'bin.js');
const kcat = requireTool('kcat');
const haveMysql = testMysqlAvailable();

const ITEMS = `-- title: Items
-- topic: e2e.items
-- format: plain
create table items (id varchar primary key, name varchar not null, qty bigint, price decimal(12,2));
`;
const ACCOUNTS = `-- title: Accounts
-- description: From a Debezium connector (no schema envelope).
-- topic: e2e.accounts
-- format: debezium
create table accounts (id bigint primary key, owner varchar, balance decimal(18,4), opened timestamp);
`;
const STOCK = `-- title: Stock value
-- key: id
-- partition_by: id
select id, name, qty * price as value from items where qty is not null
`;

type Row = Record<string, string | null>;

describe.skipIf(!kcat || !haveMysql)('keyed tables end to end: kcat → broker → ticklake process → lake + MySQL', () => {
  let broker: RunningBroker;
  let my: TestMysql;
  let mysqlUrl: string;
  let dir: string;
  /** Every message produced; `first` marks those of the first half (before the restart). */
  const produced: { topic: string; key: string | null; value: string | null; first?: boolean }[] = [];

  const embedded = useBroker('ticklake-tables-e2e');
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    for (const [rel, text] of Object.entries({
      'sql/sources/items.sql': ITEMS,
      'sql/sources/accounts.sql': ACCOUNTS,
      'sql/jobs/stock_value.sql': STOCK,
    })) {
      await mkdir(join(dir, rel, '..'), { recursive: true });
      await writeFile(join(dir, rel), text);
    }
    my = await startTestMysql();
    mysqlUrl = await createDatabase(my.url, 'tables_e2e');
  });
  afterAll(async () => {
    await my?.close();
  });

  /** Produces `key<US>value` lines with kcat; an empty value is a tombstone (-Z). Async: the broker runs here. */
  async function kcatProduce(topic: string, msgs: { key: string | null; value: string | null }[]) {
    const US = '\x1f';
    const input = `${msgs.map((m) => `${m.key ?? ''}${US}${m.value ?? ''}`).join('\n')}\n`;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(kcat as string, ['-b', broker.address, '-P', '-t', topic, '-K', US, '-Z']);
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`))));
      child.stdin.end(input);
    });
    for (const m of msgs) produced.push({ topic, ...m });
  }

  function processOnce(): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'process',
          '--brokers',
          broker.address,
          '--sql-dir',
          join(dir, 'sql'),
          '--sources',
          'items,accounts',
          '--lake-dir',
          join(dir, 'lake'),
          '--state-dir',
          join(dir, 'state'),
          '--mysql-url',
          mysqlUrl,
          '--until-idle',
          '--compact-every',
          '0',
        ],
        { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' } },
      );
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`process exited ${code}: ${err}`))));
    });
  }

  const item = (id: string, name: string, qty: number | null, price: string | null) =>
    JSON.stringify({ id, name, qty, price });
  const dbz = (op: string, before: object | null, after: object | null, tsMs: number) =>
    JSON.stringify({
      before,
      after,
      source: { connector: 'mysql', db: 'bank', table: 'accounts', ts_ms: tsMs },
      op,
      ts_ms: tsMs + 5,
    });
  const acct = (id: number | string, owner: string, balance: string, opened = '2026-01-01T00:00:00Z') => ({
    id,
    owner,
    balance,
    opened,
  });

  /** The expected state and change count of each source, replaying the messages in order (one partition each). */
  function replay(firstHalfOnly = false) {
    const items = new Map<string, Row>();
    const accounts = new Map<string, Row>();
    let itemChanges = 0;
    let accountChanges = 0;
    const same = (a: Row | undefined, b: Row) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);
    for (const m of produced.filter((x) => !firstHalfOnly || x.first)) {
      if (m.topic === 'e2e.items') {
        let v: { id: string; name: string; qty: number | null; price: string | null } | null = null;
        try {
          v = m.value === null ? null : JSON.parse(m.value);
        } catch {
          continue; // invalid: rejected
        }
        if (v === null) {
          if (items.delete(String(m.key))) itemChanges++;
          continue;
        }
        const declared = ['id', 'name', 'qty', 'price'];
        if (typeof v !== 'object' || !v.id || !v.name || (v.qty !== null && typeof v.qty !== 'number')) continue;
        if (Object.keys(v).some((k) => !declared.includes(k))) continue; // an undeclared column: rejected
        const row: Row = { id: v.id, name: v.name, qty: v.qty === null ? null : String(v.qty), price: v.price }; // written at the declared scale
        if (!same(items.get(v.id), row)) itemChanges++;
        items.set(v.id, row);
      } else {
        if (m.value === null) {
          if (accounts.delete(String(JSON.parse(String(m.key)).id))) accountChanges++;
          continue;
        }
        const e = JSON.parse(m.value);
        if (!['c', 'u', 'r', 'd'].includes(e.op)) continue;
        if (e.op === 'd') {
          if (accounts.delete(String(e.before.id))) accountChanges++;
          continue;
        }
        const a = e.after;
        const row: Row = { id: String(a.id), owner: a.owner, balance: a.balance }; // at the declared scale, as text
        if (!same(accounts.get(row.id as string), row)) accountChanges++;
        accounts.set(row.id as string, row);
      }
    }
    return { items, accounts, itemChanges, accountChanges };
  }

  it('lake views and MySQL equal an independent replay, across a restart; _as_of; each change once; dead letters', async () => {
    const BIG = '9007199254740993'; // 2^53 + 1: exact only as text
    // first half
    await kcatProduce('e2e.items', [
      { key: 'A', value: item('A', 'apple', 10, '1.50') },
      { key: 'B', value: item('B', 'banana', 5, '0.25') },
      { key: 'C', value: item('C', 'cherry', 100, '0.10') },
      { key: 'A', value: item('A', 'apple', 12, '1.50') }, // update
      { key: 'B', value: item('B', 'banana', 5, '0.25') }, // re-sent: no change
      { key: 'X', value: '{not json' }, // invalid
      { key: 'Y', value: JSON.stringify({ id: 'Y', name: 'y', qty: 'many', price: '1' }) }, // wrong type
    ]);
    await kcatProduce('e2e.accounts', [
      { key: '{"id":1}', value: dbz('r', null, acct(1, 'ann', '100.0000'), 1_767_225_600_000) },
      { key: `{"id":${BIG}}`, value: dbz('c', null, acct(BIG, 'bob', '12345678901234.5678'), 1_767_225_601_000) },
      { key: '{"id":3}', value: dbz('c', null, acct(3, 'cid', '7.0000'), 1_767_225_602_000) },
      { key: '{"id":4}', value: dbz('x', null, acct(4, 'dan', '1'), 1_767_225_603_000) }, // unknown op
    ]);
    await processOnce();
    const mid = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    for (const m of produced) m.first = true; // the first half is before `mid`
    // second half, after a restart
    await kcatProduce('e2e.items', [
      { key: 'C', value: null }, // tombstone: delete
      { key: 'Z', value: null }, // delete of an absent key: no change
      { key: 'D', value: item('D', 'date', null, null) },
      { key: 'A', value: item('A', 'apple', 12, '1.75') }, // update
      { key: 'C', value: item('C', 'cherry', 7, '0.20') }, // re-created
      { key: null, value: JSON.stringify({ name: 'no key', qty: 1, price: '1' }) }, // missing key
      { key: 'E', value: JSON.stringify({ id: 'E', name: 'egg', qty: 1, price: '1.00', colour: 'white' }) }, // undeclared
    ]);
    await kcatProduce('e2e.accounts', [
      { key: '{"id":1}', value: dbz('u', acct(1, 'ann', '100.0000'), acct(1, 'ann', '80.5000'), 1_767_225_700_000) },
      { key: '{"id":3}', value: dbz('d', acct(3, 'cid', '7.0000'), null, 1_767_225_701_000) },
      { key: '{"id":3}', value: null }, // Debezium's tombstone after the delete
      { key: '{"id":1}', value: dbz('u', acct(1, 'ann', '80.5000'), acct(1, 'ann', '80.5000'), 1_767_225_702_000) }, // no change
    ]);
    await processOnce();

    const expected = replay();
    const tables = await declaredLakeTables([join(dir, 'sql')]);
    const session = await LakeSession.open({ lakeDir: join(dir, 'lake'), confined: false, tables });
    const q = async (sql: string) => {
      const c = await session.connect();
      try {
        return (await c.runAndReadAll(sql)).getRowObjectsJS();
      } finally {
        c.closeSync();
      }
    };
    const text = (rows: Record<string, unknown>[]) =>
      rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])));
    try {
      // latest rows equal the replay
      const lakeItems = text(
        await q('SELECT id, name, qty::VARCHAR AS qty, price::VARCHAR AS price FROM items ORDER BY id'),
      );
      expect(lakeItems).toEqual([...expected.items.values()].sort((a, b) => String(a.id).localeCompare(String(b.id))));
      const lakeAccounts = text(
        await q('SELECT id::VARCHAR AS id, owner, balance::VARCHAR AS balance FROM accounts ORDER BY id'),
      );
      expect(lakeAccounts).toEqual(
        [...expected.accounts.values()].sort((a, b) => (BigInt(a.id as string) < BigInt(b.id as string) ? -1 : 1)),
      );
      expect(lakeAccounts.some((a) => a.id === BIG && a.balance === '12345678901234.5678')).toBe(true);
      // the derived table follows: value = qty × price of the items with a qty
      const value = text(await q('SELECT id, value::VARCHAR AS value FROM stock_value ORDER BY id'));
      expect(value).toEqual(
        [...expected.items.values()]
          .filter((r) => r.qty !== null)
          .sort((a, b) => String(a.id).localeCompare(String(b.id)))
          .map((r) => ({ id: r.id, value: (Number(r.qty) * Number(r.price)).toFixed(2) })),
      );
      // each change once in the log
      const counts = await q(
        'SELECT (SELECT count(*) FROM items_changes) AS i, (SELECT count(*) FROM accounts_changes) AS a',
      );
      expect([Number(counts[0].i), Number(counts[0].a)]).toEqual([expected.itemChanges, expected.accountChanges]);
      // the state at `mid`: the first half only
      const before = replay(true);
      const asOf = text(
        await q(
          `SELECT id, name, qty::VARCHAR AS qty, price::VARCHAR AS price FROM items_as_of(epoch_ms(${mid})) ORDER BY id`,
        ),
      );
      expect(asOf).toEqual([...before.items.values()].sort((a, b) => String(a.id).localeCompare(String(b.id))));
      // dead letters in the lake, with reasons
      const rejected = await q('SELECT kafka_topic, reason FROM rejected ORDER BY kafka_topic, reason');
      expect(rejected.map((r) => [r.kafka_topic, r.reason])).toEqual([
        ['e2e.accounts', 'op "x" is not one of c, u, d, r'],
        [
          'e2e.items',
          'column colour is not declared in ' +
            join(dir, 'sql', 'sources', 'items.sql').replace(`${process.cwd()}/`, ''),
        ],
        ['e2e.items', 'column qty: "many" is not a BIGINT'],
        ['e2e.items', 'primary key column id is missing'],
        ['e2e.items', 'value is not JSON: {not json'],
      ]);
    } finally {
      session.close();
    }

    // MySQL, read with a second client
    const myItems = await queryMysql<Row>(
      mysqlUrl,
      'SELECT id, name, CAST(qty AS CHAR) AS qty, CAST(price AS CHAR) AS price FROM items ORDER BY id',
    );
    expect(myItems).toEqual([...expected.items.values()].sort((a, b) => String(a.id).localeCompare(String(b.id))));
    const myAccounts = await queryMysql<Row>(
      mysqlUrl,
      'SELECT CAST(id AS CHAR) AS id, owner, CAST(balance AS CHAR) AS balance FROM accounts ORDER BY id',
    );
    expect(myAccounts).toEqual(
      [...expected.accounts.values()].sort((a, b) => (BigInt(a.id as string) < BigInt(b.id as string) ? -1 : 1)),
    );

    // the dead-letter topics, read with kafkajs
    const kafka = new Kafka({ clientId: 'e2e-dlq', brokers: [broker.address], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'e2e-dlq' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['e2e.items.dlq', 'e2e.accounts.dlq'], fromBeginning: true });
    const dead: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ topic, message }) => {
          dead.push(`${topic}: ${message.headers?.reason?.toString()}`);
          if (dead.length === 5) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(dead.sort()).toEqual([
      'e2e.accounts.dlq: op "x" is not one of c, u, d, r',
      expect.stringMatching(/^e2e\.items\.dlq: column colour is not declared in .*items\.sql$/),
      'e2e.items.dlq: column qty: "many" is not a BIGINT',
      'e2e.items.dlq: primary key column id is missing',
      'e2e.items.dlq: value is not JSON: {not json',
    ]);
  }, 180_000);
});

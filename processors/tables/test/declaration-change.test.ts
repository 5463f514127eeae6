/**
 * A declaration that changes between runs is followed without TypeScript or a hand-written migration: a column
 * added to a source appears in the state, the lake views and MySQL (null for rows written before); a column
 * dropped leaves them; a job whose SQL changed is recomputed and logs exactly its differences; a changed key is
 * refused, naming the file. MySQL is read with a second client.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../../core/log.js';
import { ensureSchemaFile, viewStatements } from '../../../lake/changelog.js';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../../test/helpers/mysql.js';
import { ChangeDelivery } from '../../sinks/change-delivery.js';
import { LazyMysql } from '../../sinks/lazy-mysql.js';
import { KeyedMysql } from '../../sinks/mysql-keyed.js';
import { loadTableCatalog } from '../catalog.js';
import { TablesEngine } from '../engine.js';
import { deliveredTables } from '../lake-tables.js';
import type { RawMessage } from '../stage.js';
import { openTablesState } from '../state.js';

const haveMysql = testMysqlAvailable();

/** Writes `<dir>/sql/sources/items.sql` (topic decl.items) with `source` and `<dir>/sql/jobs/labels.sql` with `job`. */
async function declareItems(dir: string, source: string, job: string): Promise<void> {
  await mkdir(join(dir, 'sql', 'sources'), { recursive: true });
  await mkdir(join(dir, 'sql', 'jobs'), { recursive: true });
  await writeFile(
    join(dir, 'sql', 'sources', 'items.sql'),
    `-- title: Items\n-- topic: decl.items\n-- format: plain\n${source}\n`,
  );
  await writeFile(join(dir, 'sql', 'jobs', 'labels.sql'), `-- title: Labels\n-- key: id\n${job}\n`);
}

/**
 * Opens the engine on the files under `<dir>/sql` (which commits the new declarations), runs `batch` (none: no
 * batch at all) and returns the rows of `sql` on its state, as text.
 */
async function openAndRead(dir: string, sql: string, batch?: RawMessage[]): Promise<string[][]> {
  const catalog = await loadTableCatalog([join(dir, 'sql')], { bundled: false });
  expect(catalog.errors.map((e) => e.message)).toEqual([]);
  const state = await openTablesState(join(dir, 'state'));
  try {
    const engine = await TablesEngine.open({ state, catalog });
    if (batch !== undefined) await engine.process(batch);
    return (await state.conn.runAndReadAll(sql)).getRowsJS().map((x) => x.map(String));
  } finally {
    state.conn.closeSync();
    state.instance.closeSync();
  }
}

describe.skipIf(!haveMysql)('a declaration that changes between runs', () => {
  let dir: string;
  let my: TestMysql;
  let url: string;
  let offset = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-decl-'));
    my = await startTestMysql();
    url = await createDatabase(my.url, 'decl_change');
  });
  afterAll(async () => {
    await my?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const declare = (source: string, job: string) => declareItems(dir, source, job);

  /** One run: open the engine on the current files, process `values`, deliver to the lake and MySQL. */
  async function run(values: Record<string, unknown>[]) {
    const catalog = await loadTableCatalog([join(dir, 'sql')], { bundled: false });
    expect(catalog.errors.map((e) => e.message)).toEqual([]);
    const state = await openTablesState(join(dir, 'state'));
    try {
      const engine = await TablesEngine.open({ state, catalog });
      const conn = await state.instance.connect();
      const tables = deliveredTables(catalog);
      for (const t of tables) await ensureSchemaFile(conn, join(dir, 'lake'), t);
      const log = logger('test');
      const mysql = new KeyedMysql(new LazyMysql(url, false, log), log);
      const delivery = new ChangeDelivery({ conn, lakeDir: join(dir, 'lake'), tables, mysql, log });
      const msgs: RawMessage[] = values.map((v) => ({
        topic: 'decl.items',
        partition: 0,
        offset: offset++,
        timestamp: 1_767_225_600_000 + offset,
        key: String(v.id),
        value: JSON.stringify(v),
      }));
      await engine.process(msgs); // also runs the jobs whose SQL changed, with or without messages
      await delivery.deliverAll(true);
      await mysql.close();
      conn.closeSync();
      return tables;
    } finally {
      state.conn.closeSync();
      state.instance.closeSync();
    }
  }

  async function lake(tables: Awaited<ReturnType<typeof run>>, sql: string) {
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    for (const t of tables) for (const s of viewStatements(join(dir, 'lake'), t)) await c.run(s);
    const r = (await c.runAndReadAll(sql)).getRowsJS().map((x) => x.map((v) => (v === null ? null : String(v))));
    c.closeSync();
    return r;
  }

  it('adds and drops columns in the state, the lake and MySQL, recomputes a changed job, refuses a changed key', async () => {
    await declare(
      'create table items (id varchar primary key, name varchar, colour varchar);',
      'select id, upper(name) as label from items',
    );
    let tables = await run([
      { id: 'A', name: 'apple', colour: 'red' },
      { id: 'B', name: 'banana', colour: 'yellow' },
    ]);
    expect(await lake(tables, 'SELECT id, label FROM labels ORDER BY id')).toEqual([
      ['A', 'APPLE'],
      ['B', 'BANANA'],
    ]);
    // qty added, colour dropped, the job's SQL changed
    await declare(
      'create table items (id varchar primary key, name varchar, qty bigint);',
      "select id, name || '!' as label from items",
    );
    tables = await run([{ id: 'C', name: 'cherry', qty: 7 }]);
    expect(await lake(tables, 'SELECT id, name, qty FROM items ORDER BY id')).toEqual([
      ['A', 'apple', null],
      ['B', 'banana', null],
      ['C', 'cherry', '7'],
    ]);
    expect(await lake(tables, 'SELECT id, label FROM labels ORDER BY id')).toEqual([
      ['A', 'apple!'],
      ['B', 'banana!'],
      ['C', 'cherry!'],
    ]);
    // the job's log: two creates, then exactly the recomputed differences
    expect(await lake(tables, 'SELECT id, _op, label FROM labels_changes ORDER BY _lsn')).toEqual([
      ['A', 'c', 'APPLE'],
      ['B', 'c', 'BANANA'],
      ['A', 'u', 'apple!'],
      ['B', 'u', 'banana!'],
      ['C', 'c', 'cherry!'],
    ]);
    const cols = await queryMysql<{ c: string }>(
      url,
      "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items' ORDER BY ORDINAL_POSITION",
    );
    expect(cols.map((r) => r.c)).toEqual(['id', 'name', '_lsn', '_ts', 'qty']);
    expect(await queryMysql(url, 'SELECT id, name, CAST(qty AS CHAR) AS qty FROM items ORDER BY id')).toEqual([
      { id: 'A', name: 'apple', qty: null },
      { id: 'B', name: 'banana', qty: null },
      { id: 'C', name: 'cherry', qty: '7' },
    ]);
    // a changed key is refused, naming the file
    await declare(
      'create table items (id varchar, name varchar, qty bigint, primary key (id, name));',
      'select id, name as label from items',
    );
    const catalog = await loadTableCatalog([join(dir, 'sql')], { bundled: false });
    const state = await openTablesState(join(dir, 'state'));
    await expect(TablesEngine.open({ state, catalog })).rejects.toThrow(
      /items\.sql:4: the key of items changed from \(id\) to \(id, name\)/,
    );
    state.conn.closeSync();
    state.instance.closeSync();
  });
});

describe('a changed job whose process ends before its next batch', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-decl-crash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const declare = (job: string) => declareItems(dir, 'create table items (id varchar primary key, name varchar);', job);

  const open = (batch?: RawMessage[]) => openAndRead(dir, 'SELECT id, label FROM cur.labels ORDER BY id', batch);

  it('recomputes it at the next start: the pending recomputation is stored with the new declaration', async () => {
    await declare('select id, upper(name) as label from items');
    const msgs: RawMessage[] = [
      { id: 'A', name: 'apple' },
      { id: 'B', name: 'banana' },
    ].map((v, i) => ({
      topic: 'decl.items',
      partition: 0,
      offset: i,
      timestamp: 1_767_225_600_000 + i,
      key: v.id,
      value: JSON.stringify(v),
    }));
    expect(await open(msgs)).toEqual([
      ['A', 'APPLE'],
      ['B', 'BANANA'],
    ]);
    await declare("select id, name || '!' as label from items");
    // the process stores the new SQL at start, then ends before a batch (killed, or stopped while idle)
    expect(await open()).toEqual([
      ['A', 'APPLE'],
      ['B', 'BANANA'],
    ]);
    // the next start has no declaration change to see, yet the job is recomputed with the new SQL
    expect(await open([])).toEqual([
      ['A', 'apple!'],
      ['B', 'banana!'],
    ]);
    // and only once: a later start does not recompute it again (the mark went with that batch's commit)
    const catalog = await loadTableCatalog([join(dir, 'sql')], { bundled: false });
    const state = await openTablesState(join(dir, 'state'));
    try {
      const engine = await TablesEngine.open({ state, catalog });
      expect(engine.hasWork([])).toBe(false);
    } finally {
      state.conn.closeSync();
      state.instance.closeSync();
    }
  });
});

describe('a job reading a declared table whose name ends in _history', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-decl-hist-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** `orders_history` is a source of its own here (no table `orders`), read by job `kinds`. */
  async function declare(qtyType: string): Promise<void> {
    await mkdir(join(dir, 'sql', 'sources'), { recursive: true });
    await mkdir(join(dir, 'sql', 'jobs'), { recursive: true });
    await writeFile(
      join(dir, 'sql', 'sources', 'orders_history.sql'),
      `-- title: Orders history\n-- topic: decl.oh\n-- format: plain\ncreate table orders_history (id varchar primary key, qty ${qtyType});\n`,
    );
    await writeFile(
      join(dir, 'sql', 'jobs', 'kinds.sql'),
      '-- title: Kinds\n-- key: id\nselect id, typeof(qty) as kind from orders_history\n',
    );
  }

  const open = (batch: RawMessage[]) => openAndRead(dir, 'SELECT id, kind FROM cur.kinds ORDER BY id', batch);

  it('recomputes the job when that table changes shape (its name is not taken for a history relation)', async () => {
    await declare('bigint');
    const value = JSON.stringify({ id: 'A', qty: 3 });
    const msg = { topic: 'decl.oh', partition: 0, offset: 0, timestamp: 1_767_225_600_000, key: 'A', value };
    expect(await open([msg])).toEqual([['A', 'BIGINT']]);
    await declare('double');
    expect(await open([])).toEqual([['A', 'DOUBLE']]);
  });
});

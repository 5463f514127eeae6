/**
 * The keyed path across SIGKILLs: `ticklake process` is killed at each crash point of the keyed-table engine
 * (`tables-mid-batch`: inside the state transaction; `tables-after-commit`: committed, nothing delivered;
 * `tables-mid-delivery`: some change files written, the batch not marked; `tables-after-lake`: lake marked, MySQL
 * not yet), then started again under a new consumer group (so only the state knows where to resume). Afterwards the
 * lake and MySQL must equal an uninterrupted run's: every source's change log row for row (it does not depend on
 * batch cuts), every table's and job's latest rows by key, nothing missing and nothing twice.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
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
import { declaredLakeTables } from '../lake-tables.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'cli', 'bin.js');
const haveMysql = testMysqlAvailable();

const FILES: Record<string, string> = {
  'sources/stock.sql': `-- title: Stock
-- topic: crash.stock
-- format: plain
create table stock (sku varchar primary key, store varchar not null, qty bigint not null, price decimal(10,2));
`,
  'jobs/store_value.sql': `-- title: Stock value per store
-- key: store
-- partition_by: store
select store, sum(qty * price) as value, count(*) as skus from stock group by store
`,
};

interface Run {
  lake: string;
  state: string;
  mysqlUrl: string;
}

describe.skipIf(!haveMysql)('keyed path: exactly once across SIGKILL at every crash point', () => {
  let broker: RunningBroker;
  let my: TestMysql;
  let dir: string;
  let reference: Run;
  const POINTS = ['tables-mid-batch', 'tables-after-commit', 'tables-mid-delivery', 'tables-after-lake'];

  const embedded = useBroker('ticklake-tables-crash');
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    for (const [rel, text] of Object.entries(FILES)) {
      await mkdir(join(dir, 'sql', rel, '..'), { recursive: true });
      await writeFile(join(dir, 'sql', rel), text);
    }
    my = await startTestMysql();
    // 3,000 changes over 150 keys in 3 partitions: creates, updates (some to the same values), deletes
    const kafka = new Kafka({ clientId: 'crash-producer', brokers: [broker.address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'crash.stock', numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    let x = 42;
    const rnd = (n: number) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    const messages = [];
    for (let i = 0; i < 3000; i++) {
      const sku = `S${rnd(150)}`;
      const del = rnd(10) === 0;
      messages.push({
        key: sku,
        value: del ? null : JSON.stringify({ sku, store: `store${rnd(5)}`, qty: rnd(4), price: `${rnd(3) + 1}.25` }),
      });
    }
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic: 'crash.stock', messages: messages.slice(i, i + 500) });
    }
    await producer.disconnect();
    reference = await newRun('ref');
    const r = await processRun(reference, 'ref-group');
    expect(r.code).toBe(0);
  });
  afterAll(async () => {
    await my?.close();
  });

  async function newRun(name: string): Promise<Run> {
    return {
      lake: join(dir, name, 'lake'),
      state: join(dir, name, 'state'),
      mysqlUrl: await createDatabase(my.url, `crash_${name.replaceAll('-', '_')}`),
    };
  }

  function processRun(
    r: Run,
    group: string,
    crashAt?: string,
  ): Promise<{ code: number | null; signal: string | null; err: string }> {
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'process',
          ...['--brokers', broker.address, '--sql-dir', join(dir, 'sql'), '--sources', 'stock'],
          ...['--lake-dir', r.lake, '--state-dir', r.state, '--mysql-url', r.mysqlUrl, '--group', group],
          ...['--until-idle', '--max-batch', '300', '--compact-every', '0'],
        ],
        { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...(crashAt ? { TICKLAKE_CRASH_AT: crashAt } : {}) } },
      );
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('exit', (code, signal) => resolve({ code, signal, err }));
    });
  }

  async function lakeRows(r: Run): Promise<Record<string, string[]>> {
    const session = await LakeSession.open({
      lakeDir: r.lake,
      confined: false,
      tables: await declaredLakeTables([join(dir, 'sql')]),
    });
    const c = await session.connect();
    const text = async (sql: string) =>
      (await c.runAndReadAll(sql))
        .getRowsJS()
        .map((row) => row.map((v) => (v === null ? 'null' : String(v))).join('|'));
    try {
      return {
        stockChanges: await text('SELECT sku, store, qty, price::VARCHAR, _op, _lsn FROM stock_changes ORDER BY _lsn'),
        stock: await text('SELECT sku, store, qty, price::VARCHAR FROM stock ORDER BY sku'),
        storeValue: await text('SELECT store, value::VARCHAR, skus FROM store_value ORDER BY store'),
      };
    } finally {
      c.closeSync();
      session.close();
    }
  }

  async function mysqlRows(r: Run) {
    return {
      stock: await queryMysql(
        r.mysqlUrl,
        'SELECT sku, store, qty, CAST(price AS CHAR) AS price FROM stock ORDER BY sku',
      ),
      storeValue: await queryMysql(
        r.mysqlUrl,
        'SELECT store, CAST(value AS CHAR) AS value, skus FROM store_value ORDER BY store',
      ),
    };
  }

  it.each(POINTS)(
    'killed at %s, restarted: the same lake and MySQL as an uninterrupted run',
    { timeout: 240_000 },
    async (point) => {
      const run = await newRun(point);
      // the 3rd time past the point: some batches are in, most are not
      const crashed = await processRun(run, `${point}-1`, `${point}:3`);
      expect(crashed.signal, crashed.err).toBe('SIGKILL');
      const resumed = await processRun(run, `${point}-2`);
      expect(resumed.code, resumed.err).toBe(0);
      const want = await lakeRows(reference);
      expect(want.stockChanges.length).toBeGreaterThan(1000);
      expect(await lakeRows(run)).toEqual(want);
      expect(await mysqlRows(run)).toEqual(await mysqlRows(reference));
    },
  );
});

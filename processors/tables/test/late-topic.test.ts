/**
 * The keyed-table engine starts a group of tables only once its topics have something to read (startup.ts): these
 * tests hold it to doing then everything it did when it started every table at once.
 *
 * One `ticklake process` (no --until-idle) over three sources of a --sql-dir: `early_items`, whose topic has messages
 * before the start; `late_items` (and the job `late_totals` over it), whose topic the test deletes after the start
 * and creates again before its first message — a topic created after the processor started; `empty_items`, whose
 * topic never gets a message, with the job `empty_count` (`count(*)`, a row before any message). The lake must show
 * the late messages, their job, and the count of zero, as computed here by hand; a restart with --until-idle must
 * restore the late group's state (one more message updates its job's row) and log each change once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import { LakeSession } from '../../../lake/session.js';
import { useBroker } from '../../../test/helpers/broker.js';
import { waitFor } from '../../../test/helpers/poll.js';
import { UserSqlDir } from '../../../test/helpers/user-sql-dir.js';
import { declaredLakeTables } from '../lake-tables.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'cli', 'bin.js');

describe('a group of tables whose topic gets its first message after the start', () => {
  let broker: RunningBroker;
  let dir: string;
  let sql: UserSqlDir;
  let kafka: Kafka;
  let child: ChildProcess | undefined;

  const embedded = useBroker('ticklake-late-topic');
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    sql = UserSqlDir.create('ticklake-late-topic-sql-', ['sources', 'jobs']);
    const source = (name: string, topic: string) =>
      `-- title: ${name}\n-- topic: ${topic}\n-- format: plain\n` +
      `create table ${name} (id varchar primary key, category varchar, qty bigint);\n`;
    sql.write('sources', 'early_items', source('early_items', 'late.early'));
    sql.write('sources', 'late_items', source('late_items', 'late.late'));
    sql.write('sources', 'empty_items', source('empty_items', 'late.empty'));
    sql.write(
      'jobs',
      'late_totals',
      '-- title: Late totals\n-- key: category\n-- partition_by: category\n' +
        'select category, sum(qty) as qty from late_items group by category\n',
    );
    sql.write(
      'jobs',
      'empty_count',
      '-- title: Empty count\n-- key: k\nselect 1 as k, count(*) as n from empty_items\n',
    );
    kafka = new Kafka({ clientId: 'late-topic-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    sql?.remove();
  });

  const args = (...extra: string[]) => [
    BIN,
    'process',
    '--brokers',
    broker.address,
    '--sql-dir',
    sql.dir,
    '--sources',
    'early_items,late_items,empty_items',
    '--lake-dir',
    join(dir, 'lake'),
    '--state-dir',
    join(dir, 'state'),
    '--compact-every',
    '0',
    ...extra,
  ];

  async function produce(topic: string, rows: { id: string; category: string; qty: number }[]) {
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: rows.map((r) => ({ key: r.id, value: JSON.stringify(r) })) });
    } finally {
      await producer.disconnect();
    }
  }

  /**
   * Rows of a query over the lake's views, in a session opened now (a view made before a table's first file is
   * empty); the waits below ask every 250 ms, each probe opening a session.
   */
  async function lake(query: string): Promise<Record<string, string | null>[]> {
    const tables = await declaredLakeTables([sql.dir]);
    const session = await LakeSession.open({ lakeDir: join(dir, 'lake'), confined: false, tables });
    try {
      const c = await session.connect();
      try {
        const rows = (await c.runAndReadAll(query)).getRowObjectsJS();
        return rows.map((r) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])),
        );
      } finally {
        c.closeSync();
      }
    } finally {
      session.close();
    }
  }

  it('consumes the late topic, computes its job, keeps the count of the empty one, and restores it all', async () => {
    await produce('late.early', [
      { id: 'E1', category: 'x', qty: 1 },
      { id: 'E2', category: 'x', qty: 2 },
    ]);
    let err = '';
    child = spawn(process.execPath, args(), { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'info' } });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    const failIf = () => (child?.exitCode !== null ? `ticklake process exited: ${err}` : undefined);
    // the processor runs: the early messages are in the lake
    await waitFor('the early rows in the lake', async () => (await lake('SELECT id FROM early_items')).length === 2, {
      retryErrors: true,
      everyMs: 250,
      failIf,
      timeoutMs: 60_000,
    });

    // the late topic, which the processor created at its start, is deleted and created again: it now exists only
    // since after the start, and gets its first messages
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: ['late.late'] });
      await waitFor('late.late deleted', async () => !(await admin.listTopics()).includes('late.late'));
      await admin.createTopics({ topics: [{ topic: 'late.late', numPartitions: 2 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await produce('late.late', [
      { id: 'L1', category: 'a', qty: 2 },
      { id: 'L2', category: 'b', qty: 5 },
      { id: 'L3', category: 'a', qty: 4 },
    ]);
    await produce('late.late', [{ id: 'L1', category: 'a', qty: 3 }]); // an update: a = 3 + 4, b = 5
    await waitFor(
      'the late job in the lake',
      async () => {
        const rows = await lake('SELECT category, qty FROM late_totals ORDER BY category');
        return (
          JSON.stringify(rows) ===
          JSON.stringify([
            { category: 'a', qty: '7' },
            { category: 'b', qty: '5' },
          ])
        );
      },
      { retryErrors: true, everyMs: 250, failIf, timeoutMs: 60_000, detail: () => err },
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;

    expect(await lake('SELECT id, category, qty FROM late_items ORDER BY id')).toEqual([
      { id: 'L1', category: 'a', qty: '3' },
      { id: 'L2', category: 'b', qty: '5' },
      { id: 'L3', category: 'a', qty: '4' },
    ]);
    // a global count over a topic with no message has its row from the start, as when every table started at once
    expect(await lake('SELECT k, n FROM empty_count')).toEqual([{ k: '1', n: '0' }]);

    // a restart restores the late group's state: one more message changes one row of its job
    await produce('late.late', [{ id: 'L2', category: 'b', qty: 6 }]);
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, args('--until-idle'), { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' } });
      let e = '';
      c.stderr.on('data', (d) => {
        e += d;
      });
      c.on('exit', (code) => (code === 0 ? resolve(e) : reject(new Error(`process exited ${code}: ${e}`))));
    });
    expect(out).toContain('tables: 1 messages');
    expect(await lake('SELECT category, qty FROM late_totals ORDER BY category')).toEqual([
      { category: 'a', qty: '7' },
      { category: 'b', qty: '6' },
    ]);
    // each change once: 3 creates and 2 updates of late_items, 2 creates of early_items
    expect(await lake("SELECT count(*) AS n FROM late_items_changes WHERE _op IN ('c', 'u')")).toEqual([{ n: '5' }]);
    expect(await lake('SELECT count(*) AS n FROM early_items_changes')).toEqual([{ n: '2' }]);
    expect(await lake('SELECT count(*) AS n FROM empty_count_changes')).toEqual([{ n: '1' }]);
  }, 180_000);
});

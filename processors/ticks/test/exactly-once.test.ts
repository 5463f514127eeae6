/**
 * Exactly-once in effect: `ticklake process` subprocesses are killed with SIGKILL at chosen points of a bounded run
 * (TICKLAKE_CRASH_AT, processors/crash-points.ts) and restarted each time, each restart under a new consumer group
 * so that only the offsets in the state file say where to resume. The final lake and MySQL tables must equal those
 * of an uninterrupted run over the same topic: nothing missing, nothing twice, and bit for bit (the stream SQL adds
 * its doubles in a fixed order, so a restart that re-cuts the batches changes no bit). The crashing runs also reopen
 * their state database every 3 batches, and one of them is killed inside a reopen.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { exceptAllBothWays } from '../../../test/helpers/lake-compare.js';
import { createDatabase, startTestMysql, type TestMysql, testMysqlAvailable } from '../../../test/helpers/mysql.js';
import { loadMysqlTables, produceAll } from '../../../test/helpers/processor-run.js';
import { startProcessor } from '../processor.js';
import { seededRun } from './fixtures.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'cli', 'bin.js');
const lake = (dir: string, t: string) =>
  `read_parquet('${dir}/${t}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

/**
 * Crash points, in order: each run dies at its point, the next one resumes. A point a run never reaches lets it end
 * with exit 0, which the outcome check refuses, so no point is skipped silently; `mid-reopen` sits early because a
 * reopen comes only every 3 batches, and a run late in the plan has too few batches left to reach one.
 */
const PLAN = [
  'mid-batch:2',
  'mid-reopen:1',
  'after-commit:2',
  'mid-archive:4',
  'mid-delivery:4',
  'after-lake:2',
  'mid-batch:3',
  'mid-delivery:11',
];

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; signal: string | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'process', ...args], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, err });
    });
  });
}

describe.skipIf(!testMysqlAvailable())('exactly-once across SIGKILL crashes', () => {
  let dir: string;
  let broker: RunningBroker;
  let my: TestMysql;
  let db: DuckDBConnection;
  const outcomes: { point: string; signal: string | null; code: number | null }[] = [];
  let finalRun: { code: number | null; err: string };
  let total = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-eo-'));
    let run: Awaited<ReturnType<typeof seededRun>>;
    [broker, my, run] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 }),
      startTestMysql(),
      seededRun(12),
    ]);
    await produceAll([broker.address], 'ticks', run.log.messages);
    total = run.log.messages.length;
    const [urlA, urlB] = [await createDatabase(my.url, 'eo_clean'), await createDatabase(my.url, 'eo_crashed')];

    // uninterrupted run, in-process
    const clean = await startProcessor({
      brokers: [broker.address],
      group: 'clean',
      lakeDir: join(dir, 'clean', 'lake'),
      stateDir: join(dir, 'clean', 'state'),
      mysqlUrl: urlA,
      untilIdle: true,
      batchMessages: 500,
    });
    await clean.done;

    // crashing runs, one subprocess each
    const args = (i: number) => [
      '--brokers',
      broker.address,
      '--group',
      `crashed-${i}`,
      '--lake-dir',
      join(dir, 'crashed', 'lake'),
      '--state-dir',
      join(dir, 'crashed', 'state'),
      '--mysql-url',
      urlB,
      '--until-idle',
      '--max-batch',
      '500',
      // the tick engine alone: the keyed-table engine, with nothing to read, would add a consumer group and its
      // state to every run (about 2 CPU-s and seconds of wall time each; its crashes: tables-crash.test.ts)
      '--sources',
      'ticks',
      // the state database reopened every few batches (state-reopen.ts), with a crash inside one (the plan);
      // the uninterrupted run never reopens
      '--state-reopen-every',
      '3',
    ];
    for (const [i, point] of PLAN.entries()) {
      const r = await runCli(args(i), { TICKLAKE_CRASH_AT: point });
      outcomes.push({ point, signal: r.signal, code: r.code });
    }
    finalRun = await runCli(args(PLAN.length), {});

    db = await (await DuckDBInstance.create(':memory:')).connect();
    await loadMysqlTables(urlA, db, join(dir, 'clean'));
    for (const t of ['bars', 'anomalies', 'valuations']) await db.run(`ALTER TABLE my_${t} RENAME TO clean_${t}`);
    await loadMysqlTables(urlB, db, join(dir, 'crashed'));
  }, 240_000);

  afterAll(async () => {
    db?.closeSync();
    await broker?.close();
    await my?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every planned crash happened (SIGKILL), and the last run finished cleanly', () => {
    expect(outcomes).toEqual(PLAN.map((point) => ({ point, signal: 'SIGKILL', code: null })));
    expect([finalRun.code, finalRun.err.match(/processed \d+ messages/)?.[0] !== undefined]).toEqual([0, true]);
  });

  const L = (run: string, t: string) => lake(join(dir, run, 'lake'), t);

  it.each([
    ['ticks', 'kafka_partition, kafka_offset', '*'],
    ['late_ticks', 'kafka_partition, kafka_offset, "window"', '*'],
    ['rejected', 'kafka_topic, kafka_partition, kafka_offset', '* EXCLUDE (received_at, date)'],
  ])('lake %s: the same rows, each key once', async (t, key, cols) => {
    const q = (run: string) => `SELECT ${cols} FROM ${L(run, t)}`;
    const r = await db.runAndReadAll(`SELECT
      (SELECT count(*) FROM ((${q('clean')} EXCEPT ALL ${q('crashed')}) UNION ALL (${q('crashed')} EXCEPT ALL ${q('clean')})))::INTEGER,
      (SELECT count(*) FROM ${L('crashed', t)})::INTEGER,
      (SELECT count(DISTINCT (${key})) FROM ${L('crashed', t)})::INTEGER,
      (SELECT count(*) FROM ${L('clean', t)})::INTEGER`);
    const [different, rows, keys, cleanRows] = r.getRowsJS()[0];
    expect({ different, duplicates: Number(rows) - Number(keys), rows }).toEqual({
      different: 0,
      duplicates: 0,
      rows: cleanRows,
    });
    expect(Number(rows)).toBeGreaterThan(0);
  });

  /** The results and their natural keys: compared bit for bit (EXCEPT ALL both ways, no tolerance). */
  const RESULTS: [string, string][] = [
    ['bars', 'symbol, "window", window_start'],
    ['anomalies', 'symbol, kind, "window", ts'],
    ['valuations', 'portfolio_id, "window", as_of'],
  ];

  it.each(RESULTS)('lake %s: bit for bit the uninterrupted run, each key once', async (t, key) => {
    const [missing, extra] = await exceptAllBothWays(
      db,
      `SELECT * FROM ${L('clean', t)}`,
      `SELECT * FROM ${L('crashed', t)}`,
    );
    const r = await db.runAndReadAll(
      `SELECT count(*)::INTEGER, count(DISTINCT (${key}))::INTEGER FROM ${L('crashed', t)}`,
    );
    const [rows, keys] = r.getRowsJS()[0];
    expect({ missing, extra, duplicates: Number(rows) - Number(keys) }).toEqual({
      missing: 0,
      extra: 0,
      duplicates: 0,
    });
    expect(Number(rows)).toBeGreaterThan(0);
  });

  it.each(RESULTS)('MySQL %s: bit for bit the uninterrupted run', async (t) => {
    const [missing, extra] = await exceptAllBothWays(db, `SELECT * FROM clean_${t}`, `SELECT * FROM my_${t}`);
    const r = await db.runAndReadAll(`SELECT count(*)::INTEGER FROM clean_${t}`);
    expect({ missing, extra }).toEqual({ missing: 0, extra: 0 });
    expect(Number(r.getRowsJS()[0][0])).toBeGreaterThan(0);
  });

  it('SIGTERM: the processor finishes its batch, delivers, commits and exits 0 with a summary line', async () => {
    const state = join(dir, 'graceful', 'state');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'process',
        '--brokers',
        broker.address,
        '--group',
        'graceful',
        '--lake-dir',
        join(dir, 'graceful', 'lake'),
        '--state-dir',
        state,
      ],
      { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // wait until every tick is archived (not a timing assertion: the test waits for the condition)
    const want = Number(
      (await db.runAndReadAll(`SELECT count(*)::INTEGER FROM ${L('clean', 'ticks')}`)).getRowsJS()[0][0],
    );
    for (;;) {
      const n = await db
        .runAndReadAll(`SELECT count(*)::INTEGER FROM ${L('graceful', 'ticks')}`)
        .then((r) => Number(r.getRowsJS()[0][0]))
        .catch(() => 0);
      if (n >= want) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toMatch(/processed \d+ messages in [\d.]+ s: \d+ ticks/);
    const st = await (await DuckDBInstance.create(join(state, 'processor.duckdb'))).connect();
    const r = await st.runAndReadAll(
      'SELECT (SELECT sum(next_offset) FROM partitions)::INTEGER, (SELECT count(*) FROM outbox)::INTEGER',
    );
    expect(r.getRowsJS()[0]).toEqual([total, 0]);
    st.closeSync();
  });
});

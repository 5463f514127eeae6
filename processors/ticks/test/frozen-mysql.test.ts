/**
 * A frozen MySQL (issue 21 item 9): a server that accepts connections but answers nothing used to stop the lake's
 * delivery for up to the 60 s query timeout, with nothing logged. Here a real MariaDB is frozen with SIGSTOP while
 * `ticklake process` runs: the lake keeps receiving every tick and bar meanwhile, the log says MySQL did not answer
 * within --mysql-timeout, and after SIGCONT MySQL catches up and equals the lake.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { tickProblem } from '../../../contracts/tick.js';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../../test/helpers/mysql.js';
import { loadMysqlTables, produceAll } from '../../../test/helpers/processor-run.js';
import { seededRun, T0 } from './fixtures.js';
import { diff } from './reference.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'cli', 'bin.js');
const lake = (dir: string, t: string) =>
  `read_parquet('${dir}/${t}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

/** Polls `check` every 200 ms until it returns true; false after `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe.skipIf(!testMysqlAvailable())('MySQL frozen (SIGSTOP) while the processor runs', () => {
  let dir: string;
  let broker: RunningBroker;
  let my: TestMysql;
  let url: string;
  let db: DuckDBConnection;
  let child: ChildProcess;
  let stderr = '';
  let total = 0;
  let lakeDuringFreeze = false;
  let caughtUp = false;
  let exitCode: number | null = null;

  const count = async (table: string) => {
    const r = await db.runAndReadAll(`SELECT count(*)::INTEGER FROM ${lake(join(dir, 'lake'), table)}`);
    return Number(r.getRowsJS()[0][0]);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-frozen-'));
    let run: Awaited<ReturnType<typeof seededRun>>;
    [broker, my, run] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 }),
      startTestMysql(),
      seededRun(12),
    ]);
    url = await createDatabase(my.url, 'frozen_test');
    db = await (await DuckDBInstance.create(':memory:')).connect();
    const split = run.log.messages.findIndex((m) => {
      const v = String(m.value);
      return v.includes(`"ts":${T0 + 6 * 60_000}`);
    });
    const first = run.log.messages.slice(0, split);
    const second = run.log.messages.slice(split);
    // the valid ticks (the seeded run's invalid messages are in its minute 9: the second half)
    const valid = (ms: typeof first) =>
      ms.filter((m) => {
        try {
          return m.key !== null && tickProblem(JSON.parse(String(m.value))) === null;
        } catch {
          return false;
        }
      }).length;
    total = valid(run.log.messages);
    await produceAll([broker.address], 'ticks', first);

    child = spawn(
      process.execPath,
      [
        BIN,
        'process',
        '--brokers',
        broker.address,
        '--lake-dir',
        join(dir, 'lake'),
        '--state-dir',
        join(dir, 'state'),
        '--mysql-url',
        url,
        '--mysql-timeout',
        '2s',
        '--compact-every',
        '0',
      ],
      { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // MySQL has the first half's bars
    expect(
      await within(60_000, async () => {
        const [r] = await queryMysql<{ n: number }>(url, 'SELECT COUNT(*) AS n FROM bars');
        return Number(r.n) > 0 && (await count('ticks')) === valid(first);
      }),
    ).toBe(true);

    my.freeze();
    try {
      await produceAll([broker.address], 'ticks', second);
      // every tick and the bars they close reach the lake while MySQL answers nothing
      lakeDuringFreeze = await within(20_000, async () => (await count('ticks')) === total);
      await within(10_000, async () => /no answer within 2000 ms \(--mysql-timeout\)/.test(stderr));
    } finally {
      my.thaw();
    }
    // MySQL has caught up when it holds as many bars as the lake, read afresh each time: the lake's own delivery
    // can still be behind at the thaw (the tick archive is written before a batch commits, its bars after), so a
    // count taken once then was a moving target (seen under load: 145 in the lake at the thaw, 319 a minute later,
    // and MySQL at 319 — caught up, yet the test failed). Two equal readings in a row: nothing was still landing.
    let last = '';
    caughtUp = await within(90_000, async () => {
      const [r] = await queryMysql<{ n: number }>(url, 'SELECT COUNT(*) AS n FROM bars');
      const lakeBars = await count('bars');
      const now = `${Number(r.n)}/${lakeBars}`;
      const settled = Number(r.n) > 0 && Number(r.n) === lakeBars && now === last;
      last = now;
      return settled;
    });
    child.kill('SIGTERM');
    exitCode = await exited;
    await loadMysqlTables(url, db, dir);
  }, 300_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    my?.thaw();
    db?.closeSync();
    await broker?.close();
    await my?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the lake received every tick while MySQL was frozen', () => {
    expect(lakeDuringFreeze).toBe(true);
  });

  it('the log says MySQL did not answer within --mysql-timeout', () => {
    expect(stderr).toMatch(
      /MySQL at 127\.0\.0\.1:\d+\/frozen_test is unavailable: no answer within 2000 ms \(--mysql-timeout\)/,
    );
  });

  it('after SIGCONT MySQL caught up, and its bars, anomalies and valuations equal the lake', async () => {
    expect([caughtUp, exitCode]).toEqual([true, 0]);
    const L = (t: string) => `SELECT * FROM ${lake(join(dir, 'lake'), t)}`;
    expect(
      await diff(
        db,
        L('bars'),
        'SELECT * FROM my_bars',
        ['symbol', '"window"', 'window_start'],
        ['open', 'high', 'low', 'close', 'notional', 'vwap', 'trade_rate', 'volatility', 'log_return'],
        ['window_end', 'volume', 'trades'],
      ),
    ).toEqual([]);
    expect(
      await diff(db, L('anomalies'), 'SELECT * FROM my_anomalies', ['symbol', 'kind', 'ts'], ['value', 'price'], []),
    ).toEqual([]);
    expect(
      await diff(
        db,
        L('valuations'),
        'SELECT * FROM my_valuations',
        ['portfolio_id', '"window"', 'as_of'],
        ['nav', 'change', 'change_pct'],
        ['positions', 'missing_prices'],
      ),
    ).toEqual([]);
    const r = await db.runAndReadAll(
      `SELECT (SELECT count(*) FROM my_bars)::INTEGER, (SELECT count(*) FROM ${lake(join(dir, 'lake'), 'bars')})::INTEGER`,
    );
    const [mysqlBars, lakeBars] = r.getRowsJS()[0];
    expect(mysqlBars).toBe(lakeBars);
    expect(Number(lakeBars)).toBeGreaterThan(100);
  });
});

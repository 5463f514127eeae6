/**
 * Every fatal path exits (issue 21 item 3). A processor whose start failed after its Kafka clients were up used to
 * print the error and stay alive (60–600 s and more), so a supervisor never restarted it. Each trigger here runs
 * `ticklake process` as a child process, which must exit on its own, non-zero, within 10 s of printing its error
 * (the error named; the start before it may take long on a loaded machine, so it is not counted):
 * the lake's disk still full at the restart, MySQL refusing its table, a state left with a row of year 10000 in its
 * outbox (what the tick of 9999-12-31 left before ticks were bounded), 16 KiB of random bytes as the state file, and
 * the tick files of the open windows gone. In-process, a failed start leaves no thread or socket behind.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../../test/helpers/mysql.js';
import { produceAll, runTicklake } from '../../../test/helpers/processor-run.js';
import { MysqlSink } from '../../sinks/mysql-sink.js';
import { startProcessor } from '../processor.js';
import { STATE_FILE } from '../state.js';
import { seededRun } from './fixtures.js';

/** After printing its error, the process must be gone within this. */
const LIMIT_MS = 10_000;
/** A run that has not exited by then is killed (and fails the test): far beyond LIMIT_MS after any start. */
const KILL_MS = 120_000;

/** Mounts a small tmpfs at `dir` (root only): a disk that can be filled. Undefined when not possible. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true')
      throw new Error('mounting a tmpfs is required under CI=true (run the tests as root)');
    return false;
  }
}

/** Writes a file until the disk has no space left. */
async function fill(dir: string): Promise<void> {
  const chunk = Buffer.alloc(256 * 1024, 7);
  for (let i = 0; ; i++) {
    try {
      await writeFile(join(dir, `filler-${i}`), chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
      throw e;
    }
  }
  // the last partial chunk may have left a few KiB: small files take them
  for (let i = 0; i < 64; i++) await writeFile(join(dir, `crumb-${i}`), Buffer.alloc(4096, 1)).catch(() => {});
}

/** What the tick of 9999-12-31 left in a state before ticks were bounded: a committed batch valuing 10000-01-01. */
async function leaveYear10000(stateFile: string): Promise<void> {
  const instance = await DuckDBInstance.create(stateFile);
  const st = await instance.connect();
  await st.run(`INSERT INTO outbox VALUES (9999, now()::TIMESTAMP, false, true, true)`);
  await st.run(`INSERT INTO ob_valuations BY NAME SELECT 9999 AS batch_id, DATE '10000-01-01' AS date,
    'P1' AS portfolio_id, 'I1' AS investor_id, '1d' AS "window", TIMESTAMP '10000-01-01' AS as_of, 1.0 AS nav,
    NULL AS change, NULL AS change_pct, 1 AS positions, 0 AS missing_prices`);
  st.closeSync();
  instance.closeSync();
}

// each test runs `ticklake process` once or twice (the first to need it, the run it copies too), each killed after
// KILL_MS: 60 s (vitest's default) was too short for two runs on a machine loaded by a benchmark beside the suite
describe('fatal errors end the processor', { timeout: 2 * KILL_MS + 30_000 }, () => {
  let dir: string;
  let broker: RunningBroker;
  const args = (name: string, ...more: string[]) => [
    'process',
    '--brokers',
    broker.address,
    '--lake-dir',
    join(dir, name, 'lake'),
    '--state-dir',
    join(dir, name, 'state'),
    '--group',
    name,
    '--until-idle',
    '--max-batch',
    '500',
    '--compact-every',
    '0',
    ...more,
  ];
  /** Runs it, expecting it to print its error and exit by itself within LIMIT_MS of that. */
  const mustExit = async (a: string[], env: Record<string, string> = {}) => {
    const r = await runTicklake(a, env, KILL_MS);
    return { ...r, exitedInTime: r.afterErrorMs !== undefined && r.afterErrorMs < LIMIT_MS };
  };

  /** A state and lake of a completed run of the topic, as `name` (one run, copied for each test that needs one). */
  let completed: Promise<void> | undefined;
  const completedRun = async (name: string) => {
    completed ??= runTicklake(args('completed')).then((r) => {
      if (r.code !== 0) throw new Error(`the run to copy failed: ${r.stderr}`);
    });
    await completed;
    await cp(join(dir, 'completed'), join(dir, name), { recursive: true });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-fatal-'));
    let run: Awaited<ReturnType<typeof seededRun>>;
    [broker, run] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 }),
      seededRun(10),
    ]);
    await produceAll([broker.address], 'ticks', run.log.messages);
    // few enough for one batch: a run killed after its first commit leaves no tick files of a later batch
    await produceAll([broker.address], 'small', run.log.messages.slice(0, 300));
  }, 60_000);

  afterAll(async () => {
    await broker?.close();
    if (dir) {
      try {
        execFileSync('umount', [join(dir, 'full', 'lake')], { stdio: 'ignore' });
      } catch {
        /* not mounted */
      }
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the lake disk still full at the restart: exit 1 within 10 s, and once freed the run completes', async (ctx) => {
    const lakeDir = join(dir, 'full', 'lake');
    await mkdir(lakeDir, { recursive: true });
    if (!mountTmpfs(lakeDir, '16m')) return ctx.skip();
    // a run killed right after its commit: the batch's results are in the outbox, not yet in the lake
    const crashed = await runTicklake(args('full', '--topic', 'small'), { TICKLAKE_CRASH_AT: 'after-commit:1' });
    expect(crashed.signal).toBe('SIGKILL');
    await fill(lakeDir);
    // a new group each time, as a restarted processor would not wait for the killed member's session to expire
    const r = await mustExit(args('full', '--topic', 'small', '--group', 'full-2'));
    expect({ exitedInTime: r.exitedInTime, code: r.code }).toEqual({ exitedInTime: true, code: 1 });
    expect(r.stderr).toMatch(/Could not write lake file .*no space left on device.*\[TL_LAKE_WRITE\]/i);
    execFileSync('sh', ['-c', `rm -f ${lakeDir}/filler-* ${lakeDir}/crumb-*`]);
    const freed = await runTicklake(args('full', '--topic', 'small', '--group', 'full-3'));
    expect([freed.code, freed.stderr.match(/processed \d+ messages/)?.[0]]).toEqual([0, expect.any(String)]);
  });

  it.skipIf(!testMysqlAvailable())('MySQL refusing its table: exit 1 within 10 s, naming it', async () => {
    const my: TestMysql = await startTestMysql();
    try {
      const url = await createDatabase(my.url, 'fatal_test');
      // the tables are created (the migrations), then the bars table goes away
      await (await MysqlSink.connect(url, { seeds: false })).close();
      await queryMysql(url, 'DROP TABLE bars');
      const r = await mustExit(args('mysql-b', '--mysql-url', url));
      expect({ exitedInTime: r.exitedInTime, code: r.code }).toEqual({ exitedInTime: true, code: 1 });
      expect(r.stderr).toMatch(/MySQL refused the rows for bars: ER_NO_SUCH_TABLE.*\[TL_MYSQL_WRITE\]/);
    } finally {
      await my.close();
    }
  });

  it('a state whose outbox holds a row of year 10000 (left by an unbounded tick): exit 1 within 10 s', async () => {
    await completedRun('y10k');
    // what the tick of 9999-12-31 left before ticks were bounded: a committed batch valuing 10000-01-01
    await leaveYear10000(join(dir, 'y10k', 'state', STATE_FILE));
    const r = await mustExit(args('y10k'));
    expect({ exitedInTime: r.exitedInTime, code: r.code }).toEqual({ exitedInTime: true, code: 1 });
    expect(r.stderr).toMatch(/date="10000-01-01" is not a date YYYY-MM-DD \[TL_LAKE_WRITE\]/);
  });

  it('16 KiB of random bytes as the state file: exit 2 within 10 s, naming --state-dir', async () => {
    await mkdir(join(dir, 'random', 'state'), { recursive: true });
    await writeFile(join(dir, 'random', 'state', STATE_FILE), randomBytes(16 * 1024));
    const r = await mustExit(args('random'));
    expect({ exitedInTime: r.exitedInTime, code: r.code }).toEqual({ exitedInTime: true, code: 2 });
    expect(r.stderr).toMatch(/Invalid value for --state-dir: .* cannot be opened: .*\[TL_CONFIG_BAD_VALUE\]/);
  });

  it('the tick files of the open windows gone: exit 1 within 10 s with TL_LAKE_TICKS_MISSING', async () => {
    const crashed = await runTicklake(args('missing'), { TICKLAKE_CRASH_AT: 'after-commit:3' });
    expect(crashed.signal).toBe('SIGKILL');
    await rm(join(dir, 'missing', 'lake', 'ticks'), { recursive: true, force: true });
    const r = await mustExit(args('missing', '--group', 'missing-2'));
    expect({ exitedInTime: r.exitedInTime, code: r.code }).toEqual({ exitedInTime: true, code: 1 });
    expect(r.stderr).toMatch(/\[TL_LAKE_TICKS_MISSING\]/);
  });

  it('in-process, a start that fails after the Kafka clients are up leaves no thread or socket behind', async () => {
    await completedRun('leak');
    await leaveYear10000(join(dir, 'leak', 'state', STATE_FILE));
    const handles = () =>
      process
        .getActiveResourcesInfo()
        .filter((h) => h !== 'Timeout' && h !== 'Immediate')
        .sort();
    const before = handles();
    await expect(
      startProcessor({
        brokers: [broker.address],
        group: 'leak',
        lakeDir: join(dir, 'leak', 'lake'),
        stateDir: join(dir, 'leak', 'state'),
        untilIdle: true,
      }),
    ).rejects.toThrow(/10000-01-01/);
    // sockets close asynchronously (both ends are in this process: the broker's side too)
    for (let i = 0; i < 50 && handles().join() !== before.join(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(handles()).toEqual(before);
  });
});

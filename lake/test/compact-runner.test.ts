import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLakeCompactor } from '../compact-runner.js';
import { queryAll } from '../query.js';
import { LakeSession } from '../session.js';
import { writeLakeFile } from '../writer.js';

const run = promisify(execFile);
const NOW = Date.UTC(2026, 0, 3, 12);
const DATE = '2026-01-03';
let root: string;
let inst: DuckDBInstance;
let conn: DuckDBConnection;
let n = 0;

/** Valuations file `b<b>.parquet` of `date`: 2 rows, as_of 10:00 + b minutes, navs 1000 + 10b and one more. */
function writeValuations(lake: string, date: string, b: number) {
  return writeLakeFile(conn, {
    lakeDir: lake,
    table: 'valuations',
    partition: { date },
    fileName: `b${b}.parquet`,
    query: `SELECT 'P' || i AS portfolio_id, 'I1' AS investor_id, '1m' AS window,
              TIMESTAMP '${date} 10:00:00' + INTERVAL (${b}) MINUTE AS as_of, 1000.0 + ${b} * 10 + i AS nav,
              NULL AS change, NULL AS change_pct, 2 AS positions, 0 AS missing_prices FROM range(2) r(i)`,
  });
}

/** A lake with `files` settled valuation files (b1..bN, 2 rows each) of the open date. */
async function newLake(files: number): Promise<string> {
  const lake = join(root, `lake-${++n}`);
  for (let b = 1; b <= files; b++) {
    await writeValuations(lake, DATE, b);
    const t = new Date(NOW - 600_000);
    await utimes(join(lake, 'valuations', `date=${DATE}`, `b${b}.parquet`), t, t);
  }
  return lake;
}
const parquet = async (lake: string) =>
  (await readdir(join(lake, 'valuations', `date=${DATE}`))).filter((f) => f.endsWith('.parquet'));
const navSum = async (lake: string) =>
  (
    await conn.runAndReadAll(
      `SELECT count(*), sum(nav) FROM read_parquet('${lake}/valuations/**/*.parquet', hive_partitioning = true)`,
    )
  ).getRowsJS();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-compact-runner-'));
  inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  conn = await inst.connect();
});
afterAll(async () => {
  conn?.closeSync();
  await rm(root, { recursive: true, force: true });
});

describe('startLakeCompactor', () => {
  it('runs never overlap: concurrent runOnce calls queue (an overlap would fail on the lake lock)', async () => {
    const lake = await newLake(10);
    // 10 files: b1..b10, 2 rows each, nav = 1000 + 10 b + i → sum = 20 × 1000 + 20 × 55 + 10 = 21110
    expect(await navSum(lake)).toEqual([[20n, 21_110]]);
    const lines: string[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const c = startLakeCompactor({ lakeDir: lake, intervalMs: 3_600_000, now: () => NOW, logger: log, minFiles: 4 });
    const [a, b, d] = await Promise.all([c.runOnce(), c.runOnce(), c.runOnce()]);
    expect(a).toMatchObject({ partitions: 1, filesBefore: 10, filesAfter: 1, rows: 20 });
    expect(b).toMatchObject({ partitions: 0 });
    expect(d).toMatchObject({ partitions: 0 });
    await c.close();
    await expect(c.runOnce()).rejects.toThrow(/closed/);
    expect(await parquet(lake)).toHaveLength(1);
    expect(await navSum(lake)).toEqual([[20n, 21_110]]);
    // one summary line for the run that merged something, none for the idle ones
    const summaries = lines.map((l) => JSON.parse(l)).filter((l) => /^compacted/.test(l.msg));
    expect(summaries.map((l) => l.msg)).toEqual(['compacted 10 lake file(s) into 1 (20 rows)']);
  });

  it('its timer merges new files by itself; close() waits for a run in progress and stops the timer', async () => {
    const lake = await newLake(8);
    const c = startLakeCompactor({ lakeDir: lake, intervalMs: 10, now: () => NOW, minFiles: 8 });
    for (let i = 0; (await parquet(lake)).length > 1 && i < 2000; i++) await new Promise((r) => setTimeout(r, 10));
    await c.close();
    expect(await parquet(lake)).toHaveLength(1);
    expect(await navSum(lake)).toEqual([[16n, 16_000 + 20 * 36 + 8]]); // 16 rows; Σ(1000 + 10b + i), b = 1..8
    // closed: new files stay as they are
    const more = await newLake(8);
    const idle = startLakeCompactor({ lakeDir: more, intervalMs: 10, now: () => NOW, minFiles: 8 });
    await idle.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(await parquet(more)).toHaveLength(8);
  });

  it('beside a writer that re-delivers batches (settle 0): no row lost or doubled, converges to the exact rows', async () => {
    const lake = join(root, `soak-${++n}`);
    const today = new Date().toISOString().slice(0, 10); // real clock: the files' mtimes are real
    await mkdir(lake);
    const write = (b: number) => writeValuations(lake, today, b);
    const c = startLakeCompactor({ lakeDir: lake, intervalMs: 1, settleMs: 0, minFiles: 2 });
    const session = await LakeSession.open({ lakeDir: lake, threads: 1 });
    try {
      const B = 120;
      for (let b = 1; b <= B; b++) {
        await write(b);
        if (b % 3 === 0 && b > 20) {
          // re-delivery of an older batch, once the runner has merged its file away: skipped
          const old = join(lake, 'valuations', `date=${today}`, `b${b - 20}.parquet`);
          for (let i = 0; existsSync(old) && i < 1000; i++) await new Promise((r) => setTimeout(r, 5));
          expect((await write(b - 20)).mergedInto).toMatch(/^c-[0-9a-f]{16}\.parquet$/);
        }
        if (b % 3 === 1) await write(b); // ... or of the batch just written
        if (b % 10 === 0) {
          // every batch written so far is visible (a materialised query never misses rows during a merge)
          const r = await queryAll(session, 'SELECT count(DISTINCT as_of) FROM valuations', { stream: false });
          expect(r.rows).toEqual([[BigInt(b)]]);
        }
      }
      await c.close();
      await startLakeCompactor({ lakeDir: lake, settleMs: 0, minFiles: 2 }).runOnce();
      // b = 1..120, 2 rows each: count 240, Σ nav = 240 × 1000 + 2 × 10 × 7260 + 120 × 1
      const r = await queryAll(
        session,
        'SELECT count(*), count(DISTINCT (as_of, portfolio_id)), sum(nav) FROM valuations',
      );
      expect(r.rows).toEqual([[240n, 240n, 240_000 + 145_200 + 120]]);
    } finally {
      await c.close();
      session.close();
    }
  });

  it('never keeps a process alive (unref timer)', async () => {
    const lake = await newLake(1);
    const script = `import { startLakeCompactor } from ${JSON.stringify(new URL('../compact-runner.ts', import.meta.url).pathname)};
      startLakeCompactor({ lakeDir: ${JSON.stringify(lake)}, intervalMs: 3_600_000 }); console.log('started');`;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 60_000,
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent' },
    });
    expect(stdout).toBe('started\n'); // and it exited by itself (execFile resolved, not killed by the timeout)
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLakeFile } from '../../lake/writer.js';

const run = promisify(execFile);
const BIN = new URL('../bin.js', import.meta.url).pathname;

let dir: string;
let conn: DuckDBConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-compact-cli-'));
  conn = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  conn?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe('ticklake compact', () => {
  it('merges the files of a past date and prints a summary; query results stay the same', async () => {
    const lakeDir = join(dir, 'lake');
    // Two delivery files of valuations on 2025-12-31 (long closed by the real clock): 3 + 2 rows.
    for (const [file, from, to] of [
      ['b1.parquet', 0, 3],
      ['b2.parquet', 3, 5],
    ] as const) {
      await writeLakeFile(conn, {
        lakeDir,
        table: 'valuations',
        partition: { date: '2025-12-31' },
        fileName: file,
        query: `SELECT 'P' || i AS portfolio_id, 'Inv1' AS investor_id, '1m' AS window,
                  TIMESTAMP '2025-12-31 10:00:00' + INTERVAL (i) MINUTE AS as_of, 1000.0 + i AS nav, NULL AS change,
                  NULL AS change_pct, 2 AS positions, 0 AS missing_prices FROM range(${from}, ${to}) r(i)`,
      });
    }
    const q = `SELECT count(*), sum(nav), min(as_of)::VARCHAR FROM read_parquet('${lakeDir}/valuations/**/*.parquet')`;
    const before = (await conn.runAndReadAll(q)).getRowsJS();
    expect(before).toEqual([[5n, 5010, '2025-12-31 10:00:00']]); // 1000+1001+1002+1003+1004

    const { stdout } = await run(process.execPath, [BIN, 'compact', '--lake-dir', lakeDir, '--table', 'valuations']);
    expect(stdout).toMatch(/^compacted 1 partition\(s\): 2 file\(s\) -> 1, 5 row\(s\) in \d+\.\ds\n$/);
    expect((await conn.runAndReadAll(q)).getRowsJS()).toEqual(before);
    expect(await readdir(join(lakeDir, 'valuations', 'date=2025-12-31'))).toEqual([
      '.compacted.json',
      expect.stringMatching(/^c-[0-9a-f]{16}\.parquet$/),
    ]);
  });

  it('--open-dates merges the settled files of today, leaves the young one; results stay the same', async () => {
    const lakeDir = join(dir, 'open');
    const today = new Date().toISOString().slice(0, 10);
    const part = join(lakeDir, 'valuations', `date=${today}`);
    for (let b = 1; b <= 4; b++) {
      await writeLakeFile(conn, {
        lakeDir,
        table: 'valuations',
        partition: { date: today },
        fileName: `b${b}.parquet`,
        query: `SELECT 'P1' AS portfolio_id, 'Inv1' AS investor_id, '1m' AS window,
                  TIMESTAMP '${today} 00:00:00' + INTERVAL (${b}) MINUTE AS as_of, 100.0 * ${b} AS nav, NULL AS change,
                  NULL AS change_pct, 1 AS positions, 0 AS missing_prices`,
      });
      // b1..b3 written 10 minutes ago, b4 just now
      const t = new Date(Date.now() - (b < 4 ? 600_000 : 0));
      await utimes(join(part, `b${b}.parquet`), t, t);
    }
    const q = `SELECT count(*), sum(nav) FROM read_parquet('${lakeDir}/valuations/**/*.parquet')`;
    expect((await conn.runAndReadAll(q)).getRowsJS()).toEqual([[4n, 1000]]); // 100 + 200 + 300 + 400

    const plain = await run(process.execPath, [BIN, 'compact', '--lake-dir', lakeDir]);
    expect(plain.stdout).toMatch(/^compacted 0 partition\(s\)/); // today is open: untouched by default
    const { stdout } = await run(process.execPath, [
      BIN,
      'compact',
      '--lake-dir',
      lakeDir,
      '--open-dates',
      '--settle',
      '5m',
      '--min-files',
      '3',
    ]);
    expect(stdout).toMatch(/^compacted 1 partition\(s\): 3 file\(s\) -> 1, 3 row\(s\) in \d+\.\ds\n$/);
    expect((await readdir(part)).filter((f) => f.endsWith('.parquet')).sort()).toEqual([
      'b4.parquet',
      expect.stringMatching(/^c-[0-9a-f]{16}\.parquet$/),
    ]);
    expect((await conn.runAndReadAll(q)).getRowsJS()).toEqual([[4n, 1000]]);

    const bad = await run(process.execPath, [BIN, 'compact', '--lake-dir', lakeDir, '--min-files', '1']).catch(
      (e) => e,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid value for --min-files: 1 (at least 2)');
  });

  it('an unknown table exits 2 naming the choices; a missing lake exits 1 with TL_LAKE_NOT_FOUND', async () => {
    const a = await run(process.execPath, [BIN, 'compact', '--lake-dir', dir, '--table', 'nope']).catch((e) => e);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('Invalid value for --table: "nope" (not a lake table; one of ticks, bars');
    const b = await run(process.execPath, [BIN, 'compact', '--lake-dir', join(dir, 'missing')]).catch((e) => e);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('[TL_LAKE_NOT_FOUND]');
  });
});

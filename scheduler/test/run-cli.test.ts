/**
 * `ticklake run --once` as the README gives it, over a lake with no ticks and the bundled seed DAG: it runs the
 * latest interval of every job, prints one line per run, and exits 1 because the blocking freshness check failed
 * (no ticks at all) and so blocked the model; `pipeline_runs` records the same.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect, it } from 'vitest';

const BIN = new URL('../../cli/bin.js', import.meta.url).pathname;

it('ticklake run --once runs the seed DAG once and exits 1 when a blocking check failed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tl-run-once-'));
  try {
    const lake = join(dir, 'lake');
    const r = await promisify(execFile)(process.execPath, [
      BIN,
      'run',
      '--once',
      '--lake-dir',
      lake,
      '--log-level',
      'warn',
    ]).catch((e) => e);
    expect(r.code, r.stderr).toBe(1);
    const lines = String(r.stdout).trim().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines.find((l) => l.startsWith('check.freshness@'))).toMatch(/#1 failed rows=1 1 violating row/);
    expect(lines.find((l) => l.startsWith('model.hourly_symbol_stats@'))).toMatch(
      /#1 blocked rows=0 blocking check check\.freshness failed/,
    );
    expect(lines.find((l) => l.startsWith('model.pipeline_report@'))).toMatch(/#1 success rows=7$/);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = (
      await c.runAndReadAll(
        `select status, count(*)::int as n from read_parquet('${lake}/pipeline_runs/**/*.parquet') group by all order by all`,
      )
    ).getRows();
    c.closeSync();
    db.closeSync();
    expect(Object.fromEntries(rows)).toEqual({ blocked: 2, failed: 2, success: 4 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * `ticklake export` on a small lake (the fixture's daily bars of ACME and IDX, test/helpers/filings-fixture.ts):
 * the partition folders and their row counts equal the table's groups, every JSONL line (gzipped or not) parses
 * back to the same row as the table gives, and the Parquet export read back with hive partitioning is the table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePrices, writeFixtureBars } from '../../test/helpers/filings-fixture.js';
import { exportTable, hiveValue } from '../export.js';
import { LakeSession } from '../session.js';

const BIN = join(import.meta.dirname, '..', '..', 'cli', 'bin.js');
let dir: string;
let session: LakeSession;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ticklake-export-'));
  await writeFixtureBars(join(dir, 'lake'));
  session = await LakeSession.open({ lakeDir: join(dir, 'lake'), confined: false });
});
afterAll(() => {
  session?.close();
  rmSync(dir, { recursive: true, force: true });
});

const files = (root: string): string[] =>
  readdirSync(root, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(root, e.name)) : [join(root, e.name)],
  );

/** The table's rows as the JSON text DuckDB would not be asked for: built here from the JS values. */
async function tableRows(where: string) {
  const c = await session.connect();
  try {
    const r = await c.runAndReadAll(
      `select window_start, close, volume, trades from bars where ${where} order by window_start`,
    );
    return r.getRowObjectsJS().map((x) => ({
      window_start: (x.window_start as Date).toISOString().replace('T', ' ').slice(0, 19),
      close: x.close,
      volume: Number(x.volume),
      trades: Number(x.trades),
    }));
  } finally {
    c.closeSync();
  }
}

describe('export', () => {
  it('JSONL, gzipped, partitioned by symbol and window: layout, counts and rows equal the table', async () => {
    const prices = fixturePrices();
    const out = join(dir, 'jsonl');
    const r = await exportTable(session, {
      table: 'bars',
      format: 'jsonl',
      partitionBy: ['symbol', 'window'],
      out,
      gzip: true,
    });
    expect(r.rows).toBe(2 * prices.length);
    expect(
      files(out)
        .map((f) => relative(out, f))
        .sort(),
    ).toEqual(['symbol=ACME/window=1m/part-0.jsonl.gz', 'symbol=IDX/window=1m/part-0.jsonl.gz']);
    for (const sym of ['ACME', 'IDX']) {
      const lines = gunzipSync(readFileSync(join(out, `symbol=${sym}`, 'window=1m', 'part-0.jsonl.gz')))
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.length).toBe(prices.length);
      expect(Object.keys(lines[0])).not.toContain('symbol'); // in the path only
      expect(
        lines.map((l) => ({ window_start: l.window_start, close: l.close, volume: l.volume, trades: l.trades })),
      ).toEqual(await tableRows(`symbol = '${sym}'`));
      // and the closes are the fixture's
      expect(lines.map((l) => l.close)).toEqual(prices.map((p) => (sym === 'ACME' ? p.acme : p.idx)));
    }
  });

  it('plain JSONL by symbol and date: one folder per group of the table, each with as many lines as the group', async () => {
    const out = join(dir, 'jsonl-plain');
    await exportTable(session, { table: 'bars', format: 'jsonl', partitionBy: ['symbol', 'date'], out });
    // the groups, counted here by DuckDB over the table
    const c = await session.connect();
    let groups: Record<string, number>;
    try {
      const r = await c.runAndReadAll('select symbol, date::varchar as d, count(*) as n from bars group by all');
      groups = Object.fromEntries(
        r.getRowsJS().map(([sym, d, n]) => [`symbol=${sym}/date=${d}/part-0.jsonl`, Number(n)]),
      );
    } finally {
      c.closeSync();
    }
    expect(Object.keys(groups).length).toBe(2 * fixturePrices().length);
    // the files, counted by reading them
    const found = Object.fromEntries(
      files(out).map((f) => {
        const lines = readFileSync(f, 'utf8')
          .split('\n')
          .filter((l) => l !== '');
        for (const l of lines) JSON.parse(l);
        return [relative(out, f), lines.length];
      }),
    );
    expect(found).toEqual(groups);
  });

  it('the CLI: Parquet partitioned by date, read back with hive partitioning equals the table', async () => {
    const out = join(dir, 'parquet');
    const run = spawnSync(
      process.execPath,
      [
        BIN,
        'export',
        '--lake-dir',
        join(dir, 'lake'),
        '--table',
        'bars',
        '--format',
        'parquet',
        '--partition-by',
        'date',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`bars: ${2 * fixturePrices().length} rows in ${fixturePrices().length} files`);
    const c = await session.connect();
    try {
      const diff = await c.runAndReadAll(`
        (select symbol, window_start, close, date from bars
         except all
         select symbol, window_start, close, date from read_parquet('${out}/**/*.parquet', hive_partitioning = true,
           hive_types = {'date': date}))
        union all
        (select symbol, window_start, close, date from read_parquet('${out}/**/*.parquet', hive_partitioning = true,
           hive_types = {'date': date})
         except all
         select symbol, window_start, close, date from bars)`);
      expect(diff.getRowsJS()).toEqual([]);
      const perDir = readdirSync(out).sort();
      expect(perDir[0]).toBe(`date=${fixturePrices()[0].day}`);
    } finally {
      c.closeSync();
    }
  });

  it('refuses a non-empty --out, an unknown column and --gzip with Parquet, naming the setting', async () => {
    await expect(
      exportTable(session, { table: 'bars', format: 'jsonl', partitionBy: [], out: join(dir, 'jsonl') }),
    ).rejects.toThrow(/--out: .* \(the directory is not empty\)/);
    await expect(
      exportTable(session, { table: 'bars', format: 'jsonl', partitionBy: ['nope'], out: join(dir, 'x') }),
    ).rejects.toThrow('Invalid value for --partition-by: nope (no column nope in bars)');
    await expect(
      exportTable(session, { table: 'bars', format: 'parquet', partitionBy: [], out: join(dir, 'y'), gzip: true }),
    ).rejects.toThrow(/--gzip/);
    expect(hiveValue('10-K/A')).toBe('10-K%2FA');
    expect(hiveValue(null)).toBe('__HIVE_DEFAULT_PARTITION__');
  });
});

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../core/errors.js';
import { LAKE_TABLES } from '../tables.js';
import { removeTempFiles, writeLakeFile } from '../writer.js';

let dir: string;
let inst: DuckDBInstance;
let conn: DuckDBConnection;

async function rows(sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

// Three 1m bars of two symbols, written by hand.
const BARS = `SELECT * FROM (VALUES
  ('AAPL', TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:01:00', 10.0, 11.0, 9.0, 10.5, 300, 3150.0, 10.5, 3, 0.05, NULL, NULL),
  ('AAPL', TIMESTAMP '2026-01-01 00:01:00', TIMESTAMP '2026-01-01 00:02:00', 10.5, 10.5, 10.0, 10.0, 100, 1000.0, 10.0, 1, 0.0166, NULL, -0.0488),
  ('MSFT', TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:01:00', 20.0, 20.0, 20.0, 20.0, 5, 100.0, 20.0, 1, 0.0166, NULL, NULL)
) AS t(symbol, window_start, window_end, open, high, low, close, volume, notional, vwap, trades, trade_rate, volatility, log_return)`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-writer-'));
  inst = await DuckDBInstance.create(':memory:');
  conn = await inst.connect();
});
afterAll(async () => {
  conn?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe('writeLakeFile', () => {
  it('writes a ZSTD Parquet file with exactly the contract columns, in order, under the Hive path', async () => {
    const lakeDir = join(dir, 'a');
    const part = { window: '1m', date: '2026-01-01' };
    const res = await writeLakeFile(conn, {
      lakeDir,
      table: 'bars',
      partition: part,
      fileName: 'b1.parquet',
      query: BARS,
    });
    expect(res).toEqual({ path: join(lakeDir, 'bars', 'window=1m', 'date=2026-01-01', 'b1.parquet'), rows: 3 });

    const bars = LAKE_TABLES.find((t) => t.name === 'bars')!;
    const schema = await rows(`DESCRIBE SELECT * FROM read_parquet('${res.path}', hive_partitioning = false)`);
    expect(schema.map((r) => `${r[0]} ${r[1]}`)).toEqual(bars.columns.map((c) => `${c.name} ${c.type}`));

    const codecs = await rows(`SELECT DISTINCT compression FROM parquet_metadata('${res.path}')`);
    expect(codecs).toEqual([['ZSTD']]);

    // Read back like the views do: the partition columns come from the path.
    const back = await rows(
      `SELECT symbol, "window", date::VARCHAR, strftime(window_start, '%H:%M'), volume, close
       FROM read_parquet('${lakeDir}/bars/**/*.parquet', hive_partitioning = true) ORDER BY symbol, window_start`,
    );
    expect(back).toEqual([
      ['AAPL', '1m', '2026-01-01', '00:00', 300, 10.5],
      ['AAPL', '1m', '2026-01-01', '00:01', 100, 10.0],
      ['MSFT', '1m', '2026-01-01', '00:00', 5, 20.0],
    ]);
  });

  it('binds parameters; writing the same name again replaces the file (re-delivery), another name adds one', async () => {
    const lakeDir = join(dir, 'b');
    const spec = {
      lakeDir,
      table: 'bars',
      partition: { window: '1m', date: '2026-01-01' },
      query: `${BARS} WHERE symbol = $s`,
    };
    await writeLakeFile(conn, { ...spec, fileName: 'b7.parquet', params: { s: 'AAPL' } });
    const again = await writeLakeFile(conn, { ...spec, fileName: 'b7.parquet', params: { s: 'AAPL' } });
    expect(again.rows).toBe(2);
    const glob = `read_parquet('${lakeDir}/bars/**/*.parquet', hive_partitioning = true)`;
    expect(await rows(`SELECT count(*), sum(volume) FROM ${glob}`)).toEqual([[2n, 400]]);

    await writeLakeFile(conn, { ...spec, fileName: 'b7.parquet', params: { s: 'MSFT' } });
    expect(await rows(`SELECT symbol, count(*) FROM ${glob} GROUP BY ALL`)).toEqual([['MSFT', 1n]]);

    await writeLakeFile(conn, { ...spec, fileName: 'b8.parquet', params: { s: 'AAPL' } });
    expect(await rows(`SELECT count(*) FROM ${glob}`)).toEqual([[3n]]);
  });

  it('a failing query leaves the previous file intact and no temporary file; the error names the file', async () => {
    const lakeDir = join(dir, 'c');
    const partition = { date: '2026-01-02' };
    const base = { lakeDir, table: 'ticks', partition, fileName: 'p0-0-1.parquet' };
    const ticks = `SELECT 'AAPL' AS symbol, 'XNAS' AS exchange, 'equity' AS asset_class, TIMESTAMP '2026-01-02 10:00:00' AS ts,
      1.5 AS price, 10 AS size, 0 AS kafka_partition, o AS kafka_offset FROM range(2) r(o)`;
    await writeLakeFile(conn, { ...base, query: ticks });

    // error() fails mid-query, after DuckDB has started writing the temporary file.
    const failing = `${ticks.replace('FROM range(2) r(o)', 'FROM range(100000) r(o)')} WHERE o < 99999 OR error('boom') IS NULL`;
    let err: unknown;
    try {
      await writeLakeFile(conn, { ...base, query: failing });
    } catch (e) {
      err = e;
    }
    expect(isTicklakeError(err, 'TL_LAKE_WRITE')).toBe(true);
    expect((err as Error).message).toContain(join(lakeDir, 'ticks', 'date=2026-01-02', 'p0-0-1.parquet'));
    expect((err as Error).message).toContain('boom');
    expect(await readdir(join(lakeDir, 'ticks', 'date=2026-01-02'))).toEqual(['p0-0-1.parquet']);
    expect(await rows(`SELECT count(*) FROM read_parquet('${lakeDir}/ticks/**/*.parquet')`)).toEqual([[2n]]);
  });

  it('a query missing a contract column is refused with TL_LAKE_WRITE naming the column', async () => {
    const lakeDir = join(dir, 'd');
    await expect(
      writeLakeFile(conn, {
        lakeDir,
        table: 'ticks',
        partition: { date: '2026-01-02' },
        fileName: 'x.parquet',
        query: `SELECT 'A' AS symbol`,
      }),
    ).rejects.toThrow(/Could not write lake file .*x\.parquet: .*exchange/s);
  });

  it.each(['../x.parquet', '.hidden.parquet', 'x.csv', 'a/b.parquet'])('refuses the file name %s', async (fileName) => {
    await expect(
      writeLakeFile(conn, {
        lakeDir: join(dir, 'e'),
        table: 'ticks',
        partition: { date: '2026-01-02' },
        fileName,
        query: 'SELECT 1',
      }),
    ).rejects.toMatchObject({ code: 'TL_LAKE_WRITE' });
  });

  it('readers never see a partial file while the same name is overwritten again and again', async () => {
    const lakeDir = join(dir, 'f');
    const spec = (n: number) => ({
      lakeDir,
      table: 'ticks',
      partition: { date: '2026-01-03' },
      fileName: 'p1-0-9.parquet',
      query: `SELECT 'S' AS symbol, 'X' AS exchange, 'equity' AS asset_class, TIMESTAMP '2026-01-03 00:00:00' + INTERVAL (o) SECOND AS ts,
        1.0 AS price, 1 AS size, 1 AS kafka_partition, o AS kafka_offset FROM range(${n}) r(o)`,
    });
    await writeLakeFile(conn, spec(20_000));
    const reader = await inst.connect();
    const seen = new Set<bigint>();
    let writing = true;
    const readLoop = (async () => {
      while (writing) {
        const r = await reader.runAndReadAll(`SELECT count(*) FROM read_parquet('${lakeDir}/ticks/**/*.parquet')`);
        seen.add(r.getRowsJS()[0][0] as bigint);
      }
    })();
    for (let i = 0; i < 12; i++) await writeLakeFile(conn, spec(i % 2 === 0 ? 30_000 : 20_000));
    writing = false;
    await readLoop;
    reader.closeSync();
    expect(seen.size).toBeGreaterThan(0);
    for (const n of seen) expect([20_000n, 30_000n]).toContain(n);
  });
});

describe('removeTempFiles', () => {
  it('removes stale .<name>.tmp files from a crash, keeps fresh ones and real files; readers ignore them', async () => {
    const partDir = join(dir, 'g', 'ticks', 'date=2026-01-04');
    await writeLakeFile(conn, {
      lakeDir: join(dir, 'g'),
      table: 'ticks',
      partition: { date: '2026-01-04' },
      fileName: 'p0-0-0.parquet',
      query: `SELECT 'S' AS symbol, 'X' AS exchange, 'fx' AS asset_class, TIMESTAMP '2026-01-04 01:00:00' AS ts, 2.0 AS price, 3 AS size, 0 AS kafka_partition, 0 AS kafka_offset`,
    });
    const stale = join(partDir, '.p0-1-5.parquet.tmp');
    const fresh = join(partDir, '.p0-6-9.parquet.tmp');
    await writeFile(stale, 'half a parquet file');
    await writeFile(fresh, 'being written right now');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, hourAgo, hourAgo);

    expect(await rows(`SELECT count(*) FROM read_parquet('${join(dir, 'g')}/ticks/**/*.parquet')`)).toEqual([[1n]]);
    expect(await removeTempFiles(join(dir, 'g'))).toEqual([stale]);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(join(partDir, 'p0-0-0.parquet'))).toBe(true);
    expect(await removeTempFiles(join(dir, 'missing'))).toEqual([]);
  });
});

/**
 * A merge's sort stays within the merge memory limit (lake/compact.ts MERGE_MEMORY_LIMIT). The background compaction
 * runs inside `ticklake start`'s process; its DuckDB used to run with DuckDB's default limit (80 % of the machine),
 * and a 16 MiB group of tick files held ~400 MiB in its ORDER BY (seen on ticklake_duckdb_memory_bytes during a
 * run), memory the process's allocator then kept. Here a closed date of 40 tick files (2,000,000 rows, ~10 MiB of
 * ZSTD Parquet, ~300 MB in an unbounded sort) is merged under a 64 MB limit is merged while the compaction database's memory is sampled every 10 ms from a second connection; the
 * merged file holds exactly the source rows, in key order. A limit too small for the group (16 MB here: DuckDB's
 * reader and sort buffers need more) does not stop compaction: the group is merged once without it, with a warning.
 */
import { mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckDbMemory } from '../../core/duckdb-databases.js';
import { compactLake } from '../compact.js';

const ROWS = 2_000_000;
const FILES = 40;
const LIMIT = 64 * 1024 * 1024;

describe('compaction memory', () => {
  let dir: string;
  let conn: DuckDBConnection;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-compact-memory-'));
    const part = join(dir, 'ticks', 'date=2020-01-02');
    mkdirSync(part, { recursive: true });
    conn = await (await DuckDBInstance.create(':memory:')).connect();
    const per = ROWS / FILES;
    for (let f = 0; f < FILES; f++) {
      // offsets interleaved across files, so the merge really has to sort
      await conn.run(`COPY (
        SELECT 'S' || (i % 97)::VARCHAR AS symbol, 'XNAS' AS exchange, 'equity' AS asset_class,
               TIMESTAMP '2020-01-02' + to_microseconds(i::BIGINT) AS ts, (100 + i % 1000 / 10)::DOUBLE AS price,
               (1 + i % 7)::DOUBLE AS size, (i % 3)::INTEGER AS kafka_partition, (i * 7 + ${f})::BIGINT AS kafka_offset
        FROM range(${f * per}, ${(f + 1) * per}) t(i)
      ) TO '${join(part, `p0-${f * per}-${(f + 1) * per - 1}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`);
    }
    // written minutes apart, as batches are (the newest batch's files are never merged)
    const names = readdirSync(part).sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
    names.forEach((f, i) => {
      const t = (Date.now() - (FILES - i) * 180_000) / 1000;
      utimesSync(join(part, f), t, t);
    });
    const all = names.slice(0, -1).map((f) => `'${join(part, f)}'`);
    // the rows a merge must keep, read before it (independently of it)
    await conn.run(`CREATE TABLE src AS SELECT * FROM read_parquet([${all.join(', ')}])`);
  }, 120_000);

  /** Rows of the source missing from `rel`, and rows of `rel` not in the source (bag semantics: duplicates count). */
  const differing = async (rel: string) => {
    const n = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRowsJS()[0][0]);
    return [
      await n(`SELECT count(*) FROM (SELECT * FROM src EXCEPT ALL SELECT * FROM ${rel})`),
      await n(`SELECT count(*) FROM (SELECT * FROM ${rel} EXCEPT ALL SELECT * FROM src)`),
    ];
  };

  afterAll(async () => {
    conn?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a limit the group cannot be sorted in: merged once without it, with a warning, no row lost', async () => {
    const lake = join(dir, 'copy');
    await cp(join(dir, 'ticks'), join(lake, 'ticks'), { recursive: true, preserveTimestamps: true });
    const lines: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const res = await compactLake({
      lakeDir: lake,
      openDates: true,
      tiers: { settleMs: 0 },
      memoryLimit: '16MB',
      logger,
    });
    expect(res.rows).toBe(ROWS - ROWS / FILES);
    expect(lines.join('\n')).toMatch(/Out of Memory.*merge over the memory limit/);
    expect(await differing(`read_parquet('${lake}/ticks/*/c-*.parquet')`)).toEqual([0, 0]);
  }, 120_000);

  it('a merge whose sort is larger than the limit spills instead of growing past it, and loses no row', async () => {
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const used = (await duckDbMemory()).filter((x) => x.database === 'compaction').reduce((a, x) => a + x.bytes, 0);
        peak = Math.max(peak, used);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const res = await compactLake({ lakeDir: dir, openDates: true, tiers: { settleMs: 0 }, memoryLimit: '64MB' });
    sampling = false;
    await sampler;
    expect(res.rows).toBe(ROWS - ROWS / FILES); // every file but the newest batch's
    expect(peak).toBeGreaterThan(0); // the sampler saw the merge
    expect(peak).toBeLessThanOrEqual(LIMIT * 1.25);
    const merged = readdirSync(join(dir, 'ticks', 'date=2020-01-02')).filter((f) => f.startsWith('c-'));
    expect(merged).toHaveLength(1);
    const file = `'${join(dir, 'ticks', 'date=2020-01-02', merged[0])}'`;
    expect(await differing(`read_parquet(${file})`)).toEqual([0, 0]);
    // in key order: no row whose (partition, offset) is below its predecessor's
    const [[unsorted]] = (
      await conn.runAndReadAll(`SELECT count(*)::INTEGER FROM (
        SELECT kafka_partition AS p, kafka_offset AS o,
               lag(kafka_partition) OVER (ORDER BY file_row_number) AS pp, lag(kafka_offset) OVER (ORDER BY file_row_number) AS po
        FROM read_parquet(${file}, file_row_number = true)) WHERE pp IS NOT NULL AND (p, o) < (pp, po)`)
    ).getRowsJS();
    expect(unsorted).toBe(0);
  }, 120_000);
});

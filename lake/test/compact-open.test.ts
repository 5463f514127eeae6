import { copyFile, mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeOrphanTickFiles } from '../../processors/ticks/tick-archive.js';
import { type CompactStep, compactLake } from '../compact.js';
import type { TierOptions } from '../compact-plan.js';
import { writeLakeFile } from '../writer.js';

// Clock: 2026-01-03 12:00 UTC; 2026-01-03 is the open date.
const NOW = Date.UTC(2026, 0, 3, 12);
const DATE = '2026-01-03';
const MIN = 60_000;

let root: string;
let inst: DuckDBInstance;
let conn: DuckDBConnection;
let n = 0;

const glob = (lake: string) =>
  `read_parquet('${lake}/ticks/**/*.parquet', hive_partitioning = true, union_by_name = true)`;
const all = async (sql: string) => (await conn.runAndReadAll(sql)).getRowsJS() as unknown[][];
const dirOf = (lake: string) => join(lake, 'ticks', `date=${DATE}`);
/** Parquet files in view, except the in-flight batch files newLake() adds. */
const visible = async (lake: string) =>
  (await readdir(dirOf(lake))).filter((f) => f.endsWith('.parquet') && !f.startsWith('.') && !INFLIGHT.test(f)).sort();
const INFLIGHT = /^p\d+-1000000000-1000000000\.parquet$/;

/** Full sorted rows and aggregates, plain SQL over the files. */
async function snapshot(lake: string) {
  return {
    rows: await all(`SELECT * EXCLUDE (date) FROM ${glob(lake)} ORDER BY kafka_partition, kafka_offset`),
    agg: await all(
      `SELECT count(*), count(DISTINCT (kafka_partition, kafka_offset)), sum(size), round(sum(price * size), 6),
              min(ts), max(ts) FROM ${glob(lake)}`,
    ),
  };
}
const dups = (lake: string) =>
  all(`SELECT kafka_partition, kafka_offset FROM ${glob(lake)} GROUP BY ALL HAVING count(*) > 1`);

/**
 * Writes tick file p<p>-<lo>-<hi> of the open date through the real writer, rows from a deterministic formula
 * (hash-spread prices, so files do not compress to nothing), and sets its mtime `ageMs` before NOW.
 */
async function tickFile(lake: string, p: number, lo: number, hi: number, ageMs: number): Promise<string> {
  return (await tickWrite(lake, p, lo, hi, ageMs)).fileName;
}

async function tickWrite(lake: string, p: number, lo: number, hi: number, ageMs: number, date = DATE) {
  const fileName = `p${p}-${lo}-${hi}.parquet`;
  const res = await writeLakeFile(conn, {
    lakeDir: lake,
    table: 'ticks',
    partition: { date },
    fileName,
    query: `SELECT ['AAPL', 'MSFT', 'EURUSD'][1 + (o % 3)] AS symbol, 'XNAS' AS exchange, 'equity' AS asset_class,
              TIMESTAMP '${date} 00:00:00' + to_milliseconds(o * 37) AS ts, 100 + (hash(o) % 100000) / 1000.0 AS price,
              1 + hash(o, 'size') % 500 AS size, ${p} AS kafka_partition, o AS kafka_offset
            FROM range(${lo}, ${hi + 1}) r(o)`,
  });
  const t = new Date(NOW - ageMs);
  if (!res.mergedInto) await utimes(join(lake, 'ticks', `date=${date}`, fileName), t, t);
  return { fileName, ...res };
}

/**
 * A new lake holding, for Kafka partitions 0, 1 and 9, an empty tick file of a batch "in flight" (offset 10^9):
 * compaction never merges the newest tick file of a partition (it may belong to a batch that has not committed),
 * so these keep every other file of the tests mergeable. They hold no rows and do not change any query result.
 */
async function newLake(): Promise<string> {
  const lake = join(root, `lake-${++n}`);
  for (const p of [0, 1, 9]) {
    await writeLakeFile(conn, {
      lakeDir: lake,
      table: 'ticks',
      partition: { date: DATE },
      fileName: `p${p}-1000000000-1000000000.parquet`,
      query: `SELECT NULL AS symbol, NULL AS exchange, NULL AS asset_class, NULL AS ts, NULL AS price, NULL AS size,
                ${p} AS kafka_partition, 1000000000 AS kafka_offset WHERE false`,
    });
  }
  return lake;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-compact-open-'));
  inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  conn = await inst.connect();
});
afterAll(async () => {
  conn?.closeSync();
  await rm(root, { recursive: true, force: true });
});

describe('compactLake({ openDates }): the open date by size tiers', () => {
  it('merges settled small files, leaves young and big ones; results equal after every round', async () => {
    const lake = await newLake();
    const tiers: Partial<TierOptions> = { minFiles: 4, maxFileBytes: 256 * 1024, tierBaseBytes: 1024 * 1024 };
    const big = await tickFile(lake, 9, 0, 39_999, 60 * MIN);
    const bigStat = await stat(join(dirOf(lake), big));
    expect(bigStat.size).toBeGreaterThanOrEqual(256 * 1024); // precondition: it is "big"
    for (let i = 0; i < 10; i++) await tickFile(lake, 0, i * 100, i * 100 + 99, 10 * MIN);
    for (let i = 10; i < 13; i++) await tickFile(lake, 0, i * 100, i * 100 + 99, MIN / 2);
    const before = await snapshot(lake);
    expect(before.rows.length).toBe(40_000 + 1300);

    // Round 1: the 10 settled small files (one tier: all below tierBaseBytes) become one; 3 young + big stay.
    const r1 = await compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers });
    expect(r1).toMatchObject({ partitions: 1, filesBefore: 10, filesAfter: 1, rows: 1000 });
    const after1 = await visible(lake);
    expect(after1.length).toBe(1 + 3 + 1);
    expect(after1).toContain(big);
    expect(after1.filter((f) => f.startsWith('p0-'))).toEqual([
      'p0-1000-1099.parquet',
      'p0-1100-1199.parquet',
      'p0-1200-1299.parquet',
    ]);
    expect(await snapshot(lake)).toEqual(before);

    // Same clock again: nothing to do (3 young files < 4 anyway).
    expect(await compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers })).toMatchObject({ partitions: 0 });

    // Five minutes later the young files have settled: merged file + 3 = 4 files, one merge; big untouched.
    const r2 = await compactLake({ lakeDir: lake, now: NOW + 5 * MIN, openDates: true, tiers });
    expect(r2).toMatchObject({ partitions: 1, filesBefore: 4, filesAfter: 1, rows: 1300 });
    const after2 = await visible(lake);
    expect(after2.length).toBe(2);
    expect((await stat(join(dirOf(lake), big))).mtimeMs).toBe(bigStat.mtimeMs);
    expect(await snapshot(lake)).toEqual(before);
    expect(await dups(lake)).toEqual([]);

    // A closed date gets its leftover small files merged once more, the big file stays as it is.
    const later = Date.UTC(2026, 0, 5);
    await tickFile(lake, 0, 1300, 1399, 0);
    const r3 = await compactLake({ lakeDir: lake, now: later, openDates: true, tiers });
    expect(r3).toMatchObject({ partitions: 1, filesBefore: 2, filesAfter: 1 });
    expect((await visible(lake)).length).toBe(2);
    expect((await snapshot(lake)).rows.length).toBe(before.rows.length + 100);
    expect(await dups(lake)).toEqual([]);
  });

  it('a merged file is merged again only with peers of its size tier, so rows are rewritten a bounded number of times', async () => {
    const lake = await newLake();
    let off = 0;
    const add = async (count: number) => {
      for (let i = 0; i < count; i++, off += 1000) await tickFile(lake, 0, off, off + 999, 10 * MIN);
    };
    const sizes = async () =>
      Promise.all((await visible(lake)).map(async (f) => (await stat(join(dirOf(lake), f))).size));
    await add(4);
    // Tier 0 below twice the size of one small file: small files are tier 0, 4 merged ones tier 1 (base..4 base).
    const base = 2 * Math.max(...(await sizes()));
    const tiers: Partial<TierOptions> = { minFiles: 4, tierBaseBytes: base, maxFileBytes: 1024 * base };
    const round = () => compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers });

    expect(await round()).toMatchObject({ partitions: 1, filesBefore: 4 });
    const [a] = await sizes();
    expect(a).toBeGreaterThanOrEqual(base); // precondition: the merged file is in tier 1
    expect(a).toBeLessThan(4 * base);

    // 3 new small files: tier 0 has 3 < 4, tier 1 has 1 < 4. Nothing is rewritten (a single-tier scheme would
    // rewrite the merged file together with them).
    await add(3);
    expect(await round()).toMatchObject({ partitions: 0 });
    await add(1);
    expect(await round()).toMatchObject({ partitions: 1, filesBefore: 4, rows: 4000 }); // only the 4 small ones
    expect((await visible(lake)).length).toBe(2);
    for (let k = 0; k < 2; k++) {
      await add(4);
      expect(await round()).toMatchObject({ partitions: 1, filesBefore: 4, rows: 4000 });
    }
    // Four tier-1 files now: they are merged, once, into a tier-2 file.
    expect((await visible(lake)).length).toBe(4);
    expect(await round()).toMatchObject({ partitions: 1, filesBefore: 4, rows: 16_000 });
    expect((await visible(lake)).length).toBe(1);
    expect(Math.min(...(await sizes()))).toBeGreaterThanOrEqual(4 * base); // precondition: tier 2
    expect(await round()).toMatchObject({ partitions: 0 });
    const rows = await all(
      `SELECT count(*), count(DISTINCT kafka_offset), min(kafka_offset), max(kafka_offset) FROM ${glob(lake)}`,
    );
    expect(rows).toEqual([[16_000n, 16_000n, 0n, 15_999n]]);
  });

  it.each<[CompactStep, number]>([
    ['merged-written', 1],
    ['pending-recorded', 1],
    ['source-deleted', 1],
    ['source-deleted', 3],
    ['published', 1],
  ])('open date: a crash after %s (#%i) never shows a row twice; the next run converges', async (step, nth) => {
    const lake = await newLake();
    const tiers: Partial<TierOptions> = { minFiles: 4, tierBaseBytes: 1024 * 1024 };
    for (let i = 0; i < 6; i++) await tickFile(lake, i % 2, i * 50, i * 50 + 49, 10 * MIN);
    const before = await snapshot(lake);
    // first a clean round, so that the crash hits a merge that also merges a merged file (transitive manifest)
    await compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers });
    for (let i = 6; i < 9; i++) await tickFile(lake, i % 2, i * 50, i * 50 + 49, 10 * MIN);
    const full = await snapshot(lake);
    expect(full.rows.length).toBe(before.rows.length + 150);

    let seen = 0;
    const crash = new Error(`crash after ${step}`);
    await expect(
      compactLake({
        lakeDir: lake,
        now: NOW,
        openDates: true,
        tiers,
        onStep: (s) => {
          if (s === step && ++seen === nth) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect(await dups(lake)).toEqual([]);
    const key = (r: unknown[]) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}` : v));
    const original = new Set(full.rows.map(key));
    for (const r of (await snapshot(lake)).rows) expect(original.has(key(r))).toBe(true);

    // A batch of the crashed merge re-delivered now is not written twice.
    // ... also one merged by the clean round before, into a file the crashed merge was merging again.
    const merged = await tickWrite(lake, 1, 3 * 50, 3 * 50 + 49, 10 * MIN);
    expect(merged).toMatchObject({ rows: 0, mergedInto: expect.stringMatching(/^c-[0-9a-f]{16}\.parquet$/) });
    const again = await tickWrite(lake, 1, 7 * 50, 7 * 50 + 49, 10 * MIN);
    if (step === 'merged-written') expect([again.rows, again.mergedInto]).toEqual([50, undefined]);
    else expect(again).toMatchObject({ rows: 0, mergedInto: expect.stringMatching(/^c-[0-9a-f]{16}\.parquet$/) });
    expect(await dups(lake)).toEqual([]);

    const res = await compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers });
    expect(res.recovered).toBe(step === 'merged-written' ? 0 : 1);
    expect(await snapshot(lake)).toEqual(full);
    expect(await dups(lake)).toEqual([]);
    expect((await visible(lake)).length).toBe(1);
    expect((await readdir(dirOf(lake))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the writer skips a batch merged into a file that was itself merged later (transitively)', async () => {
    const lake = await newLake();
    const tiers: Partial<TierOptions> = { minFiles: 2, tierBaseBytes: 1024 * 1024 };
    await tickFile(lake, 0, 0, 99, 10 * MIN);
    await tickFile(lake, 0, 100, 199, 10 * MIN);
    await compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers });
    const [first] = await visible(lake);
    await tickFile(lake, 0, 200, 299, 10 * MIN);
    await compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers });
    const [second] = await visible(lake);
    expect(second).not.toBe(first);
    const before = await snapshot(lake);
    expect(before.rows.length).toBe(300);

    const res = await writeLakeFile(conn, {
      lakeDir: lake,
      table: 'ticks',
      partition: { date: DATE },
      fileName: 'p0-0-99.parquet',
      query: 'SELECT * FROM range(0) r(o)', // never read: the writer skips before running the query
    });
    expect(res).toMatchObject({ rows: 0, mergedInto: second });
    expect(await visible(lake)).toEqual([second]);
    expect(await snapshot(lake)).toEqual(before);
  });

  it('the tick files of the newest batch of a partition (it may not have committed) are never merged', async () => {
    // No in-flight helper files here: this lake is exactly the processor's.
    const lake = join(root, `orphan-${++n}`);
    const tiers: Partial<TierOptions> = { minFiles: 2, tierBaseBytes: 1024 * 1024 };
    const NEXT = '2026-01-04';
    await tickFile(lake, 0, 0, 99, 10 * MIN);
    await tickFile(lake, 0, 100, 199, 10 * MIN);
    await tickFile(lake, 0, 200, 299, 5 * MIN);
    // The last batch (offsets 300..399) spans midnight: one file per date (by name it could be two batches);
    // written, then the processor crashed before its state commit.
    await tickFile(lake, 0, 300, 349, 5 * MIN - 200);
    await tickWrite(lake, 0, 350, 399, 5 * MIN - 300, NEXT);
    const dirNext = join(lake, 'ticks', `date=${NEXT}`);
    const expected = await snapshot(lake);
    const res = await compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers });
    // 0-99 and 100-199 merged; 200-299 was written within a minute of the newest batch, so it waits too
    expect(res).toMatchObject({ partitions: 1, filesBefore: 2 });
    expect((await visible(lake)).filter((f) => !f.startsWith('c-'))).toEqual([
      'p0-200-299.parquet',
      'p0-300-349.parquet',
    ]);
    // Restart: the processor deletes the uncommitted batch's files and consumes offsets 300.. again, cut differently.
    const removed = await removeOrphanTickFiles(lake, () => 300);
    expect(removed.sort()).toEqual([join(dirOf(lake), 'p0-300-349.parquet'), join(dirNext, 'p0-350-399.parquet')]);
    await tickFile(lake, 0, 300, 329, 0);
    await tickFile(lake, 0, 330, 349, 0);
    await tickWrite(lake, 0, 350, 399, 0, NEXT);
    expect(await dups(lake)).toEqual([]);
    expect(await snapshot(lake)).toEqual(expected);
    await compactLake({ lakeDir: lake, now: NOW + 10 * MIN, openDates: true, tiers });
    expect(await snapshot(lake)).toEqual(expected);
    expect(await dups(lake)).toEqual([]);
  });

  it('a file re-written under an already merged name (a writer that raced the merge) is deleted by the next run', async () => {
    const lake = await newLake();
    const tiers: Partial<TierOptions> = { minFiles: 2, tierBaseBytes: 1024 * 1024 };
    const a = await tickFile(lake, 0, 0, 99, 10 * MIN);
    await tickFile(lake, 0, 100, 199, 10 * MIN);
    const keep = join(root, `keep-${n}.parquet`);
    await copyFile(join(dirOf(lake), a), keep); // the bytes a re-delivery of the same batch would write
    await compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers });
    const before = await snapshot(lake);
    // What a writer that checked the manifest just before the merge committed leaves behind, if it then crashed:
    await copyFile(keep, join(dirOf(lake), a));
    expect((await dups(lake)).length).toBe(100);
    const res = await compactLake({ lakeDir: lake, now: NOW, openDates: true, tiers });
    expect(res).toMatchObject({ redeliveredRemoved: 1, partitions: 0 });
    expect(await snapshot(lake)).toEqual(before);
  });
});

/**
 * Readers during compaction: DuckDB lists a view's files when a query starts and opens them later, so a merge that
 * deletes its sources in between hits queries in flight. Materialised queries get an IO error and are run again
 * (lake/query.ts); streamed ones would end early without any error (DuckDB node-api), so they fail with
 * TL_LAKE_CHANGED instead of returning part of the rows (lake/compact-epoch.ts).
 */
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, DuckDBPendingResultState } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactLake } from '../compact.js';
import { isVanishedFileError } from '../compact-epoch.js';
import { queryAll, runQuery } from '../query.js';
import { LakeSession } from '../session.js';
import { writeLakeFile } from '../writer.js';

const NOW = Date.UTC(2026, 0, 3, 12);
const DATE = '2026-01-03';
const FILES = 30;
const PER = 5000;

let root: string;
let inst: DuckDBInstance;
let conn: DuckDBConnection;
let n = 0;

/** A lake of FILES settled tick files of the open date, PER rows each, offsets 0 .. FILES * PER - 1. */
async function newLake(): Promise<string> {
  const lake = join(root, `lake-${++n}`);
  for (let f = 0; f < FILES; f++) {
    const fileName = `p0-${f * PER}-${(f + 1) * PER - 1}.parquet`;
    await writeLakeFile(conn, {
      lakeDir: lake,
      table: 'ticks',
      partition: { date: DATE },
      fileName,
      query: `SELECT 'AAPL' AS symbol, 'XNAS' AS exchange, 'equity' AS asset_class,
                TIMESTAMP '${DATE} 00:00:00' + to_milliseconds(o) AS ts, 100 + o % 7 AS price, 1 + o % 3 AS size,
                0 AS kafka_partition, o AS kafka_offset FROM range(${f * PER}, ${(f + 1) * PER}) r(o)`,
    });
    const t = new Date(NOW - 600_000);
    await utimes(join(lake, 'ticks', `date=${DATE}`, fileName), t, t);
  }
  // an empty file of the batch in flight: compaction leaves the newest tick file of a partition alone
  await writeLakeFile(conn, {
    lakeDir: lake,
    table: 'ticks',
    partition: { date: DATE },
    fileName: `p0-${FILES * PER}-${FILES * PER}.parquet`,
    query: `SELECT NULL AS symbol, NULL AS exchange, NULL AS asset_class, NULL AS ts, NULL AS price, NULL AS size,
              0 AS kafka_partition, 0 AS kafka_offset WHERE false`,
  });
  return lake;
}

const compact = (lakeDir: string) =>
  compactLake({ lakeDir, now: NOW, openDates: true, tiers: { minFiles: 2, tierBaseBytes: 1 << 30 } });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-compact-readers-'));
  inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  conn = await inst.connect();
});
afterAll(async () => {
  conn?.closeSync();
  await rm(root, { recursive: true, force: true });
});

describe('queries while a merge deletes the files they listed', () => {
  it('plain DuckDB: a materialised query fails with an IO error naming the file; a stream just ends early', async () => {
    const lake = await newLake();
    const dir = join(lake, 'ticks', `date=${DATE}`);
    const glob = `read_parquet('${lake}/ticks/**/*.parquet', hive_partitioning = true)`;
    // Materialised: list the files (bind), run a few tasks, delete the second half, run to the end.
    const pending = await conn.start(`SELECT count(*) FROM ${glob}`);
    pending.runTask();
    const names = (await readdir(dir)).sort();
    for (const f of names.slice(FILES / 2)) await rm(join(dir, f));
    const err = await (async () => {
      for (;;) {
        let s: DuckDBPendingResultState;
        try {
          s = pending.runTask();
        } catch (e) {
          return e;
        }
        if (s === DuckDBPendingResultState.RESULT_READY) return undefined;
      }
    })();
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/IO Error: Cannot open file ".*\.parquet": No such file or directory/);
    expect(isVanishedFileError(err)).toBe(true);

    // Streamed: the same deletion after the first chunk ends the stream without an error (node-api cannot tell).
    const lake2 = await newLake();
    const dir2 = join(lake2, 'ticks', `date=${DATE}`);
    const stream = await conn.stream(`SELECT kafka_offset FROM read_parquet('${lake2}/ticks/**/*.parquet')`);
    let rows = (await stream.fetchChunk())?.rowCount ?? 0;
    for (const f of (await readdir(dir2)).sort().slice(FILES / 2)) await rm(join(dir2, f));
    for (;;) {
      const chunk = await stream.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      rows += chunk.rowCount;
    }
    expect(rows).toBeLessThan(FILES * PER); // no error, fewer rows: why lake/query.ts needs the epoch mark
  });

  it('runQuery: a stream that overlapped a merge fails with TL_LAKE_CHANGED instead of returning part of the rows', async () => {
    const lake = await newLake();
    const session = await LakeSession.open({ lakeDir: lake, threads: 1 });
    try {
      const q = await runQuery(session, 'SELECT kafka_offset FROM ticks');
      const it = q.batches();
      const first = await it.next();
      expect(first.done).toBe(false);
      // the merge deletes every file the stream listed, most of them not opened yet
      expect(await compact(lake)).toMatchObject({ partitions: 1, filesBefore: FILES });
      let err: unknown;
      try {
        for (;;) if ((await it.next()).done) break;
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'TL_LAKE_CHANGED', retriable: true });
      // Run again: every row once.
      const again = await queryAll(
        session,
        'SELECT count(*), count(DISTINCT kafka_offset), sum(kafka_offset) FROM ticks',
      );
      const total = FILES * PER;
      expect(again.rows).toEqual([[BigInt(total), BigInt(total), BigInt((total * (total - 1)) / 2)]]);
      // A stream with no merge during it completes normally.
      const calm = await runQuery(session, 'SELECT kafka_offset FROM ticks');
      expect((await calm.all()).length).toBe(total);
    } finally {
      session.close();
    }
  });

  it('a query that lists the lake between a merge deleting its sources and publishing its file waits and runs again', async () => {
    const lake = await newLake();
    const session = await LakeSession.open({ lakeDir: lake, threads: 1 });
    const total = FILES * PER;
    let pause!: () => void;
    const paused = new Promise<void>((r) => {
      pause = r;
    });
    let resume!: () => void;
    const resumed = new Promise<void>((r) => {
      resume = r;
    });
    let deleted = 0;
    // the merge stops after deleting 10 of its 30 sources, before the merged file is renamed into view
    const merging = compactLake({
      lakeDir: lake,
      now: NOW,
      openDates: true,
      tiers: { minFiles: 2, tierBaseBytes: 1 << 30 },
      onStep: async (step) => {
        if (step === 'source-deleted' && ++deleted === 10) {
          pause();
          await resumed;
        }
      },
    });
    try {
      await paused;
      // a plain listing now misses 10 files' rows:
      const partial = await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${lake}/ticks/**/*.parquet')`);
      expect(partial.getRowsJS()).toEqual([[BigInt(total - 10 * PER)]]);
      const q = queryAll(session, 'SELECT count(*), count(DISTINCT kafka_offset) FROM ticks', { stream: false });
      await new Promise((r) => setTimeout(r, 50));
      resume();
      expect((await q).rows).toEqual([[BigInt(total), BigInt(total)]]);
      await merging;
    } finally {
      resume();
      await merging.catch(() => {});
      session.close();
    }
  });

  it('materialised aggregates running beside compaction always see every row exactly once', async () => {
    const lake = await newLake();
    const session = await LakeSession.open({ lakeDir: lake, threads: 1 });
    const total = FILES * PER;
    const expected = [[BigInt(total), BigInt((total * (total - 1)) / 2)]];
    const merging = compact(lake);
    let done = false;
    const settled = merging.finally(() => {
      done = true;
    });
    try {
      const results: unknown[] = [];
      // queries back to back until the merge is over (and at least 5)
      while (!done || results.length < 5) {
        const r = await queryAll(session, 'SELECT count(*), sum(kafka_offset) FROM ticks', { stream: false });
        results.push(r.rows);
      }
      await merging;
      for (const r of results) expect(r).toEqual(expected);
    } finally {
      await settled.catch(() => {});
      session.close();
    }
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompactStep, compactLake } from '../compact.js';
import { removeTempFiles, writeLakeFile } from '../writer.js';

let root: string;
let inst: DuckDBInstance;
let conn: DuckDBConnection;
let lake: string; // the pristine lake every test copies

// Clock: 2026-01-03 12:00 UTC. 2026-01-01 and 2026-01-02 are closed (ended + 1 h grace); 2026-01-03 is open.
const NOW = Date.UTC(2026, 0, 3, 12);
const DATES = ['2026-01-01', '2026-01-02', '2026-01-03'];

const glob = (dir: string, table: string) =>
  `read_parquet('${dir}/${table}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

async function all(sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

/** Everything a user could ask of the lake, computed with plain SQL: full sorted rows plus aggregates. */
async function snapshot(dir: string) {
  return {
    ticks: await all(`SELECT * FROM ${glob(dir, 'ticks')} ORDER BY ALL`),
    ticksAgg: await all(
      `SELECT date, count(*), count(DISTINCT (kafka_partition, kafka_offset)), sum(size), round(sum(price * size), 6),
              min(ts), max(ts), count(DISTINCT symbol) FROM ${glob(dir, 'ticks')} GROUP BY date ORDER BY date`,
    ),
    bars: await all(`SELECT * FROM ${glob(dir, 'bars')} ORDER BY ALL`),
    barsAgg: await all(
      `SELECT "window", date, count(*), sum(volume), round(sum(notional) / sum(volume), 9), max(high), min(low)
       FROM ${glob(dir, 'bars')} GROUP BY ALL ORDER BY ALL`,
    ),
    anomalies: await all(`SELECT * FROM ${glob(dir, 'anomalies')} ORDER BY ALL`),
    anomaliesAgg: await all(
      `SELECT kind, "window" IS NULL, count(*) FROM ${glob(dir, 'anomalies')} GROUP BY ALL ORDER BY ALL`,
    ),
  };
}

/** No key is visible twice. */
async function duplicates(dir: string): Promise<unknown[][]> {
  return all(
    `SELECT 'ticks', kafka_partition, kafka_offset, count(*) FROM ${glob(dir, 'ticks')} GROUP BY ALL HAVING count(*) > 1
     UNION ALL
     SELECT 'bars', symbol, epoch_ms(window_start), count(*) FROM ${glob(dir, 'bars')} GROUP BY symbol, "window", window_start HAVING count(*) > 1`,
  );
}

async function files(dir: string): Promise<string[]> {
  const out = await readdir(dir, { recursive: true });
  return out.filter((f) => f.endsWith('.parquet')).sort();
}

async function copyLake(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(lake, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-compact-'));
  inst = await DuckDBInstance.create(':memory:');
  conn = await inst.connect();
  lake = join(root, 'lake');
  // 3 dates × 4 delivery batches × 2 partitions of ticks, 3 symbols; prices from a deterministic formula.
  await conn.run(`CREATE TABLE src AS
    SELECT ['AAPL', 'MSFT', 'EURUSD'][1 + (o % 3)] AS symbol, 'XNAS' AS exchange, 'equity' AS asset_class,
           TIMESTAMP '2026-01-01 00:00:00' + to_milliseconds(o * 86_400_000 // 600) AS ts,
           100 + ((o * 7919) % 1000) / 100.0 AS price, 1 + (o * 31) % 50 AS size,
           (o % 2)::INTEGER AS kafka_partition, o // 2 AS kafka_offset
    FROM range(1800) r(o)`);
  for (const date of DATES) {
    for (let b = 0; b < 4; b++) {
      for (const p of [0, 1]) {
        await writeLakeFile(conn, {
          lakeDir: lake,
          table: 'ticks',
          partition: { date },
          fileName: `p${p}-${date}-${b}.parquet`,
          query: 'SELECT * FROM src WHERE ts::DATE = $d::DATE AND kafka_partition = $p AND kafka_offset % 4 = $b',
          params: { d: date, p, b },
        });
      }
    }
    // Bars of two windows, three outbox batches per window and date.
    for (const [window, secs] of [
      ['1m', 60],
      ['1h', 3600],
    ] as const) {
      for (let b = 0; b < 3; b++) {
        await writeLakeFile(conn, {
          lakeDir: lake,
          table: 'bars',
          partition: { window, date },
          fileName: `b${window}-${b}.parquet`,
          query: `SELECT symbol, ws AS window_start, ws + INTERVAL (${secs}) SECOND AS window_end,
                    arg_min(price, ts) AS open, max(price) AS high, min(price) AS low, arg_max(price, ts) AS close,
                    sum(size) AS volume, sum(price * size) AS notional, sum(price * size) / sum(size) AS vwap,
                    count(*) AS trades, count(*) / ${secs} AS trade_rate, NULL AS volatility, NULL AS log_return
                  FROM (SELECT *, time_bucket(INTERVAL (${secs}) SECOND, ts) AS ws FROM src WHERE ts::DATE = $d::DATE)
                  GROUP BY symbol, ws HAVING hash(symbol, ws) % 3 = $b`,
          params: { d: date, b },
        });
      }
    }
    // Anomalies with a null window (per tick) next to bar anomalies.
    for (let b = 0; b < 2; b++) {
      await writeLakeFile(conn, {
        lakeDir: lake,
        table: 'anomalies',
        partition: { date },
        fileName: `b-anom-${b}.parquet`,
        query: `SELECT symbol, ts, CASE WHEN size > 40 THEN 'SPIKE' ELSE 'VOLUME_SPIKE' END AS kind, 'WARNING' AS severity,
                  CASE WHEN size > 40 THEN NULL ELSE '1m' END AS window, size / 100.0 AS value, 0.03 AS threshold,
                  price, kafka_partition, kafka_offset
                FROM src WHERE ts::DATE = $d::DATE AND size > 35 AND kafka_offset % 2 = $b`,
        params: { d: date, b },
      });
    }
  }
});

afterAll(async () => {
  conn?.closeSync();
  await rm(root, { recursive: true, force: true });
});

describe('compactLake', () => {
  it('merges every closed partition into one file and leaves every query result unchanged', async () => {
    const dir = await copyLake('whole');
    const before = await snapshot(dir);
    expect(before.ticks.length).toBe(1800);
    expect(await duplicates(dir)).toEqual([]);
    const filesBefore = await files(dir);

    const res = await compactLake({ lakeDir: dir, now: NOW });
    // Closed: 2 dates × (ticks + bars 1m + bars 1h + anomalies) = 8 partitions, 2 × (8 + 3 + 3 + 2) = 32 files.
    expect(res).toMatchObject({ partitions: 8, filesBefore: 32, filesAfter: 8, recovered: 0 });
    expect(await snapshot(dir)).toEqual(before);

    const after = await files(dir);
    for (const date of ['2026-01-01', '2026-01-02']) {
      expect(after.filter((f) => f.startsWith(`ticks/date=${date}/`))).toEqual([
        expect.stringMatching(new RegExp(`^ticks/date=${date}/c-[0-9a-f]{16}\\.parquet$`)),
      ]);
      expect(after.filter((f) => f.startsWith(`bars/window=1m/date=${date}/`)).length).toBe(1);
    }
    // The open date is untouched.
    const open = (l: string[]) => l.filter((f) => f.includes('date=2026-01-03'));
    expect(open(after)).toEqual(open(filesBefore));

    // Idempotent: a second run has nothing to do.
    expect(await compactLake({ lakeDir: dir, now: NOW })).toMatchObject({ partitions: 0, filesBefore: 0 });
    expect(await files(dir)).toEqual(after);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('--table limits it to one table; a later day closes with the clock', async () => {
    const dir = await copyLake('one-table');
    const before = await snapshot(dir);
    expect(await compactLake({ lakeDir: dir, table: 'bars', now: NOW })).toMatchObject({ partitions: 4 });
    expect((await files(dir)).filter((f) => f.startsWith('ticks/')).length).toBe(24);
    const res = await compactLake({ lakeDir: dir, now: Date.UTC(2026, 0, 5) });
    expect(res).toMatchObject({ partitions: 3 * 2 + 2 }); // ticks and anomalies of 3 dates, bars of the 3rd date
    expect(await snapshot(dir)).toEqual(before);
  });

  it.each<[CompactStep, number]>([
    ['merged-written', 1],
    ['pending-recorded', 1],
    ['source-deleted', 1],
    ['source-deleted', 5],
    ['published', 1],
  ])('a crash after %s (#%i) never shows a row twice; the next run finishes the job', async (step, nth) => {
    const dir = await copyLake(`crash-${step}-${nth}`);
    const before = await snapshot(dir);
    let seen = 0;
    const crash = new Error(`crash after ${step}`);
    await expect(
      compactLake({
        lakeDir: dir,
        table: 'ticks',
        now: NOW,
        onStep: (s) => {
          if (s === step && ++seen === nth) throw crash;
        },
      }),
    ).rejects.toBe(crash);

    expect(await duplicates(dir)).toEqual([]);
    // Whatever is visible is a subset of the original rows.
    const visible = await all(`SELECT * FROM ${glob(dir, 'ticks')} ORDER BY ALL`);
    const original = new Set(
      before.ticks.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}` : v))),
    );
    for (const r of visible)
      expect(original.has(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}` : v)))).toBe(true);

    const res = await compactLake({ lakeDir: dir, now: NOW });
    expect(res.recovered).toBe(step === 'merged-written' ? 0 : 1);
    expect(await snapshot(dir)).toEqual(before);
    expect(await duplicates(dir)).toEqual([]);
    const left = await readdir(dir, { recursive: true });
    // The re-run rebuilds the same merged name, so even the temp file of a merge interrupted early is reused.
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('cleaning stale temp files (as a processor may at start) keeps the merged file of an interrupted merge', async () => {
    const dir = await copyLake('pending-kept');
    const before = await snapshot(dir);
    const crash = new Error('crash');
    let n = 0;
    await expect(
      compactLake({
        lakeDir: dir,
        table: 'ticks',
        now: NOW,
        onStep: (s) => {
          if (s === 'source-deleted' && ++n === 3) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    // Hours later, before any compaction runs again:
    expect(await removeTempFiles(dir, 10 * 60_000, Date.now() + 3 * 3_600_000)).toEqual([]);
    expect(await compactLake({ lakeDir: dir, now: NOW })).toMatchObject({ recovered: 1 });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a batch re-delivered after its file was merged away is not written twice', async () => {
    const dir = await copyLake('redeliver');
    const before = await snapshot(dir);
    await compactLake({ lakeDir: dir, table: 'ticks', now: NOW });
    const res = await writeLakeFile(conn, {
      lakeDir: dir,
      table: 'ticks',
      partition: { date: '2026-01-01' },
      fileName: 'p1-2026-01-01-2.parquet',
      query: "SELECT * FROM src WHERE ts::DATE = DATE '2026-01-01' AND kafka_partition = 1 AND kafka_offset % 4 = 2",
    });
    expect(res.rows).toBe(0);
    expect(res.mergedInto).toMatch(/^c-[0-9a-f]{16}\.parquet$/);
    expect(await snapshot(dir)).toEqual(before);
    // Merging again (a late file arrived) keeps the memory of the first merge's sources.
    await writeLakeFile(conn, {
      lakeDir: dir,
      table: 'ticks',
      partition: { date: '2026-01-01' },
      fileName: 'late.parquet',
      query: 'SELECT * FROM src WHERE false',
    });
    await compactLake({ lakeDir: dir, table: 'ticks', now: NOW });
    const again = await writeLakeFile(conn, {
      lakeDir: dir,
      table: 'ticks',
      partition: { date: '2026-01-01' },
      fileName: 'p0-2026-01-01-0.parquet',
      query: 'SELECT * FROM src WHERE false',
    });
    expect(again.mergedInto).toBeDefined();
    expect(await snapshot(dir)).toEqual(before);
  });

  it("removes stale temp files, refuses to run beside another compaction, takes over a dead one's lock", async () => {
    const dir = await copyLake('lock');
    const stale = join(dir, 'ticks', 'date=2026-01-03', '.p9-1-2.parquet.tmp');
    await writeFile(stale, 'torn');
    const old = new Date(NOW - 3_600_000);
    await utimes(stale, old, old);

    // A live process holds the lock (a child that waits on stdin).
    const holder = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      await writeFile(join(dir, '.compact.lock'), String(holder.pid));
      await expect(compactLake({ lakeDir: dir, now: NOW })).rejects.toMatchObject({
        code: 'TL_LAKE_BUSY',
        message: `Another compaction (pid ${holder.pid}) holds the lake: ${join(dir, '.compact.lock')}`,
      });
    } finally {
      holder.kill();
    }
    // Our own pid, but not held by this process: a lock left by a previous life of a restarted container.
    await writeFile(join(dir, '.compact.lock'), String(process.pid));
    expect(await compactLake({ lakeDir: dir, table: 'rejected', now: NOW })).toMatchObject({ partitions: 0 });
    expect(existsSync(join(dir, '.compact.lock'))).toBe(false);

    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(dir, '.compact.lock'), String(dead));
    const res = await compactLake({ lakeDir: dir, now: NOW });
    expect(res.tempFilesRemoved).toBe(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(dir, '.compact.lock'))).toBe(false);
  });

  it('a missing lake directory is TL_LAKE_NOT_FOUND', async () => {
    await expect(compactLake({ lakeDir: join(root, 'nope') })).rejects.toMatchObject({ code: 'TL_LAKE_NOT_FOUND' });
  });
});

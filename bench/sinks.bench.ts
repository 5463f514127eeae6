/**
 * `npm run bench:sinks`: the cost of the sinks' safety (atomic, idempotent, typed) over the plain operation, each
 * measured side by side in this run, alternating baseline and subject three times; figures are medians.
 *
 * 1. Lake writer: `writeLakeFile` of 1M ticks (cast to the contract, temp name, fsync, rename, fsync dir) versus a
 *    plain `COPY (SELECT * FROM t) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)` of the same rows.
 *    Target (ours): ratio >= 0.8.
 * 2. Compaction: `compactLake` of one date of 200 files × 5k rows (sorted by key, row-count check, manifest, fsyncs)
 *    versus a plain COPY of `read_parquet([200 files])` to one file. Target (ours): ratio >= 0.5.
 * 3. MySQL sink: `upsertBars` of 50k bars into an empty table and again (all keys present: updates), versus plain
 *    multi-row INSERTs of the same rows, 1000 per statement, in one transaction, through mysql2 directly.
 *    Target (ours): ratio >= 0.5 for the insert. Needs mariadbd (or TICKLAKE_TEST_MYSQL_URL); skipped without.
 * 4. Open-date compaction: a lake of 2000 small tick files of one open date (as `ticklake start` writes them, one
 *    per batch) queried through a LakeSession (the API's path), versus the same lake after one
 *    `compactLake({openDates})`: median latency of two queries, ratio = before / after (speed-up).
 *    Target (ours): ratio >= 3. Plus the merge throughput versus a plain merge COPY of the same files
 *    (target ratio >= 0.5) and the manifest size against plain name lists (details).
 */
import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import mysql from 'mysql2/promise';
import { compactLake } from '../lake/compact.js';
import { manifestText, readManifest } from '../lake/compact-manifest.js';
import { queryAll } from '../lake/query.js';
import { LakeSession } from '../lake/session.js';
import { writeLakeFile } from '../lake/writer.js';
import { MysqlSink } from '../processors/sinks/mysql-sink.js';
import { createDatabase, startTestMysql, testMysqlAvailable } from '../test/helpers/mysql.js';
import { type BenchFigure, startBench } from './result.js';
import { median } from './stats.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const BARS = Number(process.env.BENCH_BARS ?? 50_000);
const ROUNDS = 3;
const bench = startBench('sinks');
const root = await mkdtemp(join(tmpdir(), 'tl-bench-sinks-'));
const timed = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};
const figure = (metric: string, value: number, unit: string, base: string, baseValue: number, min: number) => {
  const ratio = value / baseValue;
  return {
    metric,
    value,
    unit,
    baseline: { metric: base, value: baseValue, unit },
    ratio,
    target: `ratio >= ${min}`,
    pass: ratio >= min,
  } satisfies BenchFigure;
};

const figures: BenchFigure[] = [];
const details: Record<string, unknown> = { rows: ROWS, bars: BARS, rounds: ROUNDS };
try {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  // The contract's column types already, so that the baseline writes exactly what the writer writes.
  await conn.run(`CREATE TABLE t AS
    SELECT ['AAPL', 'MSFT', 'EURUSD', 'BTCUSD'][1 + (o % 4)] AS symbol, 'XNAS' AS exchange, 'equity' AS asset_class,
           TIMESTAMP '2026-01-01 00:00:00' + to_milliseconds(o * 50) AS ts, (100 + (o % 997) / 100.0)::DOUBLE AS price,
           (1 + (o % 50))::BIGINT AS size, (o % 3)::INTEGER AS kafka_partition, o::BIGINT AS kafka_offset
    FROM range(${ROWS}) r(o)`);

  // 1. writer vs plain COPY
  const plainDir = join(root, 'plain');
  await mkdir(plainDir, { recursive: true });
  const base: number[] = [];
  const subject: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    base.push(
      ROWS /
        (await timed(() =>
          conn.run(`COPY (SELECT * FROM t) TO '${plainDir}/x${i}.parquet' (FORMAT parquet, COMPRESSION zstd)`),
        )),
    );
    subject.push(
      ROWS /
        (await timed(() =>
          writeLakeFile(conn, {
            lakeDir: join(root, 'lake'),
            table: 'ticks',
            partition: { date: '2026-01-01' },
            fileName: `p0-${i}.parquet`,
            query: 'SELECT * FROM t',
          }),
        )),
    );
  }
  figures.push(figure('writeLakeFile 1M ticks', median(subject), 'rows/s', 'plain COPY', median(base), 0.8));

  // 2. compaction vs plain merge COPY
  const files = 200;
  const per = Math.floor(ROWS / files);
  const compactBase: number[] = [];
  const compactSubject: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const lake = join(root, `compact-${i}`);
    for (let f = 0; f < files; f++) {
      await writeLakeFile(conn, {
        lakeDir: lake,
        table: 'ticks',
        partition: { date: '2026-01-01' },
        fileName: `p0-${f}.parquet`,
        query: `SELECT * FROM t WHERE kafka_offset >= ${f * per} AND kafka_offset < ${(f + 1) * per}`,
      });
    }
    const dir = join(lake, 'ticks', 'date=2026-01-01');
    const list = (await readdir(dir)).map((n) => `'${join(dir, n)}'`).join(', ');
    compactBase.push(
      (files * per) /
        (await timed(() =>
          conn.run(
            `COPY (SELECT * FROM read_parquet([${list}])) TO '${plainDir}/m${i}.parquet' (FORMAT parquet, COMPRESSION zstd)`,
          ),
        )),
    );
    compactSubject.push(
      (files * per) / (await timed(() => compactLake({ lakeDir: lake, now: Date.UTC(2026, 0, 3), conn }))),
    );
  }
  figures.push(
    figure(
      `compact ${files} files × ${per} rows`,
      median(compactSubject),
      'rows/s',
      'plain merge COPY',
      median(compactBase),
      0.5,
    ),
  );
  // 4. open-date compaction: query latency over many small files vs the compacted lake, and merge throughput
  {
    const LAKE_FILES = Number(process.env.BENCH_LAKE_FILES ?? 2000);
    const perFile = Math.floor(ROWS / LAKE_FILES);
    const open = join(root, 'open-lake');
    const day = new Date().toISOString().slice(0, 10);
    const dir = join(open, 'ticks', `date=${day}`);
    const writeStart = performance.now();
    for (let f = 0; f < LAKE_FILES; f++) {
      await writeLakeFile(conn, {
        lakeDir: open,
        table: 'ticks',
        partition: { date: day },
        fileName: `p0-${f * perFile}-${(f + 1) * perFile - 1}.parquet`,
        query: `SELECT * REPLACE (TIMESTAMP '${day}' + to_milliseconds(kafka_offset * 50) AS ts) FROM t
                WHERE kafka_offset >= ${f * perFile} AND kafka_offset < ${(f + 1) * perFile}`,
      });
    }
    details.lakeFilesWriteSeconds = (performance.now() - writeStart) / 1000;
    // As a processor writes them: one batch every 5 s, all past the settle time. (Equal mtimes would make every file
    // look like part of the partition's newest, possibly uncommitted, batch, which compaction never merges.)
    const newest = Date.now() - 600_000;
    for (const name of await readdir(dir)) {
      const f = Number(/^p0-(\d+)-/.exec(name)?.[1] ?? 0) / perFile;
      const at = new Date(newest - (LAKE_FILES - 1 - f) * 5000);
      await utimes(join(dir, name), at, at);
    }
    const queries = [
      'SELECT count(*), sum(size) FROM ticks',
      `SELECT symbol, round(avg(price), 6), max(price) FROM ticks WHERE ts >= TIMESTAMP '${day} 06:00:00'
       GROUP BY symbol ORDER BY symbol`,
    ];
    const latency = async () => {
      const session = await LakeSession.open({ lakeDir: open });
      try {
        const samples: number[] = [];
        const results: unknown[] = [];
        for (let i = 0; i < 5; i++) {
          const t0 = performance.now();
          for (const q of queries) results.push((await queryAll(session, q, { stream: false })).rows);
          samples.push(performance.now() - t0);
        }
        return { ms: median(samples), results: JSON.stringify(results.slice(0, 2), (_k, v) => String(v)) };
      } finally {
        session.close();
      }
    };
    const before = await latency();
    const list = (await readdir(dir)).map((n) => `'${join(dir, n)}'`).join(', ');
    const mergeBase = await timed(() =>
      conn.run(
        `COPY (SELECT * FROM read_parquet([${list}])) TO '${plainDir}/open.parquet' (FORMAT parquet, COMPRESSION zstd)`,
      ),
    );
    let res: Awaited<ReturnType<typeof compactLake>> | undefined;
    const merge = await timed(async () => {
      res = await compactLake({ lakeDir: open, openDates: true, conn });
    });
    const after = await latency();
    if (after.results !== before.results) throw new Error('query results changed by compaction');
    if (!res || res.filesAfter > LAKE_FILES / 10) {
      throw new Error(
        `open-date compaction left ${res?.filesAfter} of ${LAKE_FILES} files: the figure would be meaningless`,
      );
    }
    const ratio = before.ms / after.ms;
    figures.push({
      metric: `query latency, ${LAKE_FILES} small files vs compacted (merged into ${res?.filesAfter} file(s); the newest minute of files kept)`,
      value: after.ms,
      unit: 'ms',
      baseline: { metric: `${LAKE_FILES} files`, value: before.ms, unit: 'ms' },
      ratio,
      target: 'ratio >= 3 (speed-up)',
      pass: ratio >= 3,
    });
    const rows = LAKE_FILES * perFile;
    figures.push(
      figure(
        `open-date compaction of ${LAKE_FILES} files`,
        rows / merge,
        'rows/s',
        'plain merge COPY',
        rows / mergeBase,
        0.5,
      ),
    );
    const manifest = await readManifest(dir);
    const names = Object.values(manifest?.merged ?? {}).flatMap((set) => [...set.names()]);
    details.openDateCompaction = {
      files: LAKE_FILES,
      rowsPerFile: perFile,
      result: res,
      manifestBytes: manifest ? manifestText(manifest).length : 0,
      plainNameListBytes: JSON.stringify(names).length,
    };
  }
  conn.closeSync();
  inst.closeSync();

  // 3. MySQL sink vs plain INSERT
  if (testMysqlAvailable()) {
    const my = await startTestMysql();
    try {
      const url = await createDatabase(my.url, 'bench_sinks');
      const sink = await MysqlSink.connect(url);
      const raw = await mysql.createConnection({ uri: url });
      await raw.query('CREATE TABLE bars_plain LIKE bars');
      const T0 = Date.UTC(2026, 0, 1);
      const rows = Array.from({ length: BARS }, (_, i) => ({
        symbol: `S${i % 50}`,
        window: '1m',
        window_start: T0 + Math.floor(i / 50) * 60_000,
        window_end: T0 + Math.floor(i / 50) * 60_000 + 60_000,
        open: 10,
        high: 11,
        low: 9,
        close: 10 + (i % 7) / 10,
        volume: 100 + i,
        notional: 1000.5 + i,
        vwap: 10.05,
        trades: 12,
        trade_rate: 0.2,
        volatility: 0.001,
        log_return: i % 50 === 0 ? null : 0.0001,
      }));
      const cols = Object.keys(rows[0]);
      const plainInsert = async () => {
        await raw.beginTransaction();
        for (let i = 0; i < rows.length; i += 1000) {
          const chunk = rows.slice(i, i + 1000);
          const values = chunk.map((r) =>
            cols.map((c) => {
              const v = (r as Record<string, unknown>)[c];
              return c === 'window_start' || c === 'window_end'
                ? new Date(v as number).toISOString().replace('T', ' ').replace('Z', '')
                : v;
            }),
          );
          await raw.query(`INSERT INTO bars_plain (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES ?`, [values]);
        }
        await raw.commit();
      };
      const ins: number[] = [];
      const insBase: number[] = [];
      const upd: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        await raw.query('TRUNCATE bars_plain');
        await raw.query('TRUNCATE bars');
        insBase.push(BARS / (await timed(plainInsert)));
        ins.push(BARS / (await timed(() => sink.upsertBars(rows))));
        upd.push(BARS / (await timed(() => sink.upsertBars(rows))));
      }
      figures.push(figure('MySQL upsertBars (new keys)', median(ins), 'rows/s', 'plain INSERT', median(insBase), 0.5));
      figures.push({ metric: 'MySQL upsertBars (existing keys)', value: median(upd), unit: 'rows/s' });
      await raw.end();
      await sink.close();
    } finally {
      await my.close();
    }
  } else {
    details.mysql = 'skipped: mariadbd not installed and TICKLAKE_TEST_MYSQL_URL not set';
  }
  bench.finish(figures, details);
} finally {
  await rm(root, { recursive: true, force: true });
}

/**
 * `npm run bench:tables`: the keyed-table engine (docs/tables.md) against plain DuckDB, side by side in this run,
 * alternating baseline and subject; figures are medians of the rounds.
 *
 * 1. Changes/s: CHANGES plain-format messages (JSON rows, keyed) over KEYS keys — creates, updates, some deletes
 *    (bench/tables-changes.ts) — through the engine from memory in batches of 50k (decode and check, delta per key,
 *    state, change log, outbox, COMMIT on a file database) and delivered to the lake (change files, fsynced), versus
 *    three baselines of plain DuckDB into a table of a file database, each durable (committed, CHECKPOINT):
 *    a. ONE MERGE of the same changes read from an NDJSON file by read_ndjson (the last change per key taken, then
 *       its value parsed: the other changes' JSON is never parsed). Target (issue 13): ratio >= 0.5.
 *    b. ONE MERGE of the same messages as they come off Kafka: appended from memory as the engine stages them, every
 *       value parsed and typed (json_transform), the last change per key merged. Target: ratio >= 0.5.
 *    c. the MERGE of (a) once per batch of the engine's size, each committed — what a user running MERGE on a
 *       stream would do.
 *    With mariadbd installed (and BENCH_MYSQL not 0), the engine into the lake and MySQL too (net change per key
 *    per batch, upserted with the _lsn guard), reported beside (a).
 * 2. Latest-row view latency: `SELECT count(*), sum(qty) FROM <table>` over the lake of those changes, before
 *    and after a fold (lake/changelog-fold.ts), median of 5 queries each; ratio = before / after.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { logger } from '../core/log.js';
import { viewStatements } from '../lake/changelog.js';
import { foldTable } from '../lake/changelog-fold.js';
import { ChangeDelivery } from '../processors/sinks/change-delivery.js';
import { LazyMysql } from '../processors/sinks/lazy-mysql.js';
import { KeyedMysql } from '../processors/sinks/mysql-keyed.js';
import { loadTableCatalog } from '../processors/tables/catalog.js';
import { TablesEngine } from '../processors/tables/engine.js';
import { deliveredTables } from '../processors/tables/lake-tables.js';
import { openTablesState } from '../processors/tables/state.js';
import { createDatabase, startTestMysql, testMysqlAvailable } from '../test/helpers/mysql.js';
import { type BenchFigure, startBench } from './result.js';
import { median } from './stats.js';
import { benchChanges, STOCK_SOURCE } from './tables-changes.js';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 1_000_000);
const KEYS = Number(process.env.BENCH_KEYS ?? 200_000);
const BATCH = 50_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const bench = startBench('tables');
const root = await mkdtemp(join(tmpdir(), 'tl-bench-tables-'));
/** Process CPU seconds (all threads): on a shared machine a steadier measure than wall time, reported beside it. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const log = logger('bench');

const figures: BenchFigure[] = [];
const details: Record<string, unknown> = { changes: CHANGES, keys: KEYS, batch: BATCH, rounds: ROUNDS };
try {
  const sqlDir = join(root, 'sql');
  await mkdir(join(sqlDir, 'sources'), { recursive: true });
  await writeFile(join(sqlDir, 'sources', 'stock.sql'), STOCK_SOURCE);
  const catalog = await loadTableCatalog([sqlDir], { bundled: false });
  const msgs = benchChanges(CHANGES, KEYS);
  const ndjson = join(root, 'changes.ndjson');
  await writeFile(ndjson, `${msgs.map((m) => JSON.stringify({ k: m.key, o: m.offset, v: m.value })).join('\n')}\n`);

  // the same changes cut into the engine's batches, one file each, for the per-batch MERGE
  const batchFiles: string[] = [];
  for (let i = 0; i < msgs.length; i += BATCH) {
    const f = join(root, `changes-${i / BATCH}.ndjson`);
    const part = msgs.slice(i, i + BATCH);
    await writeFile(f, `${part.map((m) => JSON.stringify({ k: m.key, o: m.offset, v: m.value })).join('\n')}\n`);
    batchFiles.push(f);
  }

  /** DuckDB MERGE of the same changes into a durable table: in one statement, or one committed MERGE per batch. */
  const merge = async (round: number, files: string[], cpuOut: number[]) => {
    const db = await DuckDBInstance.create(join(root, `merge-${round}-${files.length}.duckdb`));
    const c = await db.connect();
    await c.run(
      'CREATE TABLE stock (sku VARCHAR PRIMARY KEY, store VARCHAR NOT NULL, qty BIGINT NOT NULL, price DECIMAL(12,2))',
    );
    const t0 = performance.now();
    const c0 = cpu();
    for (const file of files) {
      await c.run(`MERGE INTO stock USING (
          SELECT k AS sku, v IS NULL AS del, v::JSON->>'store' AS store, (v::JSON->>'qty')::BIGINT AS qty,
            (v::JSON->>'price')::DECIMAL(12,2) AS price
          FROM read_ndjson('${file}', columns = {k: 'VARCHAR', o: 'BIGINT', v: 'VARCHAR'})
          QUALIFY row_number() OVER (PARTITION BY k ORDER BY o DESC) = 1
        ) AS n ON stock.sku = n.sku
        WHEN MATCHED AND n.del THEN DELETE
        WHEN MATCHED THEN UPDATE SET store = n.store, qty = n.qty, price = n.price
        WHEN NOT MATCHED AND NOT n.del THEN INSERT VALUES (n.sku, n.store, n.qty, n.price)`);
      await c.run('CHECKPOINT');
    }
    const s = (performance.now() - t0) / 1000;
    cpuOut.push(cpu() - c0);
    c.closeSync();
    db.closeSync();
    return s;
  };

  /**
   * One MERGE from the messages as they come off Kafka: appended from memory into a table (key, offset, value text,
   * as the engine stages them), every value parsed by json_transform and typed (so every message is read, as the
   * engine's validation reads it, not only each key's last), the last change per key merged; committed, CHECKPOINT.
   */
  const mergeFromMessages = async (round: number, cpuOut: number[]) => {
    const db = await DuckDBInstance.create(join(root, `merge-msgs-${round}.duckdb`));
    const c = await db.connect();
    await c.run(
      'CREATE TABLE stock (sku VARCHAR PRIMARY KEY, store VARCHAR NOT NULL, qty BIGINT NOT NULL, price DECIMAL(12,2))',
    );
    const t0 = performance.now();
    const c0 = cpu();
    await c.run('CREATE TEMP TABLE msgs (k VARCHAR, o BIGINT, v VARCHAR)');
    const app = await c.createAppender('msgs', 'main', 'temp');
    for (const m of msgs) {
      app.appendVarchar(String(m.key));
      app.appendBigInt(BigInt(m.offset));
      if (m.value === null) app.appendNull();
      else app.appendVarchar(String(m.value));
      app.endRow();
    }
    app.closeSync();
    await c.run(`CREATE TEMP TABLE typed AS
      SELECT k, o, v IS NULL AS del, j.sku, j.store, TRY_CAST(j.qty AS BIGINT) AS qty, TRY_CAST(j.price AS DECIMAL(12,2)) AS price
      FROM (SELECT k, o, v, json_transform(v, '{"sku":"VARCHAR","store":"VARCHAR","qty":"VARCHAR","price":"VARCHAR"}') AS j
            FROM msgs)`);
    await c.run('BEGIN TRANSACTION');
    await c.run(`MERGE INTO stock USING (
        SELECT k AS sku, del, store, qty, price FROM typed QUALIFY row_number() OVER (PARTITION BY k ORDER BY o DESC) = 1
      ) AS n ON stock.sku = n.sku
      WHEN MATCHED AND n.del THEN DELETE
      WHEN MATCHED THEN UPDATE SET store = n.store, qty = n.qty, price = n.price
      WHEN NOT MATCHED AND NOT n.del THEN INSERT VALUES (n.sku, n.store, n.qty, n.price)`);
    await c.run('COMMIT');
    await c.run('CHECKPOINT');
    const s = (performance.now() - t0) / 1000;
    cpuOut.push(cpu() - c0);
    c.closeSync();
    db.closeSync();
    return s;
  };

  /** The engine from memory, delivered to the lake (and MySQL when `mysqlUrl`). */
  const engine = async (round: number, mysqlUrl?: string) => {
    const state = await openTablesState(join(root, `engine-${round}${mysqlUrl ? '-my' : ''}`));
    const lakeDir = join(root, `lake-${round}${mysqlUrl ? '-my' : ''}`);
    const e = await TablesEngine.open({ state, catalog });
    const mysql = mysqlUrl ? new KeyedMysql(new LazyMysql(mysqlUrl, false, log), log) : undefined;
    const conn = await state.instance.connect();
    const delivery = new ChangeDelivery({ conn, lakeDir, tables: deliveredTables(catalog), mysql, log });
    const t0 = performance.now();
    const c0 = cpu();
    for (let i = 0; i < msgs.length; i += BATCH) {
      await e.process(msgs.slice(i, i + BATCH));
      await delivery.deliverAll(true);
    }
    const s = (performance.now() - t0) / 1000;
    if (!mysqlUrl) engineCpu.push(cpu() - c0);
    await mysql?.close();
    conn.closeSync();
    state.conn.closeSync();
    return { s, lakeDir };
  };

  const mergeCpu: number[] = [];
  const msgMergeCpu: number[] = [];
  const msgMergeS: number[] = [];
  const batchMergeCpu: number[] = [];
  const engineCpu: number[] = [];
  const mergeS: number[] = [];
  const batchMergeS: number[] = [];
  const engineS: number[] = [];
  let lakeDir = '';
  for (let r = 0; r < ROUNDS; r++) {
    mergeS.push(await merge(r, [ndjson], mergeCpu));
    msgMergeS.push(await mergeFromMessages(r, msgMergeCpu));
    const e = await engine(r);
    engineS.push(e.s);
    lakeDir = e.lakeDir;
    batchMergeS.push(await merge(r, batchFiles, batchMergeCpu));
  }
  const mergeRate = CHANGES / median(mergeS);
  const batchMergeRate = CHANGES / median(batchMergeS);
  const engineRate = CHANGES / median(engineS);
  const msgMergeRate = CHANGES / median(msgMergeS);
  details.mergeSeconds = mergeS;
  details.batchMergeSeconds = batchMergeS;
  details.engineSeconds = engineS;
  details.mergeCpuSeconds = mergeCpu;
  details.batchMergeCpuSeconds = batchMergeCpu;
  details.messagesMergeSeconds = msgMergeS;
  details.messagesMergeCpuSeconds = msgMergeCpu;
  details.messagesCpuRatio = median(msgMergeCpu) / median(engineCpu);
  details.engineCpuSeconds = engineCpu;
  details.cpuRatio = median(mergeCpu) / median(engineCpu);
  details.batchCpuRatio = median(batchMergeCpu) / median(engineCpu);
  figures.push({
    metric: `engine: changes/s into the lake, against MERGE in the engine's batches`,
    value: Math.round(engineRate),
    unit: 'changes/s',
    baseline: {
      metric: `one committed DuckDB MERGE per batch of ${BATCH.toLocaleString('en')} (read_ndjson, CHECKPOINT each)`,
      value: Math.round(batchMergeRate),
      unit: 'changes/s',
    },
    ratio: engineRate / batchMergeRate,
    target: 'reported (same batches; the engine also validates, suppresses no-ops, logs changes, writes Parquet)',
    pass: true,
  });
  figures.push({
    metric: 'engine: changes/s into the lake (state + change log + outbox, durable)',
    value: Math.round(engineRate),
    unit: 'changes/s',
    baseline: {
      metric: 'one DuckDB MERGE of the same changes (read_ndjson, durable)',
      value: Math.round(mergeRate),
      unit: 'changes/s',
    },
    ratio: engineRate / mergeRate,
    target: 'ratio >= 0.5',
    pass: engineRate / mergeRate >= 0.5,
  });
  figures.push({
    metric: 'engine: changes/s into the lake, against one MERGE of the messages staged from memory',
    value: Math.round(engineRate),
    unit: 'changes/s',
    baseline: {
      metric:
        'one DuckDB MERGE of the same messages appended from memory, every value parsed (json_transform), durable',
      value: Math.round(msgMergeRate),
      unit: 'changes/s',
    },
    ratio: engineRate / msgMergeRate,
    target: 'ratio >= 0.5',
    pass: engineRate / msgMergeRate >= 0.5,
  });

  if (process.env.BENCH_MYSQL !== '0' && testMysqlAvailable()) {
    const my = await startTestMysql();
    try {
      const url = await createDatabase(my.url, 'bench_tables');
      const e = await engine(99, url);
      const rate = CHANGES / e.s;
      details.engineMysqlSeconds = e.s;
      figures.push({
        metric: 'engine: changes/s into the lake and MySQL',
        value: Math.round(rate),
        unit: 'changes/s',
        baseline: {
          metric: 'one DuckDB MERGE of the same changes (read_ndjson, durable)',
          value: Math.round(mergeRate),
          unit: 'changes/s',
        },
        ratio: rate / mergeRate,
        target: 'reported (MySQL upserts bound it)',
        pass: true,
      });
    } finally {
      await my.close();
    }
  }

  // latest-row view before and after a fold
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const table = deliveredTables(catalog)[0];
  const query = async () => {
    for (const sql of viewStatements(lakeDir, table)) await c.run(sql);
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await c.runAndReadAll('SELECT count(*), sum(qty) FROM stock');
      ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  const before = await query();
  const foldStart = performance.now();
  const f = await foldTable(c, { lakeDir, table });
  details.foldMs = performance.now() - foldStart;
  details.foldedFiles = f.folded;
  const after = await query();
  figures.push({
    metric: `latest-row view after a fold (${CHANGES.toLocaleString('en')} changes, ${KEYS.toLocaleString('en')} keys)`,
    value: Math.round(after),
    unit: 'ms',
    baseline: { metric: 'the same view before the fold', value: Math.round(before), unit: 'ms' },
    ratio: before / after,
    target: 'ratio >= 1 (speed-up)',
    pass: before / after >= 1,
  });
  c.closeSync();
  bench.finish(figures, details);
} finally {
  await rm(root, { recursive: true, force: true });
}

/**
 * `npm run bench:cdc`: change data capture throughput and latency, on a private MariaDB with the row-based binlog
 * and the embedded broker, all on this machine.
 *
 * 1. Catch-up throughput: 100k inserts and 100k updates are written first; then, alternately three times each,
 *    - baseline: the binlog reader alone (ZongjiReader, decoding every row, nothing else),
 *    - baseline: publishing alone (the same Debezium events encoded from made-up rows, sent by kafkajs as cdc does),
 *    - subject: `runCdc` from the same position (decode, Debezium encoding with the schema envelope, idempotent
 *      publishing to the broker, offsets stored after every acknowledgement), to fresh topics;
 *    row changes per second, medians, and their ratio.
 * 2. Latency at a stated rate: one-row transactions (autocommit INSERTs) at 200/s for 10 s while `runCdc` streams
 *    and the keyed-table engine (`startTablesProcessor`, `ticklake process`'s defaults: no --batch-interval, folds
 *    every 30 s) reads the topic into a lake table declared `format: debezium`. Both from the same commits, side by
 *    side, measured from the moment the client's COMMIT returned:
 *    - commit-to-topic: a kafkajs consumer stamps each event's arrival;
 *    - commit-to-lake: the row is in the lake view `lat` — the view reads `<lake>/lat/{base,changes}/*.parquet`,
 *      which the engine renames into place whole, so a row is visible from the moment its file is there. The
 *      table's directories are listed every 10 ms; each new file's ids are read with DuckDB and stamped with the
 *      listing that found it (so the figure is up to one listing late). At the end the view itself, queried through
 *      a LakeSession, must hold every committed row.
 *    The ratio of the two p50s is the engine's share; the load average is kept in the details.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import mysql from 'mysql2/promise';
import { startBroker } from '../broker/index.js';
import { Kafka, logLevel, Partitioners } from '../core/kafkajs.js';
import { LAYERS, layerDir } from '../lake/changelog.js';
import { LakeSession } from '../lake/session.js';
import { loadTableCatalog } from '../processors/tables/catalog.js';
import { deliveredTables } from '../processors/tables/lake-tables.js';
import { startTablesProcessor } from '../processors/tables/processor.js';
import type { BinlogPosition } from '../producers/cdc/binlog-position.js';
import { runCdc } from '../producers/cdc/cdc-run.js';
import { encodeChange } from '../producers/cdc/debezium-event.js';
import { binlogEnd } from '../producers/cdc/server-checks.js';
import { SchemaTracker } from '../producers/cdc/table-schema.js';
import { ZongjiReader } from '../producers/cdc/zongji-reader.js';
import { createDatabase, startTestMysql } from '../test/helpers/mysql.js';
import { startBench } from './result.js';
import { median } from './stats.js';

const ROWS = Number(process.env.CDC_BENCH_ROWS ?? 100_000);
const RATE = 200;
const LATENCY_SECONDS = 10;
const bench = startBench('cdc');
const loadAtStart = loadavg().map((x) => Math.round(x * 10) / 10);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

const dir = await mkdtemp(join(tmpdir(), 'tl-bench-cdc-'));
const broker = await startBroker({
  port: 0,
  dataDir: join(dir, 'broker'),
  defaultPartitions: 3,
  groupInitialRebalanceDelayMs: 0,
});
const brokers = [`${broker.host}:${broker.port}`];
const my = await startTestMysql({ binlog: true });
try {
  const url = await createDatabase(my.url, 'benchdb');
  const conn = await mysql.createConnection(url);
  await conn.query(
    'CREATE TABLE t (id BIGINT PRIMARY KEY, a INT NOT NULL, b VARCHAR(40) NOT NULL, amt DECIMAL(12,2) NOT NULL, at DATETIME(3) NOT NULL)',
  );
  const start: BinlogPosition = await binlogEnd(conn);
  for (let i = 0; i < ROWS; i += 1000) {
    const values = Array.from({ length: 1000 }, (_, j) => {
      const id = i + j + 1;
      return `(${id}, ${id % 977}, 'row-${id}-abcdefghij', ${(id % 100000) / 100}, '2026-01-05 09:00:00.${String(id % 1000).padStart(3, '0')}')`;
    });
    await conn.query(`INSERT INTO t VALUES ${values.join(',')}`);
  }
  for (let i = 0; i < ROWS; i += 10_000)
    await conn.query(`UPDATE t SET a = a + 1 WHERE id > ${i} AND id <= ${i + 10_000}`);
  const changes = 2 * ROWS;
  const [[{ sid }]] = (await conn.query('SELECT @@server_id AS sid')) as unknown as [{ sid: number }[]];

  const readerAlone = async (): Promise<number> => {
    const r = new ZongjiReader();
    let rows = 0;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      r.start({
        url,
        serverId: 7001,
        from: start,
        tables: [{ db: 'benchdb', table: 't' }],
        onEvent: (e) => {
          if (e.kind === 'rows') rows += e.rows.length;
          if (rows >= changes) resolve();
        },
        onError: reject,
      }).catch(reject);
    });
    const s = (performance.now() - t0) / 1000;
    await r.stop();
    return changes / s;
  };

  let run = 0;
  const fullCdc = async (): Promise<number> => {
    run++;
    const offsetsDir = join(dir, `offsets-${run}`);
    await mkdir(offsetsDir, { recursive: true });
    await writeFile(
      join(offsetsDir, 'offsets.json'),
      JSON.stringify({ version: 1, server: String(sid), resume: start, partitions: {}, updatedAt: Date.now() }),
    );
    const idle = 300;
    const t0 = performance.now();
    await runCdc({
      mysqlUrl: url,
      brokers,
      tables: ['benchdb.t'],
      snapshot: 'initial',
      topicPrefix: `b${run}`,
      offsetsDir,
      serverId: 7002,
      schemas: process.env.CDC_BENCH_SCHEMAS !== 'false',
      stopWhenIdleMs: idle,
    });
    const s = (performance.now() - t0 - idle) / 1000;
    return changes / s;
  };

  // publishing alone: the same Debezium events, encoded batch by batch (as cdc does) from rows made up here instead of
  // read from the binlog, sent with the same idempotent kafkajs settings in requests of 2000, to fresh topics
  const tSchema = (await new SchemaTracker(conn, [{ db: 'benchdb', table: 't' }]).loadAll())[0];
  const ctx = { prefix: 'pub', schemas: true, connector: 'mariadb', serverId: Number(sid) };
  const event = (i: number) => {
    const id = (i % ROWS) + 1;
    const row = {
      id: String(id),
      a: id % 977,
      b: `row-${id}-abcdefghij`,
      amt: ((id % 100000) / 100).toFixed(2),
      at: '2026-01-05 09:00:00.123',
    };
    const src = { tsMs: Date.now(), snapshot: 'false', position: { file: 'binlog.000001', pos: 4 + i }, row: 0 };
    return encodeChange(
      ctx,
      tSchema,
      i < ROWS ? 'c' : 'u',
      i < ROWS ? undefined : row,
      row,
      src,
      `binlog.000001:${4 + i}:0`,
    )[0];
  };
  const eventBytes = event(ROWS).value?.length;
  let pubRun = 0;
  const publishAlone = async (): Promise<number> => {
    pubRun++;
    const kafka = new Kafka({ clientId: 'bench-pub', brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const topic = `pub${pubRun}.benchdb.t`;
    const t0 = performance.now();
    for (let i = 0; i < changes; i += 2000) {
      const messages = [];
      for (let j = i; j < Math.min(changes, i + 2000); j++) {
        const m = event(j);
        messages.push({ key: m.key, value: m.value, headers: { 'ticklake.cdc.id': m.id } });
      }
      await producer.send({ topic, acks: -1, messages });
    }
    const s = (performance.now() - t0) / 1000;
    await producer.disconnect();
    return changes / s;
  };

  const base: number[] = [];
  const pub: number[] = [];
  const subj: number[] = [];
  for (let i = 0; i < 3; i++) {
    base.push(await readerAlone());
    pub.push(await publishAlone());
    subj.push(await fullCdc());
    process.stderr.write(
      `round ${i + 1}: reader ${Math.round(base[i])}/s, publish ${Math.round(pub[i])}/s, cdc ${Math.round(subj[i])}/s\n`,
    );
  }

  // latency at a stated rate
  const offsetsDir = join(dir, 'offsets-live');
  const abort = new AbortController();
  const live = runCdc({
    mysqlUrl: url,
    brokers,
    tables: ['benchdb.lat'],
    snapshot: 'never',
    topicPrefix: 'live',
    offsetsDir,
    serverId: 7003,
    schemas: true,
    signal: abort.signal,
  });
  await conn.query('CREATE TABLE lat (id INT PRIMARY KEY, v INT)');
  const committed = new Map<number, number>();
  const arrived = new Map<number, number>();
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'bench-lat', maxWaitTimeInMs: 10 });
  await new Promise((r) => setTimeout(r, 1500)); // cdc up
  await conn.query('INSERT INTO lat VALUES (0, 0)'); // creates the topic
  await new Promise((r) => setTimeout(r, 1000));
  // the keyed-table engine over the topic, into a lake
  const sqlDir = join(dir, 'lat-sql');
  const lakeDir = join(dir, 'lat-lake');
  await mkdir(join(sqlDir, 'sources'), { recursive: true });
  await writeFile(
    join(sqlDir, 'sources', 'lat.sql'),
    '-- title: Latency rows\n-- topic: live.benchdb.lat\n-- format: debezium\n-- mysql: off\ncreate table lat (id integer primary key, v integer);\n',
  );
  const catalog = await loadTableCatalog([sqlDir], { bundled: false });
  const proc = await startTablesProcessor({
    brokers,
    group: 'bench-lat-tables',
    lakeDir,
    stateDir: join(dir, 'lat-state'),
    catalog,
    minBatchIntervalMs: 0,
  });
  if (!proc) throw new Error('the latency table is not declared');
  // the lake watcher: new Parquet files of the table, their ids stamped with the listing that found them
  const visible = new Map<number, number>();
  const seenFiles = new Set<string>();
  const ddb = await DuckDBInstance.create(':memory:', { threads: '1' });
  const dconn = await ddb.connect();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const now = performance.now();
      for (const layer of LAYERS) {
        const d = layerDir(lakeDir, 'lat', layer);
        const names = await readdir(d).catch(() => [] as string[]);
        for (const f of names) {
          if (!f.endsWith('.parquet') || f.startsWith('.') || seenFiles.has(`${layer}/${f}`)) continue;
          seenFiles.add(`${layer}/${f}`);
          const ids = (await dconn.runAndReadAll(`SELECT id FROM read_parquet('${join(d, f)}') WHERE _op <> 'd'`))
            .getRowsJS()
            .map((r) => Number(r[0]));
          for (const id of ids) if (!visible.has(id)) visible.set(id, now);
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const engineUp = Date.now() + 60_000;
  while (!visible.has(0) && Date.now() < engineUp) await new Promise((r) => setTimeout(r, 50));
  if (!visible.has(0)) throw new Error('the keyed-table engine did not deliver the first row within 60 s');
  await consumer.connect();
  await consumer.subscribe({ topic: 'live.benchdb.lat', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const id = Number(/"after":\{"id":(\d+)/.exec(message.value.toString())?.[1]);
      // stamped now, matched with the commit later: under load an event can arrive before the client has seen its
      // COMMIT return
      if (id > 0 && !arrived.has(id)) arrived.set(id, performance.now());
    },
  });
  await new Promise((r) => setTimeout(r, 1500));
  const n = RATE * LATENCY_SECONDS;
  const loadBeforeLatency = loadavg().map((x) => Math.round(x * 10) / 10);
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) {
    const wait = t0 + (i / RATE) * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await conn.query('INSERT INTO lat VALUES (?, ?)', [i, i]);
    committed.set(i, performance.now());
  }
  const achievedRate = n / ((performance.now() - t0) / 1000);
  const deadline = Date.now() + 60_000;
  const lakeCount = () => [...committed.keys()].filter((id) => visible.has(id)).length;
  while ((arrived.size < n || lakeCount() < n) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  watching = false;
  await watcher;
  await consumer.disconnect();
  await proc.close();
  const latencies = [...committed].flatMap(([id, c]) => (arrived.has(id) ? [(arrived.get(id) as number) - c] : []));
  const lakeLatencies = [...committed].flatMap(([id, c]) => (visible.has(id) ? [(visible.get(id) as number) - c] : []));
  // the view itself holds every committed row
  const session = await LakeSession.open({ lakeDir, confined: false, tables: deliveredTables(catalog) });
  const sc = await session.connect();
  const inView = Number(
    (await sc.runAndReadAll(`SELECT count(*) FROM lat WHERE id BETWEEN 1 AND ${n}`)).getRowsJS()[0][0],
  );
  sc.closeSync();
  session.close();
  dconn.closeSync();
  ddb.closeSync();
  if (inView !== n) throw new Error(`the lake view lat holds ${inView} of the ${n} committed rows`);
  abort.abort();
  await live;
  await conn.end();

  const b = median(base);
  const p = median(pub);
  const s = median(subj);
  bench.finish(
    [
      {
        metric: 'cdc catch-up: binlog → Debezium events acknowledged by the broker',
        value: Math.round(s),
        unit: 'row changes/s',
        baseline: { metric: 'binlog reader alone (decode only)', value: Math.round(b), unit: 'row changes/s' },
        ratio: Math.round((s / b) * 100) / 100,
      },
      {
        metric: 'cdc catch-up against publishing alone',
        value: Math.round(s),
        unit: 'row changes/s',
        baseline: {
          metric: 'the same events encoded and sent by kafkajs (idempotent, acks=all), no binlog',
          value: Math.round(p),
          unit: 'msgs/s',
        },
        ratio: Math.round((s / p) * 100) / 100,
      },
      { metric: `commit-to-topic latency p50 at ${RATE} commits/s`, value: Math.round(pct(latencies, 50)), unit: 'ms' },
      { metric: `commit-to-topic latency p99 at ${RATE} commits/s`, value: Math.round(pct(latencies, 99)), unit: 'ms' },
      {
        metric: `commit-to-lake latency p50 at ${RATE} commits/s (the row in the lake view, through the keyed-table engine)`,
        value: Math.round(pct(lakeLatencies, 50)),
        unit: 'ms',
        baseline: {
          metric: 'commit-to-topic latency p50, same commits',
          value: Math.round(pct(latencies, 50)),
          unit: 'ms',
        },
        ratio: Math.round((pct(lakeLatencies, 50) / pct(latencies, 50)) * 100) / 100,
      },
      {
        metric: `commit-to-lake latency p99 at ${RATE} commits/s (the row in the lake view, through the keyed-table engine)`,
        value: Math.round(pct(lakeLatencies, 99)),
        unit: 'ms',
        baseline: {
          metric: 'commit-to-topic latency p99, same commits',
          value: Math.round(pct(latencies, 99)),
          unit: 'ms',
        },
        ratio: Math.round((pct(lakeLatencies, 99) / pct(latencies, 99)) * 100) / 100,
      },
    ],
    {
      rowChanges: changes,
      eventBytes,
      readerRuns: base.map(Math.round),
      cdcRuns: subj.map(Math.round),
      latencySamples: latencies.length,
      lakeLatencySamples: lakeLatencies.length,
      expected: n,
      achievedCommitRate: Math.round(achievedRate),
      lakeFilesSeen: seenFiles.size,
      lakeLatencyMethod:
        'commit returned → the Parquet file holding the row found in <lake>/lat/{changes,base,history} (listed every 10 ms); the engine with ticklake process defaults (--batch-interval 0, 200 ms linger)',
      loadAverage: {
        atStart: loadAtStart,
        beforeLatency: loadBeforeLatency,
        atEnd: loadavg().map((x) => Math.round(x * 10) / 10),
      },
      peakRssNote: 'the whole bench process: broker, cdc, and for the latency part the keyed-table engine in-process',
    },
  );
} finally {
  await my.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
}

/**
 * A crash must not double-count trades (issue 20 item 5). A live exchange checkpoints every 2 s; killed with -9 it
 * restarts from its checkpoint and sends again what it had sent after it (~1.2 s of ticks per crash were counted
 * twice in the bars, the lake and MySQL). Ticks now carry their identity (src, seq) and the processor counts each
 * once. Both live producers are killed repeatedly:
 *
 * - `ticklake start` (exchanges, processor and MySQL delivery in one process, all killed together): the lake's ticks
 *   and every bar in the lake and in MySQL equal those of an uninterrupted run of the same seed — the simulator's
 *   tick sequence computed here, produced once to a topic of its own and processed by the same processor;
 * - a standalone `ticklake produce --live` (after a restart it jumps its event time to the clock, so a re-sent tick
 *   comes back with a new event time): the lake holds the first copy of every tick exactly once, the prices and
 *   sizes are those of the uninterrupted simulation, and the bars equal those of the same ticks sent once.
 *
 * Each also checks that the topic really holds repeats: the crashes did re-send. (Two crashes each: every restart
 * costs a start of the whole pipeline, and one more showed nothing two do not.)
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../broker/index.js';
import type { Tick } from '../contracts/tick.js';
import { startProcessor } from '../processors/ticks/processor.js';
import type { ExchangeCheckpoint } from '../producers/live-exchange.js';
import { Simulator } from '../producers/simulator.js';
import { loadUniverse } from '../producers/universe.js';
import { useBroker } from './helpers/broker.js';
import { createDatabase, startTestMysql, type TestMysql, testMysqlAvailable } from './helpers/mysql.js';
import { loadMysqlTables, readTopic } from './helpers/processor-run.js';

const BIN = new URL('../cli/bin.js', import.meta.url).pathname;
const WINDOW_SIZES = '10s,1m';
const LATENESS_MS = 30_000;
const WINDOWS = ['--windows', WINDOW_SIZES, '--lateness', `${LATENESS_MS}ms`];
const EXCHANGES = ['SE1', 'SE2', 'CRX'];
const lake = (dir: string, t: string) =>
  `read_parquet('${dir}/${t}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

interface Launched {
  child: ChildProcess;
  exit: Promise<number | null>;
  output: () => string;
}

/** A long-running `ticklake` child, once `ready` matches its output (stdout and stderr). */
async function launch(args: string[], ready: RegExp): Promise<Launched> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; !ready.test(out); i++) {
    if (child.exitCode !== null || child.signalCode !== null || i > 600) {
      child.kill('SIGKILL');
      throw new Error(`ticklake ${args[0]} did not start:\n${out}`);
    }
    await sleep(100);
  }
  return { child, exit, output: () => out };
}

async function kill9(p: Launched): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exit;
}

interface Identified {
  src: string;
  symbol: string;
  seq: number;
  exchange: string;
  ts: number;
  price: number;
  size: number;
  partition: number;
  value: string;
}

/** The topic's ticks (per partition in offset order), and the first copy of each identity. */
function firstCopies(raw: Awaited<ReturnType<typeof readTopic>>): { all: Identified[]; first: Identified[] } {
  const all = raw.map(
    (m) => ({ ...(JSON.parse(String(m.value)) as Tick), partition: m.partition, value: String(m.value) }) as Identified,
  );
  const seen = new Set<string>();
  const first = all.filter((t) => {
    const id = `${t.src}\0${t.symbol}\0${t.seq}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return { all, first };
}

/** Sends values keyed by symbol with Kafka's default partitioner (as the exchanges do), in the order given. */
async function sendOnce(brokers: string[], topic: string, ticks: { symbol: string; value: string }[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'reference', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < ticks.length; i += 2000) {
    await producer.send({
      topic,
      acks: -1,
      messages: ticks.slice(i, i + 2000).map((t) => ({ key: t.symbol, value: t.value })),
    });
  }
  await producer.disconnect();
}

/** Rows of `a` not in `b` plus rows of `b` not in `a`, as multisets. */
async function exceptBoth(db: DuckDBConnection, a: string, b: string): Promise<number> {
  const r = await db.runAndReadAll(
    `SELECT count(*)::INTEGER FROM ((${a} EXCEPT ALL ${b}) UNION ALL (${b} EXCEPT ALL ${a}))`,
  );
  return Number(r.getRowsJS()[0][0]);
}

/**
 * Bars of `actual` that `expected` lacks plus the other way (EXCEPT ALL both ways), every column exact: the stream
 * SQL adds its doubles in a fixed order (sql/streams/bars.sql), so the same ticks give the same bits however the
 * crashes cut the batches, as test/helpers/lake-compare.ts compares them. Named columns: MySQL's bars have no others.
 */
async function barDifferences(db: DuckDBConnection, expected: string, actual: string): Promise<number> {
  const cols = `symbol, "window", window_start, window_end, open, high, low, close, volume, notional, vwap, trades,
    trade_rate, volatility, log_return`;
  return exceptBoth(db, `SELECT ${cols} FROM (${expected})`, `SELECT ${cols} FROM (${actual})`);
}

/** The processor over `topic` until it is drained, every window closed (as `ticklake process --until-idle`). */
async function processAll(brokers: string, topic: string, dir: string, mysqlUrl?: string): Promise<void> {
  const p = await startProcessor({
    brokers: [brokers],
    topic,
    group: `final-${topic}`,
    lakeDir: join(dir, 'lake'),
    stateDir: join(dir, 'state'),
    mysqlUrl,
    untilIdle: true,
    windows: WINDOW_SIZES,
    latenessMs: LATENESS_MS,
  });
  await p.done;
}

describe.skipIf(!testMysqlAvailable())('kill -9 of ticklake start, twice', () => {
  let dir: string;
  let my: TestMysql;
  let url: string;
  let db: DuckDBConnection;
  let broker: Launched | undefined;
  let raw: Identified[] = [];
  let first: Identified[] = [];
  let produced = 0;
  let finalStop: number | null = null;
  /** How many symbols the three exchanges trade, from the universe. */
  let symbols = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-start-kill-'));
    my = await startTestMysql();
    url = await createDatabase(my.url, 'start_kill');
    const data = join(dir, 'data');
    const start = (i: number) => [
      'start',
      '--data-dir',
      data,
      '--port',
      '0',
      '--broker-port',
      '0',
      '--rate',
      '400',
      '--seed',
      '11',
      '--history', // no backfilled history: the runs compare the live market only
      '0',
      '--history-intraday',
      '0',
      '--group', // a new group each time: no wait for the killed member's session to expire
      `g${i}`,
      '--mysql-url',
      url,
      '--batch-interval',
      '500ms',
      '--compact-every',
      '0',
      // the tick pipeline only: the keyed-table engine (no topic of its sources has data here) and the scheduler
      // take no part in counting trades, and cost each of the three starts about 4 CPU-s before its banner
      '--sources',
      'ticks',
      '--no-schedule',
      ...WINDOWS,
    ];
    for (let i = 0; i < 2; i++) {
      const p = await launch(start(i), /^ticklake urls: /m);
      await sleep(2500 + i * 900); // past a checkpoint or two, then the crash somewhere between two
      await kill9(p);
    }
    const last = await launch(start(2), /^ticklake urls: /m);
    await sleep(3000);
    last.child.kill('SIGINT');
    finalStop = await last.exit;

    // the uninterrupted run: each exchange's simulation from the same event time, as many ticks as it produced
    const universe = await loadUniverse();
    symbols = EXCHANGES.reduce((n, x) => n + (universe.exchanges.find((e) => e.id === x)?.symbols.length ?? 0), 0);
    const reference: { symbol: string; value: string; ts: number }[] = [];
    for (const x of EXCHANGES) {
      const cp = JSON.parse(await readFile(join(data, 'exchanges', `${x}.json`), 'utf8')) as ExchangeCheckpoint;
      produced += cp.sim.produced;
      const anchor = cp.sim.ts - cp.sim.stepNo * cp.tickIntervalMs;
      const symbols = universe.exchanges.find((e) => e.id === x)?.symbols ?? [];
      const sim = new Simulator(symbols, { seed: '11', start: anchor, tickIntervalMs: cp.tickIntervalMs });
      for (let k = 0; k < cp.sim.produced && sim.next(); k++) {
        reference.push({ symbol: sim.key(), value: sim.encode(), ts: sim.ts });
      }
    }
    reference.sort((a, b) => a.ts - b.ts); // the exchanges' ticks interleaved in event time, as live

    // the embedded broker again: the crashed run's windows closed, and the uninterrupted run processed
    broker = await launch(['broker', '--port', '0', '--data-dir', join(data, 'broker')], /broker listening on \S+/);
    const address = (/broker listening on (\S+)/.exec(broker.output()) as RegExpExecArray)[1];
    await processAll(address, 'ticks', data, url);
    await sendOnce([address], 'uninterrupted', reference);
    await processAll(address, 'uninterrupted', join(dir, 'uninterrupted'));
    ({ all: raw, first } = firstCopies(await readTopic([address], 'ticks')));

    db = await (await DuckDBInstance.create(':memory:')).connect();
    await loadMysqlTables(url, db, dir);
  }, 420_000);

  afterAll(async () => {
    broker?.child.kill('SIGKILL');
    db?.closeSync();
    await my?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the crashes re-sent ticks: the topic holds repeats of identities, and every identity once at least', () => {
    expect(finalStop).toBe(0);
    expect(raw.length).toBeGreaterThan(first.length);
    expect(first.length).toBe(produced);
    expect(new Set(first.map((t) => t.src)).size).toBe(EXCHANGES.length); // one source per exchange, kept across restarts
  });

  it("the lake's ticks are the uninterrupted run's, each once", async () => {
    const cols = 'symbol, exchange, asset_class, ts, price, size, kafka_partition';
    const crashed = `SELECT ${cols} FROM ${lake(join(dir, 'data', 'lake'), 'ticks')}`;
    const clean = `SELECT ${cols} FROM ${lake(join(dir, 'uninterrupted', 'lake'), 'ticks')}`;
    expect(await exceptBoth(db, crashed, clean)).toBe(0);
    const n = await db.runAndReadAll(`SELECT count(*)::INTEGER FROM (${crashed})`);
    expect(n.getRowsJS()[0][0]).toBe(produced);
  });

  it('every bar in the lake equals the uninterrupted run', async () => {
    const crashed = `SELECT * FROM ${lake(join(dir, 'data', 'lake'), 'bars')}`;
    const clean = `SELECT * FROM ${lake(join(dir, 'uninterrupted', 'lake'), 'bars')}`;
    expect(await barDifferences(db, clean, crashed)).toBe(0);
    // not a vacuous comparison: every symbol of the three exchanges has bars of both sizes. (How many windows close
    // depends on where the ~9 s run falls on the clock: a guard of "more than 3 per symbol" saw exactly 3 once.)
    const n = await db.runAndReadAll(
      `SELECT "window", count(DISTINCT symbol)::INTEGER FROM (${clean}) GROUP BY ALL ORDER BY "window"`,
    );
    expect(n.getRowsJS()).toEqual(
      WINDOW_SIZES.split(',')
        .sort()
        .map((w) => [w, symbols]),
    );
  });

  it('every bar in MySQL equals the uninterrupted run', async () => {
    const clean = `SELECT * FROM ${lake(join(dir, 'uninterrupted', 'lake'), 'bars')}`;
    expect(await barDifferences(db, clean, 'SELECT * FROM my_bars')).toBe(0);
  });
});

describe('kill -9 of a standalone ticklake produce --live, twice', () => {
  let dir: string;
  let broker: RunningBroker;
  let db: DuckDBConnection;
  let raw: Identified[] = [];
  let first: Identified[] = [];
  let finalStop: number | null = null;

  const embedded = useBroker('ticklake-produce-kill', { defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    const produce = [
      'produce',
      '--live',
      '--brokers',
      broker.address,
      '--data-dir',
      join(dir, 'data'),
      '--seed',
      '12',
      '--tick-interval',
      '100ms',
    ];
    for (let i = 0; i < 2; i++) {
      const p = await launch(produce, /^produce live: /m);
      await sleep(2500 + i * 900);
      await kill9(p);
    }
    const last = await launch(produce, /^produce live: /m);
    await sleep(2500);
    last.child.kill('SIGINT');
    finalStop = await last.exit;

    await processAll(broker.address, 'ticks', join(dir, 'crashed'));
    ({ all: raw, first } = firstCopies(await readTopic([broker.address], 'ticks')));
    // the same ticks sent once, in the order they were first sent on each partition
    await sendOnce([broker.address], 'once', first);
    await processAll(broker.address, 'once', join(dir, 'once'));
    db = await (await DuckDBInstance.create(':memory:')).connect();
  }, 300_000);

  afterAll(async () => {
    db?.closeSync();
  });

  it('the crashes re-sent ticks, and no identity is missing', () => {
    expect(finalStop).toBe(0);
    expect(raw.length).toBeGreaterThan(first.length);
    const bySrc = new Map<string, number[]>();
    for (const t of first) bySrc.set(t.src, [...(bySrc.get(t.src) ?? []), t.seq]);
    expect(bySrc.size).toBe(EXCHANGES.length);
    for (const seqs of bySrc.values()) {
      const sorted = [...seqs].sort((a, b) => a - b);
      expect(sorted).toEqual(Array.from({ length: sorted.length }, (_, i) => i + 1));
    }
  });

  it('prices and sizes are those of the uninterrupted simulation of the seed', async () => {
    const universe = await loadUniverse();
    const bad: string[] = [];
    for (const x of universe.exchanges) {
      const mine = first.filter((t) => t.exchange === x.id).sort((a, b) => a.seq - b.seq);
      const sim = new Simulator(x.symbols, { seed: '12', start: 0, tickIntervalMs: 100 });
      for (const t of mine) {
        sim.next();
        const want = sim.tick();
        if (want.symbol !== t.symbol || want.price !== t.price || want.size !== t.size) bad.push(`${x.id} ${t.seq}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('the lake holds the first copy of every tick, once', async () => {
    const file = join(dir, 'first.ndjson');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, first.map((t) => JSON.stringify(t)).join('\n'));
    const expected = `SELECT symbol, epoch_ms(ts::BIGINT) AS ts, price::DOUBLE AS price, size::BIGINT AS size
      FROM read_json_auto('${file}')`;
    const actual = `SELECT symbol, ts, price, size FROM ${lake(join(dir, 'crashed', 'lake'), 'ticks')}`;
    expect(await exceptBoth(db, expected, actual)).toBe(0);
  });

  it('every bar equals the bars of the same ticks sent once', async () => {
    const crashed = `SELECT * FROM ${lake(join(dir, 'crashed', 'lake'), 'bars')}`;
    const once = `SELECT * FROM ${lake(join(dir, 'once', 'lake'), 'bars')}`;
    expect(await barDifferences(db, once, crashed)).toBe(0);
  });
});

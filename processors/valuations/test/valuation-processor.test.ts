/**
 * The valuation stage on its own (valuation-processor.ts) over the embedded broker: fed a `closes` topic made by
 * this test from the bars of a single-instance tick-engine run (a 4-partition topic whose partition 3 never gets a
 * tick: an idle partition), it values exactly what the tick engine valued in-process — by key, bit for bit — in two
 * runs (stopped and restarted from its state), with a close published twice and an invalid message in between.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { lakeTable } from '../../../test/helpers/instances.js';
import { produceAll } from '../../../test/helpers/processor-run.js';
import { startProcessor } from '../../ticks/processor.js';
import { onSymbolPartitions, seededRun } from '../../ticks/test/fixtures.js';
import { diff } from '../../ticks/test/reference.js';
import { encodeClose, encodeMark } from '../closes.js';
import { startValuationStage } from '../valuation-processor.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'cli', 'bin.js');
const SOURCE_PARTITIONS = 4;

function runCli(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
} // ticks go to 0..2 only: partition 3 is idle

describe('the valuation stage fed by the closes topic', () => {
  let dir: string;
  let broker: RunningBroker;
  let db: DuckDBConnection;
  let kafka: Kafka;
  const single = () => join(dir, 'single', 'lake');
  const staged = () => join(dir, 'stage', 'lake');

  const send = async (messages: { key: string; value: string }[]) => {
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({ topic: 'closes', acks: -1, messages: messages.slice(i, i + 1000) });
    }
    await producer.disconnect();
  };
  const runStage = async () => {
    const s = await startValuationStage({
      brokers: [broker.address],
      group: 'valuations',
      lakeDir: staged(),
      stateDir: join(dir, 'stage', 'state'),
      untilIdle: true,
      batchMessages: 300,
    });
    return s.done;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-valstage-'));
    let run: Awaited<ReturnType<typeof seededRun>>;
    [broker, run] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, groupInitialRebalanceDelayMs: 0 }),
      seededRun(12),
    ]);
    kafka = new Kafka({ clientId: 'valstage-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
    const messages = onSymbolPartitions(run.log.messages, 3);
    await produceAll([broker.address], 'ticks', messages, SOURCE_PARTITIONS);
    const p = await startProcessor({
      brokers: [broker.address],
      group: 'single',
      lakeDir: single(),
      stateDir: join(dir, 'single', 'state'),
      untilIdle: true,
      batchMessages: 500,
    });
    await p.done;
    db = await (await DuckDBInstance.create(':memory:')).connect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'closes', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
  }, 240_000);

  afterAll(async () => {
    db?.closeSync();
    await broker?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('values what the tick engine valued in-process, idle partition included, across a restart', async () => {
    // the closes, from the bars the tick engine wrote, in window-end order
    const r = await db.runAndReadAll(`SELECT symbol, "window", epoch_ms(window_end)::BIGINT, close
      FROM ${lakeTable(single(), 'bars')} ORDER BY window_end, symbol, "window"`);
    const closes = r.getRowsJS().map(([symbol, window, end, close]) => ({
      symbol: String(symbol),
      window: String(window),
      window_end: Number(end),
      close: Number(close),
    }));
    expect(closes.length).toBeGreaterThan(100);
    // marks for partitions 0..2 after every 50 closes (each close up to that end was published); none for 3
    const msgs: { key: string; value: string }[] = [];
    closes.forEach((c, i) => {
      msgs.push(encodeClose(c));
      if (i % 50 === 49) {
        for (let p = 0; p < 3; p++) {
          msgs.push(encodeMark({ partition: p, partitions: SOURCE_PARTITIONS, watermark: c.window_end, idle: false }));
        }
      }
    });
    const half = Math.floor(msgs.length / 2);
    await send(msgs.slice(0, half));
    const first = await runStage();
    // partition 3 has no mark yet: nothing can be valued
    expect(first.valuations).toBe(0);
    expect(first.consumed).toBe(half);
    // the rest, a close published again, an invalid message, and the end of the bounded run: every partition's
    // watermark past every window (as the tick engine's --until-idle flush does)
    const flush = closes[closes.length - 1].window_end + 86_400_000;
    await send([
      ...msgs.slice(half),
      encodeClose(closes[closes.length - 2]),
      { key: 'junk', value: '{"kind":"close","symbol":"X"}' },
      ...[0, 1, 2, 3].map((p) =>
        encodeMark({ partition: p, partitions: SOURCE_PARTITIONS, watermark: flush, idle: false }),
      ),
    ]);
    // the second run as a user starts it
    const second = await runCli([
      'process',
      '--stage',
      'valuations',
      '--brokers',
      broker.address,
      '--lake-dir',
      staged(),
      '--state-dir',
      join(dir, 'stage', 'state'),
      '--until-idle',
    ]);
    expect([second.code, second.code === 0 ? '' : second.err]).toEqual([0, '']);
    const summary =
      /valuations: (\d+) messages \((\d+) closes, (\d+) marks, (\d+) invalid\) in \d+ batches: (\d+) valuations/.exec(
        second.err,
      );
    const rest = msgs.slice(half);
    const kinds = (k: string) => rest.filter((m) => m.key.startsWith(k)).length;
    // messages, closes (one again), marks (four more), invalid (one) — counted from what this test sent
    expect(summary?.slice(1, 5).map(Number)).toEqual([rest.length + 6, kinds('close/') + 1, kinds('mark/') + 4, 1]);
    expect(Number(summary?.[5])).toBeGreaterThan(0);

    const key = ['portfolio_id', '"window"', 'as_of'];
    expect(
      await diff(
        db,
        `SELECT * FROM ${lakeTable(single(), 'valuations')}`,
        `SELECT * FROM ${lakeTable(staged(), 'valuations')}`,
        key,
        // no tolerance: the same closes give the same bits (valuations.sql sums in a fixed order)
        [],
        ['nav', 'change', 'change_pct', 'investor_id', 'positions', 'missing_prices'],
      ),
    ).toEqual([]);
    const counts = await db.runAndReadAll(`SELECT
      (SELECT count(*) FROM ${lakeTable(single(), 'valuations')})::INTEGER,
      (SELECT count(*) FROM ${lakeTable(staged(), 'valuations')})::INTEGER,
      (SELECT count(DISTINCT (portfolio_id, "window", as_of)) FROM ${lakeTable(staged(), 'valuations')})::INTEGER`);
    const [expected, rows, keys] = counts.getRowsJS()[0].map(Number);
    expect({ rows, keys }).toEqual({ rows: expected, keys: expected });
    expect(expected).toBeGreaterThan(0);
  }, 180_000);
});

describe('the tick engine publishing its closes (--publish-closes) to the separate stage', () => {
  let dir: string;
  let broker: RunningBroker;
  let db: DuckDBConnection;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-valstage-e2e-'));
    let run: Awaited<ReturnType<typeof seededRun>>;
    [broker, run] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, groupInitialRebalanceDelayMs: 0 }),
      seededRun(12),
    ]);
    const messages = onSymbolPartitions(run.log.messages, 3);
    await produceAll([broker.address], 'ticks', messages, SOURCE_PARTITIONS);
    db = await (await DuckDBInstance.create(':memory:')).connect();
  }, 120_000);

  afterAll(async () => {
    db?.closeSync();
    await broker?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the stage, run after it as its own process, values exactly what the engine valued in-process', async () => {
    const engine = await runCli([
      'process',
      '--brokers',
      broker.address,
      '--lake-dir',
      join(dir, 'engine', 'lake'),
      '--state-dir',
      join(dir, 'engine', 'state'),
      '--until-idle',
      '--max-batch',
      '500',
      '--publish-closes',
    ]);
    expect([engine.code, engine.code === 0 ? '' : engine.err]).toEqual([0, '']);
    const stage = await runCli([
      'process',
      '--stage',
      'valuations',
      '--brokers',
      broker.address,
      '--lake-dir',
      join(dir, 'stage', 'lake'),
      '--state-dir',
      join(dir, 'stage', 'state'),
      '--until-idle',
    ]);
    expect([stage.code, stage.code === 0 ? '' : stage.err]).toEqual([0, '']);
    const L = (run: string) => `SELECT * FROM ${lakeTable(join(dir, run, 'lake'), 'valuations')}`;
    expect(
      await diff(
        db,
        L('engine'),
        L('stage'),
        ['portfolio_id', '"window"', 'as_of'],
        // no tolerance: the same closes give the same bits (valuations.sql sums in a fixed order)
        [],
        ['nav', 'change', 'change_pct', 'investor_id', 'positions', 'missing_prices'],
      ),
    ).toEqual([]);
    const r = await db.runAndReadAll(
      `SELECT (SELECT count(*) FROM (${L('engine')}))::INTEGER, (SELECT count(*) FROM (${L('stage')}))::INTEGER`,
    );
    const [engineRows, stageRows] = r.getRowsJS()[0].map(Number);
    expect(stageRows).toBe(engineRows);
    expect(engineRows).toBeGreaterThan(0);
  }, 180_000);
});

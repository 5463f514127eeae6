/**
 * Producers through the real embedded broker over TCP, read back with a real kafkajs consumer: in-process runs, and
 * the `ticklake produce` / `ticklake replay` commands as child processes.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { encodeTick, tickProblem } from '../../contracts/tick.js';
import { useBroker } from '../../test/helpers/broker.js';
import { requireTool } from '../../test/helpers/tools.js';
import { runProduce } from '../produce-run.js';
import { Progress } from '../progress.js';
import { simulate } from '../simulator.js';
import { simulationSource } from '../tick-source.js';
import { loadUniverse, selectSymbols } from '../universe.js';

const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../samples/eustockmarkets.csv', import.meta.url));
const START = Date.UTC(2026, 0, 5, 9, 30);
const quiet = () => new Progress('test', { stream: { write: () => true }, live: false });

let dir: string;
let broker: RunningBroker;
let kafka: Kafka;

const embedded = useBroker('tl-produce-rt', { defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 });
beforeAll(async () => {
  ({ dir, broker } = embedded);
  kafka = new Kafka({
    clientId: 'roundtrip-test',
    brokers: [`${broker.host}:${broker.port}`],
    logLevel: logLevel.NOTHING,
  });
});

interface Consumed {
  partition: number;
  key: string;
  value: string;
}

/** Reads `n` messages of `topic` from the beginning with a kafkajs consumer group. */
async function consume(topic: string, n: number): Promise<Consumed[]> {
  const consumer = kafka.consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: Consumed[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages)
            out.push({ partition: batch.partition, key: m.key!.toString('utf8'), value: m.value!.toString('utf8') });
          if (out.length >= n) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out;
}

/** Runs the ticklake CLI as a child process (async: the broker lives in this process). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Per symbol, the values in the order they were consumed. */
function bySymbol(msgs: Consumed[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const x of msgs) m.set(x.key, [...(m.get(x.key) ?? []), x.value]);
  return m;
}

describe('produce → embedded broker → kafkajs consumer', () => {
  it('every message comes back valid, keyed by its symbol, each symbol on exactly one partition, bytes as simulated', async () => {
    const universe = await loadUniverse();
    const symbols = selectSymbols(universe);
    const n = symbols.length * 100;
    const sim = { seed: 5, start: START, tickIntervalMs: 250 };
    const summary = await runProduce({
      brokers: [`${broker.host}:${broker.port}`],
      topic: 'rt-ticks',
      symbols,
      sim,
      count: n,
      rate: 0,
      batchSize: 500,
      retries: 2,
      progress: quiet(),
    });
    expect(summary.sent).toBe(n);
    const msgs = await consume('rt-ticks', n);
    expect(msgs).toHaveLength(n);

    const partitionsOf = new Map<string, Set<number>>();
    for (const m of msgs) {
      const tick = JSON.parse(m.value);
      expect(tickProblem(tick)).toBeNull();
      expect(m.key).toBe(tick.symbol);
      partitionsOf.set(m.key, (partitionsOf.get(m.key) ?? new Set()).add(m.partition));
    }
    expect(partitionsOf.size).toBe(symbols.length);
    for (const [, parts] of partitionsOf) expect(parts.size).toBe(1);
    expect(new Set(msgs.map((m) => m.partition)).size).toBeGreaterThan(1);

    // per symbol, the same bytes in the same order as a fresh in-process simulation; the identity: the run's
    // source (a hash of its parameters), the count of ticks produced as seq
    const source = simulationSource({ ...sim, symbols });
    expect(source).toMatch(/^sim-[0-9a-f]{16}$/);
    expect(simulationSource({ ...sim, seed: 6, symbols })).not.toBe(source);
    const expected = bySymbol(
      simulate(symbols, { ...sim, source }, n).map((t) => ({ partition: 0, key: t.symbol, value: encodeTick(t) })),
    );
    expect(bySymbol(msgs)).toEqual(expected);
    expect(msgs.map((m) => JSON.parse(m.value).seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: n }, (_, i) => i + 1),
    );
  });

  it('`ticklake produce --exchange SE2` in its own process sends exactly the SE2 ticks of the seed', async () => {
    const address = `${broker.host}:${broker.port}`;
    const run = await cli([
      'produce',
      '--brokers',
      address,
      '--topic',
      'rt-se2',
      '--exchange',
      'SE2',
      '--seed',
      '77',
      '--start',
      '2026-01-05T09:30:00Z',
      '--tick-interval',
      '1s',
      '--count',
      '1200',
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^produce SE2: sent 1200 messages in .* to rt-se2, 12 symbols, event time 2026-01-05T09:30:00.000Z \.\. 2026-01-05T09:31:39.000Z$/m,
    );
    const msgs = await consume('rt-se2', 1200);
    const universe = await loadUniverse();
    const symbols = selectSymbols(universe, 'SE2');
    const sim = { seed: '77', start: START, tickIntervalMs: 1000 };
    const expected = simulate(symbols, { ...sim, source: simulationSource({ ...sim, symbols }) }, 1200);
    expect(bySymbol(msgs)).toEqual(
      bySymbol(expected.map((t) => ({ partition: 0, key: t.symbol, value: encodeTick(t) }))),
    );
  });

  it('the symbol → partition mapping is Kafka’s standard one: kcat (librdkafka murmur2) puts the keys on the same partitions', async (ctx) => {
    const kcat = requireTool('kcat');
    if (!kcat) return ctx.skip();
    const address = `${broker.host}:${broker.port}`;
    const universe = await loadUniverse();
    const symbols = selectSymbols(universe);
    await runProduce({
      brokers: [address],
      topic: 'rt-keys',
      symbols,
      sim: { seed: 3, start: START, tickIntervalMs: 250 },
      count: symbols.length * 10,
      rate: 0,
      batchSize: 100,
      retries: 2,
      progress: quiet(),
    });
    const viaProducer = new Map((await consume('rt-keys', symbols.length * 10)).map((m) => [m.key, m.partition]));
    // librdkafka's murmur2_random is the Java client's partitioner; a probe topic with the same partition count (3)
    const run = (args: string[], input?: string) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(kcat, ['-b', address, ...args]);
        let text = '';
        child.stdout.on('data', (d) => (text += d));
        child.on('error', reject);
        child.on('close', () => resolve(text));
        child.stdin.end(input ?? '');
      });
    await run(
      ['-P', '-t', 'rt-keys-probe', '-X', 'partitioner=murmur2_random', '-K', ':'],
      symbols.map((s) => `${s.symbol}:probe\n`).join(''),
    );
    const out = await run(['-C', '-t', 'rt-keys-probe', '-o', 'beginning', '-e', '-q', '-f', '%p %k\\n']);
    const viaKcat = new Map(
      out
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([p, k]) => [k, Number(p)] as const),
    );
    expect(viaKcat.size).toBe(symbols.length);
    expect(Object.fromEntries(viaKcat)).toEqual(Object.fromEntries(viaProducer));
  });

  it('--rate sends in small batches (about 20 per second of the rate), all messages delivered', async () => {
    const universe = await loadUniverse();
    const summary = await runProduce({
      brokers: [`${broker.host}:${broker.port}`],
      topic: 'rt-rate',
      symbols: selectSymbols(universe, 'CRX'),
      sim: { seed: 1, start: START, tickIntervalMs: 250 },
      count: 60,
      rate: 400,
      batchSize: 1000,
      retries: 2,
      progress: quiet(),
    });
    // 400 msg/s → batches of 400/20 = 20 messages → 3 requests for 60
    expect(summary).toMatchObject({ sent: 60, requests: 3 });
    expect(await consume('rt-rate', 60)).toHaveLength(60);
  });

  it('exits non-zero with a FAILED summary when no broker answers, after bounded retries', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const run = await cli(['produce', '--brokers', `127.0.0.1:${port}`, '--send-retries', '1', '--count', '10']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/FAILED after 0 messages/);
  });
});

describe('replay → embedded broker', () => {
  it('the EuStockMarkets sample arrives complete, each index in date order on one partition', async () => {
    const run = await cli([
      'replay',
      '--brokers',
      `${broker.host}:${broker.port}`,
      '--topic',
      'rt-eu',
      '--file',
      SAMPLE,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /replay: sent 7440 messages .* event time 1991-07-01T00:00:00.000Z \.\. 1998-08-14T00:00:00.000Z \(no size column: size 1\); 0 bad rows/,
    );
    const msgs = await consume('rt-eu', 7440);
    expect(msgs).toHaveLength(7440);
    for (const [symbol, values] of bySymbol(msgs)) {
      expect(values).toHaveLength(1860);
      const ts = values.map((v) => JSON.parse(v).ts as number);
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
      expect(new Set(msgs.filter((m) => m.key === symbol).map((m) => m.partition)).size).toBe(1);
    }
  });

  it('a CSV with bad rows: reported with line numbers, valid rows sent, exit 1 unless --skip-bad', async () => {
    const f = join(dir, 'trades.csv');
    await writeFile(
      f,
      'time,symbol,price,qty\n2026-01-05T09:30:00Z,AAPL,187.42,100\n2026-01-05T09:30:01Z,AAPL,,100\n2026-01-05T09:30:02Z,MSFT,415.1,x\n2026-01-05T09:30:03Z,MSFT,415.2,200\n',
    );
    const address = `${broker.host}:${broker.port}`;
    const strict = await cli(['replay', '--brokers', address, '--topic', 'rt-bad', '--file', f]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(`${f}:3: price: "" is not a number`);
    expect(strict.stderr).toContain(`${f}:4: qty: "x" is not a number`);
    expect(strict.stderr).toMatch(/sent 2 messages .* 2 bad rows skipped/);
    const lenient = await cli(['replay', '--brokers', address, '--topic', 'rt-bad', '--file', f, '--skip-bad']);
    expect(lenient.code).toBe(0);
    const msgs = await consume('rt-bad', 4);
    expect(
      msgs
        .map((m) => JSON.parse(m.value))
        .map((t) => [t.symbol, t.price, t.size])
        .sort(),
    ).toEqual([
      ['AAPL', 187.42, 100],
      ['AAPL', 187.42, 100],
      ['MSFT', 415.2, 200],
      ['MSFT', 415.2, 200],
    ]);
  });
});

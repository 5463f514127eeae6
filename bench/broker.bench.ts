/**
 * Broker throughput (`npm run bench:broker`): 1M messages of ~200 bytes produced and consumed through kafkajs and
 * through kcat against a `ticklake broker` subprocess (default settings: fsync acks-all), plus the baseline the
 * issue asks for: a bare Node TCP server that only reads and discards.
 *
 * Baseline method: kcat cannot run against a server that never answers, so kcat's produce requests are
 * captured once (a recording proxy between kcat and the broker keeps every Produce frame), then replayed at
 * full speed from one Node client socket into (a) the discard server and (b) a fresh broker. For (a) the time
 * runs until the server has read the last byte; for (b) until the broker has answered the last request.
 * Five rounds alternate between the two; the ratio of the median rates broker/discard is printed (target ≥ 0.5).
 * Peak RSS is the broker process's VmHWM (the bench process's own is in the result too).
 *
 * Results go to bench/results/broker.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker as startInProcess } from '../broker/index.js';
import { startRecordingProxy } from '../broker/test/recording-proxy.js';
import { type BenchFigure, peakRssMiBOf, startBench } from './result.js';
import { median } from './stats.js';

const N = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const SIZE = 200;
const ROUNDS = 5;

const BIN = join(import.meta.dirname, '..', 'cli', 'bin.js');
const root = mkdtempSync(join(tmpdir(), 'tl-bench-broker-'));

interface ChildBroker {
  child: ChildProcess;
  address: string;
  port: number;
}

function startBroker(name: string, extra: string[] = []): Promise<ChildBroker> {
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--data-dir', join(root, name), ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /broker listening on (\S+):(\d+)/.exec(out);
      if (m) resolve({ child, address: `${m[1]}:${m[2]}`, port: Number(m[2]) });
    });
    child.once('exit', (c) => reject(new Error(`broker exited ${c}`)));
  });
}

function peakRssMiB(pid: number): number {
  return peakRssMiBOf(pid) ?? -1;
}

async function stop(b: ChildBroker): Promise<number> {
  const rss = peakRssMiB(b.child.pid!);
  b.child.kill('SIGTERM');
  await new Promise((r) => b.child.once('exit', r));
  return rss;
}

function value(i: number): string {
  const head = `msg-${i}-`;
  return head + 'v'.repeat(SIZE - head.length);
}

function rate(count: number, bytes: number, ms: number) {
  return {
    messages: count,
    seconds: +(ms / 1000).toFixed(3),
    msgsPerSec: Math.round((count / ms) * 1000),
    mbPerSec: +(((bytes / ms) * 1000) / 1e6).toFixed(1),
  };
}

function run(cmd: string, args: string[], onStdout?: (d: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'inherit'] });
    if (onStdout) p.stdout!.on('data', onStdout);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function kafkajsBench(address: string) {
  const kafka = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 3 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const BATCH = 1000;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < N) {
      const from = next;
      next = Math.min(N, next + BATCH);
      const messages = [];
      for (let i = from; i < next; i++) messages.push({ value: value(i) });
      await producer.send({ topic: 'kjs', messages });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const produce = rate(N, N * SIZE, performance.now() - t0);
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'bench', maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'kjs', fromBeginning: true });
  let count = 0;
  let bytes = 0;
  const t1 = performance.now();
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) bytes += m.value?.length ?? 0;
        count += batch.messages.length;
        if (count >= N) resolve();
      },
    });
  });
  const consume = rate(count, bytes, performance.now() - t1);
  await consumer.disconnect();
  return { produce, consume };
}

async function writeInput(file: string): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < N; i += 10_000) {
    let chunk = '';
    for (let j = i; j < Math.min(N, i + 10_000); j++) chunk += `${value(j)}\n`;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

async function kcatBench(address: string, input: string) {
  const t0 = performance.now();
  await run('kcat', ['-b', address, '-X', 'log_level=3', '-P', '-t', 'kc', '-l', input]);
  const produce = rate(N, N * SIZE, performance.now() - t0);
  let bytes = 0;
  const t1 = performance.now();
  await run('kcat', ['-b', address, '-X', 'log_level=3', '-C', '-t', 'kc', '-o', 'beginning', '-e', '-q'], (d) => {
    bytes += d.length;
  });
  const lines = bytes / (SIZE + 1);
  return { produce, consume: rate(lines, lines * SIZE, performance.now() - t1) };
}

/** Runs kcat through a recording proxy and keeps its Produce request frames (with their size prefixes). */
async function captureKcatProduce(input: string): Promise<Buffer[]> {
  const broker = await startInProcess({ port: 0, dataDir: join(root, 'capture'), fsync: 'never' });
  const frames: Buffer[] = [];
  const proxy = await startRecordingProxy(broker.port, (frame) => {
    if (frame.readInt16BE(4) === 0) frames.push(frame);
  });
  const port = proxy.port;
  // The broker advertises the proxy's port in Metadata, so kcat's produce connection also goes through it.
  broker.context.config.port = port;
  await run('kcat', ['-b', `127.0.0.1:${port}`, '-X', 'log_level=3', '-P', '-t', 'replay', '-l', input]);
  await proxy.close();
  await broker.close();
  return frames;
}

/**
 * Writes the frames at full speed from one socket; resolves with the time until the peer has answered the last
 * one (the broker: the last Produce response; the discard server: its one byte sent after the last byte read).
 */
async function replay(port: number, frames: Buffer[], answers: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let t0 = 0;
    let responses = 0;
    let buf: Buffer = Buffer.alloc(0);
    s.on('connect', async () => {
      t0 = performance.now();
      for (const f of frames) if (!s.write(f)) await new Promise<void>((r) => s.once('drain', () => r()));
    });
    s.on('data', (d: Buffer) => {
      if (answers === 1) {
        s.destroy();
        resolve(performance.now() - t0);
        return;
      }
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        buf = buf.subarray(4 + buf.readInt32BE(0));
        if (++responses === answers) {
          s.destroy();
          resolve(performance.now() - t0);
        }
      }
    });
    s.on('error', reject);
  });
}

/** The baseline: a bare Node TCP server in its own process (like the broker) that reads and discards. */
const DISCARD_SERVER = `
const total = Number(process.argv[1]);
const server = require('node:net').createServer((sock) => {
  let got = 0;
  sock.on('data', (d) => { got += d.length; if (got >= total) sock.write('x'); });
  sock.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

function discardServer(total: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', DISCARD_SERVER, String(total)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: Number(/port (\d+)/.exec(String(d))![1]) }));
  });
}

async function main(): Promise<void> {
  const bench = startBench('broker');
  const input = join(root, 'input.txt');
  await writeInput(input);
  console.error(`${N} messages of ${SIZE} bytes; data under ${root}`);

  const b1 = await startBroker('kafkajs');
  const kjs = await kafkajsBench(b1.address);
  const rssKafkajs = await stop(b1);
  console.error('kafkajs', kjs);

  const b2 = await startBroker('kcat');
  const kc = await kcatBench(b2.address, input);
  const rssKcat = await stop(b2);
  console.error('kcat', kc);

  // Capture kcat's produce requests once, then replay them into the discard server and into a fresh broker.
  const frames = await captureKcatProduce(input);
  const bytes = frames.reduce((n, f) => n + f.length, 0);
  // Rounds alternate between the two servers and the medians are compared, so that load from other processes
  // on the machine hits both sides alike.
  const discard = await discardServer(bytes);
  const b4 = await startBroker('replay');
  const discardRuns: number[] = [];
  const brokerRuns: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    discardRuns.push(await replay(discard.port, frames, 1));
    brokerRuns.push(await replay(b4.port, frames, frames.length));
  }
  const discardMs = median(discardRuns);
  const brokerMs = median(brokerRuns);
  const rssDiscard = peakRssMiB(discard.child.pid!);
  discard.child.kill('SIGTERM');
  const rssReplay = await stop(b4);
  const discardMBps = +(((bytes / discardMs) * 1000) / 1e6).toFixed(1);
  const brokerMBps = +(((bytes / brokerMs) * 1000) / 1e6).toFixed(1);
  const ratio = +(discardMs / brokerMs).toFixed(3);
  console.error('replay', { frames: frames.length, bytes, discardMBps, brokerMBps, ratio });

  const figures: BenchFigure[] = [
    { metric: 'kafkajs produce', value: kjs.produce.msgsPerSec, unit: 'msgs/s' },
    { metric: 'kafkajs produce', value: kjs.produce.mbPerSec, unit: 'MB/s' },
    { metric: 'kafkajs consume', value: kjs.consume.msgsPerSec, unit: 'msgs/s' },
    { metric: 'kafkajs consume', value: kjs.consume.mbPerSec, unit: 'MB/s' },
    { metric: 'kcat produce', value: kc.produce.msgsPerSec, unit: 'msgs/s' },
    { metric: 'kcat produce', value: kc.produce.mbPerSec, unit: 'MB/s' },
    { metric: 'kcat consume', value: kc.consume.msgsPerSec, unit: 'msgs/s' },
    { metric: 'kcat consume', value: kc.consume.mbPerSec, unit: 'MB/s' },
    {
      metric: 'broker takes kcat produce requests',
      value: brokerMBps,
      unit: 'MB/s',
      baseline: { metric: 'discard server', value: discardMBps, unit: 'MB/s' },
      ratio,
      target: 'ratio >= 0.5',
      pass: ratio >= 0.5,
    },
    { metric: 'broker peak RSS (max of runs)', value: Math.max(rssKafkajs, rssKcat, rssReplay), unit: 'MiB' },
  ];
  bench.finish(figures, {
    messages: N,
    messageBytes: SIZE,
    fsync: 'acks-all (default); kcat and kafkajs send acks=-1, so every produce waits for a group-committed fdatasync',
    kafkajs: kjs,
    kcat: kc,
    replay: {
      method:
        'kcat -P Produce frames (acks=-1) captured once through a recording proxy, replayed at full speed from one Node socket into (a) a bare Node TCP server in its own process that reads and discards, timed until it answers one byte after the last byte read, and (b) a fresh ticklake broker subprocess (fsync acks-all), timed until its last Produce response',
      frames: frames.length,
      bytes,
      rounds: ROUNDS,
      discardMs: discardRuns.map(Math.round),
      brokerMs: brokerRuns.map(Math.round),
    },
    brokerPeakRssMiB: { kafkajsRun: rssKafkajs, kcatRun: rssKcat, replayRun: rssReplay },
    discardServerPeakRssMiB: rssDiscard,
  });
  rmSync(root, { recursive: true, force: true });
}

await main();

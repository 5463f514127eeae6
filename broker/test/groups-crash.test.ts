/**
 * Committed offsets across a crash: a broker in a child process (`ticklake broker`) is killed with SIGKILL
 * while OffsetCommit requests are pipelined at it; a new broker on the same data dir must hold, per partition,
 * at least the last acknowledged offset and nothing that was never sent.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../index.js';
import { send } from './group-wire.js';
import { RawClient } from './raw-client.js';
import { arr, type Cursor, cat, i32, i64, str } from './wire.js';

const BIN = join(import.meta.dirname, '..', '..', 'cli', 'bin.js');
let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-groups-crash-'));
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function startChild(): Promise<number> {
  const c = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
  });
  child = c;
  return new Promise((resolve, reject) => {
    let out = '';
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /broker listening on \S+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    c.stderr!.resume();
    c.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening: ${out}`)));
  });
}

/** OffsetCommit v2, simple commit (generation -1): one partition of topic `crash`. */
const commitBody = (partition: number, offset: number) =>
  cat(
    str('crashers'),
    i32(-1),
    str(''),
    i64(-1),
    arr(['crash'], (t) =>
      cat(
        str(t),
        arr([0], () => cat(i32(partition), i64(offset), str(`o${offset}`))),
      ),
    ),
  );

describe('committed offsets and SIGKILL', () => {
  it('keeps every acknowledged commit', async () => {
    const port = await startChild();
    const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'crash', numPartitions: 4 }] });
    await admin.disconnect();

    const c = await RawClient.connect(port);
    const acked = [-1, -1, -1, -1];
    const sent = [-1, -1, -1, -1];
    const inflight: Array<{ partition: number; offset: number; response: () => Promise<Cursor> }> = [];
    let ackCount = 0;
    const exited = new Promise((r) => child!.once('exit', r));
    try {
      for (let offset = 0; offset < 100_000; offset++) {
        const partition = offset % 4;
        inflight.push({ partition, offset, response: send(c, 8, 2, commitBody(partition, offset)) });
        sent[partition] = offset;
        if (inflight.length < 32) continue;
        const next = inflight.shift()!;
        const r = await next.response();
        const codes = r.arr((x) => x.str() && x.arr((y) => [y.i32(), y.i16()]));
        expect(codes).toEqual([[[next.partition, 0]]]);
        acked[next.partition] = next.offset;
        if (++ackCount === 400) child!.kill('SIGKILL');
      }
    } catch (err) {
      // The connection dies with the broker.
      expect(String(err)).toMatch(/connection closed|ECONNRESET|timed out/);
    }
    c.close();
    await exited;
    expect(ackCount).toBeGreaterThanOrEqual(400);

    const broker = await startBroker({ port: 0, dataDir: dir });
    try {
      const got = broker.context.groups.fetchOffsets('crashers', [{ name: 'crash', partitions: [0, 1, 2, 3] }]);
      for (const p of got[0].partitions) {
        expect(p.offset).toBeGreaterThanOrEqual(acked[p.partition]);
        expect(p.offset).toBeLessThanOrEqual(sent[p.partition]);
        expect(p.metadata).toBe(`o${p.offset}`);
      }
    } finally {
      await broker.close();
    }
  });
});

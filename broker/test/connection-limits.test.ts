/**
 * The broker's guards against hostile or broken clients (issue 21 items 8 and 10):
 * - 16 connections each holding a 90 MiB partial frame: the broker's RSS stays near its request-memory budget
 *   (--max-inflight-bytes) instead of growing by 1.4 GB, and comes back down once they close;
 * - 2,000 idle connections are closed after --connections-max-idle;
 * - a batch whose lastOffsetDelta disagrees with its record count is refused (CORRUPT_MESSAGE) and offsets
 *   do not jump;
 * - invalid UTF-8 in a string field closes the connection instead of being replaced by U+FFFD.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../index.js';
import { crc32c } from '../protocol/crc32c.js';
import { buildBatch } from './batch-builder.js';
import { type BrokerProcess, killBrokerProcess, startBrokerProcess } from './broker-process.js';
import { consumeAll } from './consume-all.js';
import { RawClient } from './raw-client.js';
import { arr, bytes, Cursor, cat, i16, i32, str } from './wire.js';

const MiB = 1024 * 1024;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-broker-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)![1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Opens a socket, sends a 4-byte length of `size` and then size-1 bytes (as far as the broker reads them). */
function partialFrame(port: number, size: number): { socket: Socket; sent: () => number; done: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let sent = 0;
  const done = new Promise<void>((resolve) => {
    socket.once('connect', async () => {
      const head = Buffer.alloc(4);
      head.writeInt32BE(size);
      socket.write(head);
      const chunk = Buffer.alloc(MiB, 7);
      while (sent < size - 1 && !socket.destroyed) {
        const n = Math.min(chunk.length, size - 1 - sent);
        sent += n;
        if (!socket.write(chunk.subarray(0, n))) {
          await new Promise<void>((r) => {
            socket.once('drain', r);
            socket.once('close', r);
          });
        }
      }
      resolve();
    });
  });
  return { socket, sent: () => sent, done };
}

describe('request memory budget (subprocess broker, RSS from /proc)', () => {
  let child: BrokerProcess | undefined;
  afterAll(async () => {
    await killBrokerProcess(child);
  });

  it('16 connections holding 90 MiB partial frames: RSS stays bounded, and drops after they close', async () => {
    child = await startBrokerProcess(join(dir, 'mem'), [
      '--max-inflight-bytes',
      '256MiB',
      '--max-frame-bytes',
      '100MiB',
    ]);
    const pid = child.child.pid!;
    const port = Number(child.address.split(':')[1]);
    const baseline = memory(pid).rss;
    const hogs = Array.from({ length: 16 }, () => partialFrame(port, 90 * MiB));
    // Let them push until the broker stops reading them (the kernel buffers fill up), or 20 s.
    let last = -1;
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const total = hogs.reduce((n, h) => n + h.sent(), 0);
      if (total === last) break;
      last = total;
    }
    const held = memory(pid);
    // Without the budget each connection buffers its frame: 16 x 90 MiB = 1440 MiB on top of the baseline.
    expect(held.peak - baseline).toBeLessThan(256 + 160);
    for (const h of hogs) h.socket.destroy();
    // The reservations are given back and the frames' memory returns to the system.
    let after = memory(pid);
    for (let i = 0; i < 50 && after.rss - baseline > 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = memory(pid);
    }
    expect(after.rss - baseline).toBeLessThan(100);
    // And the broker still serves a normal client.
    const kafka = new Kafka({ brokers: [child.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'after-hogs', messages: [{ value: 'still here' }] });
    await producer.disconnect();
    const got = await consumeAll(kafka, 'after-hogs', 1);
    expect(got.map((m) => m.value)).toEqual(['still here']);
  });
});

describe('in-process guards', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, dataDir: join(dir, 'inproc'), connectionsMaxIdleMs: 1000 });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('closes 2,000 idle connections after connections.max.idle, not before', async () => {
    const lifetimes: number[] = [];
    const sockets: Socket[] = [];
    // In waves of 250, so that the listen backlog (511) never overflows.
    for (let wave = 0; wave < 8; wave++) {
      const opened = await Promise.all(
        Array.from(
          { length: 250 },
          () =>
            new Promise<Socket>((resolve, reject) => {
              const s = connect(broker.port, '127.0.0.1', () => {
                const at = Date.now();
                s.once('close', () => lifetimes.push(Date.now() - at));
                resolve(s);
              });
              s.once('error', reject);
            }),
        ),
      );
      sockets.push(...opened);
    }
    const deadline = Date.now() + 10_000;
    while (lifetimes.length < sockets.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(lifetimes).toHaveLength(2000);
    // Each lived at least the idle time (less a little: the broker's clock starts at accept, before our
    // connect callback), and all were closed (within the deadline above: on a loaded machine the event loop of this
    // process, which also runs the broker, may be seconds late, so "how soon" is not asserted beyond it).
    expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(900);
    expect(broker.server.connectionCount).toBe(0);
    // A connection that keeps talking is not idle.
    const busy = await RawClient.connect(broker.port);
    for (let i = 0; i < 6; i++) {
      busy.request(18, 0, i, Buffer.alloc(0));
      expect(await busy.response()).not.toBeNull();
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(busy.closed).toBe(false);
    busy.close();
  }, 30_000);

  it('refuses a batch whose lastOffsetDelta disagrees with its record count; offsets do not jump', async () => {
    expect(await broker.context.topics.create('deltas', 1)).toBe(0);
    const lying = buildBatch(['one record']);
    lying.writeInt32BE(2 ** 31 - 2, 23); // lastOffsetDelta
    lying.writeUInt32BE(crc32c(lying, 21, lying.length), 17); // a valid CRC over the lie
    const produce = (records: Buffer) =>
      cat(
        str(null),
        i16(-1),
        i32(5000),
        arr([0], () =>
          cat(
            str('deltas'),
            arr([0], (p) => cat(i32(p), bytes(records))),
          ),
        ),
      );
    const c = await RawClient.connect(broker.port);
    c.request(0, 7, 1, produce(lying));
    const r = new Cursor((await c.response())!);
    r.i32(); // correlation id
    r.i32(); // topics count
    r.str();
    r.i32(); // partitions count
    expect({ partition: r.i32(), errorCode: r.i16() }).toEqual({ partition: 0, errorCode: 2 });
    expect(broker.context.topics.highWatermark('deltas', 0)).toBe(0);
    c.request(0, 7, 2, produce(buildBatch(['a', 'b'])));
    const ok = new Cursor((await c.response())!);
    ok.i32();
    ok.i32();
    ok.str();
    ok.i32();
    expect({ partition: ok.i32(), errorCode: ok.i16(), baseOffset: ok.buf.readBigInt64BE(ok.at) }).toEqual({
      partition: 0,
      errorCode: 0,
      baseOffset: 0n,
    });
    expect(broker.context.topics.highWatermark('deltas', 0)).toBe(2);
    c.close();
  });

  it('closes the connection on invalid UTF-8 in a string field; valid UTF-8 passes', async () => {
    const metadataV1 = (topic: Buffer) => cat(i32(1), i16(topic.length), topic);
    const good = await RawClient.connect(broker.port);
    good.request(3, 1, 1, metadataV1(Buffer.from('caf\u00e9', 'utf8')));
    const res = (await good.response())!;
    expect(res.readInt32BE(0)).toBe(1); // answered (the name is then refused as a topic name, which is fine)
    good.close();
    const bad = await RawClient.connect(broker.port);
    bad.request(3, 1, 2, metadataV1(Buffer.from([0x63, 0x61, 0x66, 0xc3]))); // a cut 2-byte sequence
    expect(await bad.response()).toBeNull();
    expect(bad.closed).toBe(true);
    expect(broker.context.topics.names().some((n) => n.includes('\ufffd'))).toBe(false);
  });
});

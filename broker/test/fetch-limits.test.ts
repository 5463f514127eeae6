/**
 * Fetch and ListOffsets at the wire level (raw requests built here from the protocol guide): size limits,
 * min_bytes long-poll, offsets out of range, and retention moving the log start.
 */
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import type { RunningBroker } from '../index.js';
import { buildBatch, readValues } from './batch-builder.js';
import { RawClient } from './raw-client.js';

let broker: RunningBroker;
let kafka: Kafka;

const embedded = useBroker('tl-broker-fetch', { defaultPartitions: 1, segmentBytes: 4096, retentionBytes: 8192 });
beforeAll(async () => {
  broker = embedded.broker;
  kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
});

interface FetchArgs {
  topic: string;
  offset: number;
  partitionMaxBytes: number;
  maxBytes?: number;
  minBytes?: number;
  maxWaitMs?: number;
}

/** Fetch v4 request body: replica_id max_wait_ms min_bytes max_bytes isolation_level [topic [partition offset max]]. */
function fetchV4(a: FetchArgs): Buffer {
  const name = Buffer.from(a.topic);
  const b = Buffer.alloc(4 + 4 + 4 + 4 + 1 + 4 + 2 + name.length + 4 + 4 + 8 + 4);
  let o = b.writeInt32BE(-1, 0);
  o = b.writeInt32BE(a.maxWaitMs ?? 0, o);
  o = b.writeInt32BE(a.minBytes ?? 1, o);
  o = b.writeInt32BE(a.maxBytes ?? 50_000_000, o);
  o = b.writeInt8(0, o);
  o = b.writeInt32BE(1, o);
  o = b.writeInt16BE(name.length, o);
  o += name.copy(b, o);
  o = b.writeInt32BE(1, o);
  o = b.writeInt32BE(0, o);
  o = b.writeBigInt64BE(BigInt(a.offset), o);
  b.writeInt32BE(a.partitionMaxBytes, o);
  return b;
}

/** Reads the single partition of a Fetch v4 response. */
function parseFetchV4(f: Buffer) {
  let o = 4 + 4 + 4; // correlation, throttle, responses count
  o += 2 + f.readInt16BE(o) + 4; // topic, partitions count
  const errorCode = f.readInt16BE(o + 4);
  const highWatermark = Number(f.readBigInt64BE(o + 6));
  o += 4 + 2 + 8 + 8 + 4; // partition, error, hw, lso, aborted count (0)
  const len = f.readInt32BE(o);
  const records = f.subarray(o + 4, o + 4 + Math.max(0, len));
  return { errorCode, highWatermark, records };
}

let cid = 1;
async function fetch(c: RawClient, a: FetchArgs) {
  c.request(1, 4, cid++, fetchV4(a));
  return parseFetchV4((await c.response(15_000))!);
}

/** Produce v3 request body: transactional_id acks timeout [topic [partition records]]. */
function produceV3(topic: string, records: Buffer): Buffer {
  const name = Buffer.from(topic);
  const head = Buffer.alloc(2 + 2 + 4 + 4 + 2 + name.length + 4 + 4 + 4);
  let o = head.writeInt16BE(-1, 0);
  o = head.writeInt16BE(-1, o);
  o = head.writeInt32BE(5000, o);
  o = head.writeInt32BE(1, o);
  o = head.writeInt16BE(name.length, o);
  o += name.copy(head, o);
  o = head.writeInt32BE(1, o);
  o = head.writeInt32BE(0, o);
  head.writeInt32BE(records.length, o);
  return Buffer.concat([head, records]);
}

describe('pipelined requests with acks=-1', () => {
  it('answers produce (waiting for fsync) and other requests on one connection in request order', async () => {
    await broker.context.topics.create('piped', 1);
    const c = await RawClient.connect(broker.port);
    for (let i = 0; i < 30; i++) {
      if (i % 3 === 2) c.request(18, 0, 500 + i, Buffer.alloc(0));
      else c.request(0, 3, 500 + i, produceV3('piped', buildBatch([`p${i}`, `q${i}`])));
    }
    const offsets: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = (await c.response())!;
      expect(r.readInt32BE(0)).toBe(500 + i);
      if (i % 3 !== 2) {
        // [responses] name [partitions] index error base_offset ...
        const at = 4 + 4 + 2 + r.readInt16BE(8) + 4 + 4;
        expect(r.readInt16BE(at)).toBe(0);
        offsets.push(Number(r.readBigInt64BE(at + 2)));
      }
    }
    expect(offsets).toEqual(offsets.map((_, i) => i * 2));
    c.close();
  });

  it('answers Produce v0 and v2 (legacy message formats only) with UNSUPPORTED_FOR_MESSAGE_FORMAT, per version', async () => {
    await broker.context.topics.create('legacy', 1);
    const c = await RawClient.connect(broker.port);
    // v0-2 bodies lack the transactional id of v3: drop its 2-byte null length from the v3 body.
    const body = produceV3('legacy', buildBatch(['x'])).subarray(2);
    c.request(0, 0, 700, body);
    const v0 = (await c.response())!;
    const at = 4 + 4 + 2 + v0.readInt16BE(8) + 4 + 4;
    expect(v0.readInt16BE(at)).toBe(43);
    expect(v0.length).toBe(at + 2 + 8); // error, base offset; no log append time, no throttle time
    c.request(0, 2, 702, body);
    const v2 = (await c.response())!;
    expect(v2.readInt16BE(at)).toBe(43);
    expect(v2.length).toBe(at + 2 + 8 + 8 + 4); // + log append time, + throttle time
    expect(broker.context.topics.highWatermark('legacy', 0)).toBe(0);
    c.close();
  });

  it('refuses a batch whose CRC does not match with CORRUPT_MESSAGE and stores nothing', async () => {
    await broker.context.topics.create('corrupt', 1);
    const c = await RawClient.connect(broker.port);
    const batch = buildBatch(['good', 'data']);
    batch[batch.length - 2] ^= 0x40; // one bit in the last record's value
    c.request(0, 3, 900, produceV3('corrupt', batch));
    const r = (await c.response())!;
    const at = 4 + 4 + 2 + r.readInt16BE(8) + 4 + 4;
    expect(r.readInt16BE(at)).toBe(2);
    expect(broker.context.topics.highWatermark('corrupt', 0)).toBe(0);
    // The same connection goes on working.
    c.request(0, 3, 901, produceV3('corrupt', buildBatch(['fine'])));
    const ok = (await c.response())!;
    expect(ok.readInt16BE(at)).toBe(0);
    c.close();
  });
});

describe('fetch limits and offsets', () => {
  it('returns whole batches: the first even above the limit, never a partial one', async () => {
    const producer = kafka.producer();
    await producer.connect();
    // Three batches of about 1.5 KB each (one message each, uncompressed).
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'sizes', messages: [{ value: `${i}`.repeat(1500) }] });
    await producer.disconnect();
    const c = await RawClient.connect(broker.port);
    const one = await fetch(c, { topic: 'sizes', offset: 0, partitionMaxBytes: 10 });
    expect(one.errorCode).toBe(0);
    expect(readValues(one.records).map((v) => v.offset)).toEqual([0]);
    expect(one.records.readInt32BE(8) + 12).toBe(one.records.length);
    const two = await fetch(c, { topic: 'sizes', offset: 0, partitionMaxBytes: 3200 });
    expect(readValues(two.records).map((v) => v.offset)).toEqual([0, 1]);
    const capped = await fetch(c, { topic: 'sizes', offset: 1, partitionMaxBytes: 1_000_000, maxBytes: 100 });
    expect(readValues(capped.records).map((v) => v.offset)).toEqual([1]);
    const end = await fetch(c, { topic: 'sizes', offset: 3, partitionMaxBytes: 1000 });
    expect({ errorCode: end.errorCode, hw: end.highWatermark, bytes: end.records.length }).toEqual({
      errorCode: 0,
      hw: 3,
      bytes: 0,
    });
    const beyond = await fetch(c, { topic: 'sizes', offset: 4, partitionMaxBytes: 1000 });
    expect(beyond.errorCode).toBe(1);
    c.close();
  });

  it('holds a fetch until min_bytes arrive, then answers before max_wait', async () => {
    const c = await RawClient.connect(broker.port);
    await broker.context.topics.create('waiting', 1);
    const pending = fetch(c, {
      topic: 'waiting',
      offset: 0,
      partitionMaxBytes: 1_000_000,
      minBytes: 1,
      maxWaitMs: 30_000,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'waiting', messages: [{ value: 'wake' }] });
    await producer.disconnect();
    // max_wait is 30 s but the client gives up after 15 s: only the append's wake-up can answer in time.
    const res = await pending;
    expect(readValues(res.records).map((v) => v.value)).toEqual(['wake']);
    c.close();
  });

  it('retention deletes old segments; ListOffsets earliest follows; fetching below it is out of range', async () => {
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 40; i++)
      await producer.send({ topic: 'retained', messages: [{ value: `r${i}-${'x'.repeat(400)}` }] });
    await producer.disconnect();
    broker.context.topics.applyRetention();
    const start = broker.context.topics.logStartOffset('retained', 0)!;
    expect(start).toBeGreaterThan(0);
    const admin = kafka.admin();
    await admin.connect();
    const [o] = await admin.fetchTopicOffsets('retained');
    await admin.disconnect();
    expect({ low: Number(o.low), high: Number(o.high) }).toEqual({ low: start, high: 40 });
    const c = await RawClient.connect(broker.port);
    expect((await fetch(c, { topic: 'retained', offset: start - 1, partitionMaxBytes: 1000 })).errorCode).toBe(1);
    const first = await fetch(c, { topic: 'retained', offset: start, partitionMaxBytes: 1000 });
    expect(readValues(first.records)[0].value.startsWith(`r${start}-`)).toBe(true);
    c.close();
  });
});

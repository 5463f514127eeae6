/**
 * Codecs against golden bytes: requests captured from kafkajs 2.2.4 and kcat (librdkafka 2.0.2) by
 * fixtures/capture.ts. Each is decoded by the broker's decoder (every byte consumed, fields as the client sent
 * them), then replayed to a broker, and the broker's answer is decoded by kafkajs's own response decoders.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import type { RunningBroker } from '../index.js';
import { crc32c, crc32cJs } from '../protocol/crc32c.js';
import { Reader } from '../protocol/reader.js';
import { compressionOf, splitBatches } from '../protocol/record-batch.js';
import { loadRegistry } from '../registry.js';
import { RawClient } from './raw-client.js';

const require = createRequire(import.meta.url);
/** What kafkajs's untyped decoders and our decoders give back, read field by field in the tests. */
// biome-ignore lint/suspicious/noExplicitAny: decoded protocol structures are checked by value in each test
type Decoded = any;
const FIXTURES = join(import.meta.dirname, 'fixtures');

function fixture(name: string): Buffer {
  return Buffer.from(readFileSync(join(FIXTURES, `${name}.hex`), 'utf8').trim(), 'hex');
}

/** Decodes a captured frame with the broker's module; checks that the decoder consumed every byte. */
async function decodeFrame(frame: Buffer): Promise<{ apiKey: number; version: number; body: Decoded }> {
  const r = new Reader(frame);
  const apiKey = r.int16();
  const version = r.int16();
  r.int32();
  r.nullableString();
  const mod = (await loadRegistry()).get(apiKey)!;
  if (mod.flexibleVersion !== undefined && version >= mod.flexibleVersion) r.taggedFields();
  const body = mod.decode(r, version);
  expect(r.remaining).toBe(0);
  return { apiKey, version, body };
}

const KAFKAJS_DIRS: Record<number, string> = {
  0: 'produce',
  1: 'fetch',
  2: 'listOffsets',
  3: 'metadata',
  19: 'createTopics',
  20: 'deleteTopics',
  22: 'initProducerId',
};

let broker: RunningBroker;
let client: RawClient;
let correlation = 1;

/** Sends a captured frame as is (new correlation id) and decodes the answer with kafkajs's decoder. */
async function replay(name: string, raw = false): Promise<Decoded> {
  const frame = Buffer.from(fixture(name));
  const id = correlation++;
  frame.writeInt32BE(id, 4);
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  client.write(Buffer.concat([size, frame]));
  const res = (await client.response())!;
  expect(res.readInt32BE(0)).toBe(id);
  if (raw) return res.subarray(4);
  const dirName = KAFKAJS_DIRS[frame.readInt16BE(0)];
  const mod = require(`kafkajs/src/protocol/requests/${dirName}/v${frame.readInt16BE(2)}/response.js`);
  return mod.decode(res.subarray(4));
}

const embedded = useBroker('tl-broker-codec', { defaultPartitions: 1, autoCreateTopics: false });
beforeAll(async () => {
  broker = embedded.broker;
  client = await RawClient.connect(broker.port);
});
afterAll(async () => {
  client?.close();
});

describe('crc32c', () => {
  it('matches the published check values', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43); // RFC 3720 B.4: 32 bytes of 0xff
    expect(crc32cJs(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('native and slicing-by-8 implementations agree on random buffers and sub-ranges', () => {
    for (let n = 0; n < 300; n++) {
      const b = Buffer.from(Array.from({ length: n * 7 }, (_, i) => (i * 31 + n * 17) & 0xff));
      const start = n % 5;
      expect(crc32c(b, start)).toBe(crc32cJs(b, start));
    }
  });
});

describe('golden requests decode exactly', () => {
  it('kafkajs CreateTopics v3, Metadata v6, DeleteTopics v1, InitProducerId v1, ListOffsets v3', async () => {
    expect((await decodeFrame(fixture('kafkajs-19-v3'))).body).toMatchObject({
      topics: [{ name: 'golden', numPartitions: 1, replicationFactor: -1 }],
      validateOnly: false,
    });
    expect((await decodeFrame(fixture('kafkajs-03-v6'))).body.topics).toEqual(null);
    expect((await decodeFrame(fixture('kafkajs-20-v1'))).body.topicNames).toEqual(['golden']);
    expect((await decodeFrame(fixture('kafkajs-22-v1'))).body.transactionalId).toBeNull();
    const lo = (await decodeFrame(fixture('kafkajs-02-v3'))).body;
    expect(lo.topics[0].name).toBe('golden');
    expect([-1, -2]).toContain(lo.topics[0].partitions[0].timestamp);
  });

  it('kafkajs Produce v7: one gzip batch of two records, idempotent, CRC valid', async () => {
    const p = (await decodeFrame(fixture('kafkajs-00-v7'))).body;
    expect(p.acks).toBe(-1);
    expect(p.topics[0].name).toBe('golden');
    const batches = splitBatches(p.topics[0].partitions[0].records);
    if (typeof batches === 'string') throw new Error(batches);
    expect(batches).toHaveLength(1);
    expect(compressionOf(batches[0].attributes)).toBe(1);
    expect(batches[0]).toMatchObject({ recordCount: 2, baseSequence: 0, producerEpoch: 0 });
    expect(batches[0].producerId).toBeGreaterThanOrEqual(0);
  });

  it('kcat Produce v7 (zstd, idempotent), Fetch v11, ListOffsets v2, Metadata v4', async () => {
    const p = (await decodeFrame(fixture('kcat-00-v7'))).body;
    const batches = splitBatches(p.topics[0].partitions[0].records);
    if (typeof batches === 'string') throw new Error(batches);
    expect(compressionOf(batches[0].attributes)).toBe(4);
    expect(batches[0].recordCount).toBe(50);
    expect(batches[0].producerId).toBeGreaterThanOrEqual(0);
    const f = (await decodeFrame(fixture('kcat-01-v11'))).body;
    expect(f.topics[0]).toMatchObject({ topic: 'golden-kcat', partitions: [{ partition: 0 }] });
    expect((await decodeFrame(fixture('kcat-02-v2'))).body.topics[0].name).toBe('golden-kcat');
    expect((await decodeFrame(fixture('kcat-03-v4'))).body).toMatchObject({ allowAutoTopicCreation: true });
  });

  it('refuses a captured request with one byte too many or too few (strict decoders)', async () => {
    for (const name of [
      'kafkajs-00-v7',
      'kafkajs-01-v11',
      'kafkajs-03-v6',
      'kcat-02-v2',
      'kafkajs-19-v3',
      'kafkajs-22-v1',
    ]) {
      const frame = fixture(name);
      await expect(decodeFrame(Buffer.concat([frame, Buffer.from([0])]))).rejects.toThrow(/unexpected bytes|truncated/);
      await expect(decodeFrame(frame.subarray(0, frame.length - 1))).rejects.toThrow(/truncated|unexpected/);
    }
  });

  it('corrupting one byte of the captured batch fails its CRC', async () => {
    const frame = Buffer.from(fixture('kafkajs-00-v7'));
    const p = (await decodeFrame(frame)).body;
    const records: Buffer = p.topics[0].partitions[0].records;
    records[records.length - 3] ^= 0x01;
    expect(splitBatches(records)).toBe('bad-crc');
  });
});

describe('golden requests replayed, answers read by kafkajs decoders', () => {
  it('creates, produces, lists offsets, fetches and deletes as the clients asked', async () => {
    const created = await replay('kafkajs-19-v3');
    expect(created.topicErrors).toEqual([{ topic: 'golden', errorCode: 0, errorMessage: null }]);
    expect((await replay('kafkajs-19-v3')).topicErrors[0].errorCode).toBe(36);
    await broker.context.topics.create('golden-kcat', 1);

    const md = await replay('kafkajs-03-v6');
    expect(md.topicMetadata.map((t: Decoded) => t.topic).sort()).toEqual(['golden', 'golden-kcat']);
    expect(md.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: broker.port, rack: null }]);
    expect(md.clusterId).toBe(broker.context.config.clusterId);

    const pid = await replay('kafkajs-22-v1');
    expect(pid).toMatchObject({ errorCode: 0, producerEpoch: 0 });

    const produced = await replay('kafkajs-00-v7');
    expect(produced.topics[0].partitions[0]).toMatchObject({ errorCode: 0, baseOffset: '0', logStartOffset: '0' });
    // The same idempotent batch again: a duplicate, answered with its original offset, not stored twice.
    expect((await replay('kafkajs-00-v7')).topics[0].partitions[0]).toMatchObject({ errorCode: 0, baseOffset: '0' });
    expect((await replay('kcat-00-v7')).topics[0].partitions[0]).toMatchObject({ errorCode: 0, baseOffset: '0' });
    expect(broker.context.topics.highWatermark('golden', 0)).toBe(2);
    expect(broker.context.topics.highWatermark('golden-kcat', 0)).toBe(50);

    const fetched = await replay('kafkajs-01-v11');
    const part = fetched.responses[0].partitions[0];
    expect(part).toMatchObject({ errorCode: 0, highWatermark: '2', lastStableOffset: '2' });
    const values = part.messages.map((m: Decoded) => [m.offset, m.key.toString(), m.value.toString()]);
    expect(values).toEqual([
      ['0', 'k1', 'hello'],
      ['1', 'k2', 'world'],
    ]);
    expect(part.messages[0].headers.h.toString()).toBe('v');

    // kafkajs cannot decode zstd without a plugin, so this answer is read by hand (Fetch v11 grammar): the
    // records must be exactly the zstd batch kcat sent, stored as received.
    const body: Buffer = await replay('kcat-01-v11', true);
    let at = 4 + 2 + 4; // throttle, error, session
    expect(body.readInt32BE(at)).toBe(1);
    at += 4;
    at += 2 + body.readInt16BE(at); // topic name
    expect(body.readInt32BE(at)).toBe(1);
    at += 4;
    expect(body.readInt16BE(at + 4)).toBe(0); // error code
    expect(Number(body.readBigInt64BE(at + 6))).toBe(50); // high watermark
    at += 4 + 2 + 8 + 8 + 8 + 4 + 4; // partition, error, hw, lso, log start, aborted (empty), preferred replica
    const records = body.subarray(at + 4, at + 4 + body.readInt32BE(at));
    const sentRecords: Buffer = (await decodeFrame(fixture('kcat-00-v7'))).body.topics[0].partitions[0].records;
    expect(records.equals(sentRecords)).toBe(true);
    expect(at + 4 + records.length).toBe(body.length);

    const offs = await replay('kcat-02-v2');
    expect(offs.responses[0].partitions[0].errorCode).toBe(0);

    const deleted = await replay('kafkajs-20-v1');
    expect(deleted.topicErrors).toEqual([{ topic: 'golden', errorCode: 0 }]);
  });
});

/** Produce and consume through kafkajs: plain, gzip, acks=0, idempotent with a lost response, long poll. */
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import type { RunningBroker } from '../index.js';
import { consumeAll } from './consume-all.js';

let broker: RunningBroker;
let kafka: Kafka;
/** Produce requests whose response the broker "loses" (handled, then the connection closes). */
let loseNextProduceResponse = 0;
let producesSeen = 0;
let fetchesSeen = 0;

const embedded = useBroker('tl-broker-kafkajs', {
  defaultPartitions: 1,
  interceptor: (header) => {
    if (header.apiKey === 1) fetchesSeen++;
    if (header.apiKey !== 0) return undefined;
    producesSeen++;
    if (loseNextProduceResponse > 0) {
      loseNextProduceResponse--;
      return 'close-after';
    }
    return undefined;
  },
});
beforeAll(async () => {
  broker = embedded.broker;
  kafka = new Kafka({
    clientId: 'data-test',
    brokers: [broker.address],
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 50, retries: 5 },
  });
});

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }] });
  await admin.disconnect();
}

describe('kafkajs produce and consume', () => {
  it('round-trips plain and gzip batches with keys, headers and offsets in order', async () => {
    await createTopic('plain', 3);
    const producer = kafka.producer();
    await producer.connect();
    const sent: string[] = [];
    for (let round = 0; round < 5; round++) {
      const messages = Array.from({ length: 40 }, (_, i) => {
        const v = `r${round}-m${i}-${'x'.repeat(i * 7)}`;
        sent.push(v);
        return { key: `k${i % 6}`, value: v, headers: { n: String(i) } };
      });
      const compression = round % 2 === 0 ? CompressionTypes.None : CompressionTypes.GZIP;
      await producer.send({ topic: 'plain', messages, compression, acks: -1 });
    }
    await producer.disconnect();
    const got = await consumeAll(kafka, 'plain', sent.length);
    expect(got.map((m) => m.value).sort()).toEqual([...sent].sort());
    // Same key → same partition, offsets 0..n-1 without gaps per partition, header kept.
    const byPartition = new Map<number, number[]>();
    for (const m of got) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m.offset]);
    for (const offsets of byPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
    const keyPartitions = new Map<string, Set<number>>();
    for (const m of got) keyPartitions.set(m.key!, (keyPartitions.get(m.key!) ?? new Set()).add(m.partition));
    for (const parts of keyPartitions.values()) expect(parts.size).toBe(1);
    expect(got.every((m) => m.headers.n !== undefined)).toBe(true);
  });

  it('stores acks=0 messages without answering', async () => {
    await createTopic('fire', 1);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'fire', acks: 0, messages: [{ value: `f${i}` }] });
    // A later acks=1 request on the same connection is answered, so the acks=0 ones were read before it.
    await producer.send({ topic: 'fire', acks: 1, messages: [{ value: 'last' }] });
    await producer.disconnect();
    const got = await consumeAll(kafka, 'fire', 11);
    expect(got.map((m) => m.value)).toEqual([...Array.from({ length: 10 }, (_, i) => `f${i}`), 'last']);
  });

  it('an idempotent producer retrying after a lost response leaves exactly one copy', async () => {
    await createTopic('idem', 1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: 'idem', messages: [{ value: 'a' }] });
    const before = producesSeen;
    loseNextProduceResponse = 1;
    await producer.send({ topic: 'idem', messages: [{ value: 'b' }, { value: 'c' }] });
    expect(producesSeen - before).toBe(2); // the original and kafkajs's retry of the same batch
    await producer.send({ topic: 'idem', messages: [{ value: 'd' }] });
    await producer.disconnect();
    const got = await consumeAll(kafka, 'idem', 4);
    expect(got.map((m) => [m.offset, m.value])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
    ]);
    expect(broker.context.topics.highWatermark('idem', 0)).toBe(4);
  });

  it('a waiting fetch is answered as soon as a message arrives', async () => {
    await createTopic('poll', 1);
    const before = fetchesSeen;
    const consumed = consumeAll(kafka, 'poll', 1, { maxWaitTimeInMs: 20_000 });
    // Produce only once the consumer's first fetch has arrived (and is waiting on the empty partition).
    while (fetchesSeen === before) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'poll', messages: [{ value: 'late' }] });
    await producer.disconnect();
    // With maxWait 20 s, only the append wake-up can deliver it before the test timeout of consumeAll (10 s).
    expect((await consumed).map((m) => m.value)).toEqual(['late']);
  });
});

/**
 * A kafkajs consumer that keeps running while the broker restarts under it (same port, same data dir): it
 * finds its member id unknown, rejoins, resumes from the committed offsets and reads what was produced after.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/poll.js';
import { type RunningBroker, startBroker } from '../index.js';

let dir: string;
let broker: RunningBroker;
let port = 0;
const start = () => startBroker({ port, dataDir: dir, groupInitialRebalanceDelayMs: 300 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-groups-live-'));
  broker = await start();
  port = broker.port;
  expect(await broker.context.topics.create('live', 2)).toBe(0);
});
afterAll(async () => {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

describe('kafkajs consumer across a broker restart', () => {
  it('keeps consuming: rejoins, resumes from its commits, nothing lost or repeated', async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const consumer = kafka.consumer({
      groupId: 'live-g',
      sessionTimeout: 3000,
      heartbeatInterval: 200,
      maxWaitTimeInMs: 200,
      rebalanceTimeout: 4000,
    });
    const got: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'live', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push(`${partition}:${message.value}`);
      },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'live',
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `a${i}` })),
    });
    await waitFor('first 10', () => got.length >= 10, { timeoutMs: 60_000 });
    await producer.disconnect();
    // Let the last commit land, so that exactly-once can be asserted (an uncommitted tail would come again).
    const committed = () =>
      broker.context.groups
        .fetchOffsets('live-g', [{ name: 'live', partitions: [0, 1] }])[0]
        .partitions.map((p) => p.offset);
    await waitFor('offsets 5 and 5 committed', () => committed().join() === '5,5', { timeoutMs: 60_000 });
    await broker.close();
    broker = await start();
    const p2 = kafka.producer();
    await p2.connect();
    await p2.send({
      topic: 'live',
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `b${i}` })),
    });
    await p2.disconnect();
    await waitFor('all 20', () => got.length >= 20, { timeoutMs: 60_000 });
    await consumer.disconnect();
    const sent = Array.from({ length: 10 }, (_, i) => [`${i % 2}:a${i}`, `${i % 2}:b${i}`]).flat();
    expect([...got].sort()).toEqual(sent.sort());
    expect(committed()).toEqual([10, 10]);
  });
});

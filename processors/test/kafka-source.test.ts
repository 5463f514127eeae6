import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../broker/index.js';
import { logger } from '../../core/log.js';
import { KafkaSource } from '../kafka-source.js';
import type { QueuedMessage } from '../message-pack.js';
import { produceAll } from './sinks.js';

const TOPIC = 'ticks';

describe('KafkaSource: the consumer in its own thread', () => {
  let dir: string;
  let broker: RunningBroker;
  let kafka: Kafka;
  // offsets as the broker assigns them: one partition in three, in order
  const sent = Array.from({ length: 300 }, (_, i) => ({
    partition: i % 3,
    offset: Math.floor(i / 3),
    key: `k${i}`,
    value: `{"n":${i},"s":"é"}`,
  }));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-source-'));
    broker = await startBroker({
      dataDir: join(dir, 'broker'),
      port: 0,
      defaultPartitions: 3,
      groupInitialRebalanceDelayMs: 0,
    });
    kafka = new Kafka({ clientId: 'test', brokers: [broker.address], logLevel: logLevel.NOTHING });
    await produceAll([broker.address], TOPIC, sent);
  });

  afterAll(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A source connected and started: its consumer thread joined the group and fetches. */
  async function started(group: string, queueLimit: number, start = new Map<number, number>()) {
    const s = new KafkaSource({
      brokers: [broker.address],
      topic: TOPIC,
      group,
      startOffsets: () => start,
      log: logger('test'),
      queueLimit,
    });
    await s.connect([]);
    await s.start();
    return s;
  }

  async function takeAll(s: KafkaSource, count: number): Promise<QueuedMessage[]> {
    const got: QueuedMessage[] = [];
    const deadline = Date.now() + 30_000;
    while (got.length < count && Date.now() < deadline) got.push(...(await s.take(1000, 200)));
    return got;
  }

  it('hands over every message once, as produced, from the state offsets on; commits go to the group', async () => {
    // the state says partition 1 is consumed up to offset 40: the thread seeks there on joining
    const s = await started('g-all', 1000, new Map([[1, 40]]));
    try {
      const expected = sent.filter((m) => m.partition !== 1 || m.offset >= 40);
      const got = await takeAll(s, expected.length);
      expect(
        got
          .map((m) => ({ partition: m.partition, offset: m.offset, key: String(m.key), value: String(m.value) }))
          .sort((a, b) => a.partition - b.partition || a.offset - b.offset),
      ).toEqual(
        expected
          .map((m) => ({ partition: m.partition, offset: m.offset, key: m.key, value: m.value }))
          .sort((a, b) => a.partition - b.partition || a.offset - b.offset),
      );
      for (const m of got) expect(Math.abs(m.timestamp - Date.now())).toBeLessThan(120_000);
      expect(await s.take(1000, 300)).toEqual([]);

      await s.commit(
        new Map([
          [0, 100],
          [1, 100],
          [2, 77],
        ]),
      );
      const admin = kafka.admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: 'g-all', topics: [TOPIC] });
      await admin.disconnect();
      expect(committed.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
        [0, '100'],
        [1, '100'],
        [2, '77'],
      ]);
    } finally {
      await s.stop();
    }
  });

  it('stops fetching while its queue is full and goes on when the queue is taken', async () => {
    const s = await started('g-limit', 20);
    try {
      await new Promise((r) => setTimeout(r, 1500)); // time enough to fetch everything if nothing held it back
      // the thread posts a fetched partition batch, then waits: at most the limit plus one partition's batch
      expect(s.queued).toBeGreaterThan(0);
      expect(s.queued).toBeLessThan(20 + 100);
      expect(s.queued).toBeLessThan(sent.length);
      const got = await takeAll(s, sent.length);
      expect(got).toHaveLength(sent.length);
    } finally {
      await s.stop();
    }
  });

  it('fails take() when the consumer thread dies, instead of leaving the processor waiting', async () => {
    const s = await started('g-dies', 1000);
    await (s as unknown as { thread: Worker }).thread.terminate();
    await expect(s.take(1000, 10_000)).rejects.toThrow(/consumer thread exited/);
    await s.stop();
  });
});

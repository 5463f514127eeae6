import { mkdtemp, readdir, rm, writeFile as writeFileAsync } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../index.js';

let dir: string;
let broker: RunningBroker;
let kafka: Kafka;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-broker-admin-'));
  broker = await startBroker({ port: 0, dataDir: dir, defaultPartitions: 2 });
  kafka = new Kafka({ clientId: 'admin-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

describe('admin through kafkajs', () => {
  it('creates topics, reports their metadata, refuses duplicates and bad partition counts, deletes them', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'alpha', numPartitions: 4 }] })).toBe(true);
      // validateOnly checks without creating.
      await admin.createTopics({
        topics: [{ topic: 'beta', numPartitions: 1 }],
        validateOnly: true,
        waitForLeaders: false,
      });
      expect(await admin.listTopics()).toEqual(['alpha']);

      const md = await admin.fetchTopicMetadata({ topics: ['alpha'] });
      expect(md.topics).toHaveLength(1);
      expect(md.topics[0].name).toBe('alpha');
      expect(md.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
      expect(md.topics[0].partitions.every((p) => p.leader === 0)).toBe(true);

      // kafkajs turns TOPIC_ALREADY_EXISTS into `false` (documented); the topic keeps its 4 partitions.
      expect(await admin.createTopics({ topics: [{ topic: 'alpha', numPartitions: 1 }] })).toBe(false);
      expect((await admin.fetchTopicMetadata({ topics: ['alpha'] })).topics[0].partitions).toHaveLength(4);
      await expect(admin.createTopics({ topics: [{ topic: 'gamma', numPartitions: 0 }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'INVALID_PARTITIONS' })],
      });
      await expect(admin.createTopics({ topics: [{ topic: 'bad/name', numPartitions: 1 }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
      });

      expect((await readdir(join(dir, 'topics'))).sort()).toEqual(['alpha-0', 'alpha-1', 'alpha-2', 'alpha-3']);
      await admin.deleteTopics({ topics: ['alpha'] });
      expect(await admin.listTopics()).toEqual([]);
      expect(await readdir(join(dir, 'topics'))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });

  it('auto-creates a topic asked for in a metadata request with the default partition count', async () => {
    // kafkajs admin asks with allow_auto_topic_creation=false; a producer's metadata request allows it.
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await expect(admin.fetchTopicMetadata({ topics: ['not-made'] })).rejects.toMatchObject({
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
      });
      await producer.send({ topic: 'auto-made', messages: [{ value: 'x' }] });
      const md = await admin.fetchTopicMetadata({ topics: ['auto-made'] });
      expect(md.topics[0].partitions).toHaveLength(2);
      expect(broker.context.topics.partitionCount('auto-made')).toBe(2);
      const hwms = [0, 1].map((p) => broker.context.topics.highWatermark('auto-made', p));
      expect(hwms.sort()).toEqual([0, 1]);
      expect(broker.context.topics.highWatermark('auto-made', 2)).toBeUndefined();
      expect(broker.context.topics.has('not-made')).toBe(false);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('keeps topics across a restart', async () => {
    const d = await mkdtemp(join(tmpdir(), 'tl-broker-admin-restart-'));
    try {
      let b = await startBroker({ port: 0, dataDir: d });
      const a1 = new Kafka({ brokers: [b.address], logLevel: logLevel.NOTHING }).admin();
      await a1.connect();
      await a1.createTopics({ topics: [{ topic: 'kept', numPartitions: 5 }] });
      await a1.disconnect();
      const p1 = new Kafka({ brokers: [b.address], logLevel: logLevel.NOTHING }).producer();
      await p1.connect();
      await p1.send({ topic: 'kept', messages: [{ value: 'old', partition: 0 }] });
      await p1.disconnect();
      const idBefore = b.context.topics.producerIds.allocate();
      await b.close();
      b = await startBroker({ port: 0, dataDir: d, autoCreateTopics: false });
      expect(b.context.topics.partitionCount('kept')).toBe(5);
      expect(b.context.topics.highWatermark('kept', 0)).toBe(1);
      // Producer ids are never handed out twice, even across a restart.
      expect(b.context.topics.producerIds.allocate()).toBeGreaterThan(idBefore);
      await b.close();
      // A deletion cut short by a crash (topics.json updated, files left): a new topic of that name starts empty.
      await writeFileAsync(join(d, 'topics.json'), '{}');
      b = await startBroker({ port: 0, dataDir: d, autoCreateTopics: false });
      expect(await readdir(join(d, 'topics', 'kept-0'))).toContain('00000000000000000000.log');
      expect(await b.context.topics.create('kept', 1)).toBe(0);
      expect(b.context.topics.highWatermark('kept', 0)).toBe(0);
      await b.close();
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});

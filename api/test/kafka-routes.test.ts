/**
 * The #/kafka page's API against the embedded broker over TCP, read through kafkajs (the page's client) and checked
 * with kcat (librdkafka), an independent client: topics with partitions and offsets, the message browser on
 * ticks.dlq with its reason header and key search, consumer groups with members and lag per partition, a group's
 * offsets reset, and the token on every action.
 *
 * The actions go through kafkajs admin to the embedded broker's DeleteGroups (42), CreatePartitions (37),
 * DeleteRecords (21) and OffsetCommit; the topic configs through DescribeConfigs (32).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { useBroker } from '../../test/helpers/broker.js';
import { waitFor } from '../../test/helpers/poll.js';
import { requireTool } from '../../test/helpers/tools.js';
import { buildApp } from '../app.js';

const kcat = requireTool('kcat');
/** kcat runs asynchronously: the broker is in this process and must keep answering. */
const run = async (args: string[]) => (await promisify(execFile)(kcat as string, args, { encoding: 'utf8' })).stdout;
const TOKEN = 's3cret';
let dir: string;
let broker: RunningBroker;
let app: FastifyInstance;
let consumer: Consumer;
let kafka: Kafka;

/** DLQ messages written to partition 0 of ticks.dlq, as the processor's delivery writes them. */
const DEAD = Array.from({ length: 6 }, (_, i) => ({
  key: i % 2 === 0 ? `SE1:AAPL:${i}` : `SE2:MSFT:${i}`,
  value: `{"bad":${i}}`,
  reason: i % 3 === 0 ? 'price: not a positive number' : 'missing field ts',
}));

const auth = { authorization: `Bearer ${TOKEN}` };

const embedded = useBroker('tl-kafka-page', { groupInitialRebalanceDelayMs: 0 });
beforeAll(async () => {
  ({ dir, broker } = embedded);
  kafka = new Kafka({ clientId: 'kafka-page-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'ticks', numPartitions: 3 },
      { topic: 'ticks.dlq', numPartitions: 2 },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'ticks.dlq',
    messages: DEAD.map((d, i) => ({
      partition: 0,
      key: d.key,
      value: d.value,
      headers: { reason: d.reason, 'source-topic': 'ticks', 'source-offset': String(i) },
    })),
  });
  // ticks: 10 messages on each partition
  for (let p = 0; p < 3; p++) {
    await producer.send({
      topic: 'ticks',
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `t${i}` })),
    });
  }
  await producer.disconnect();
  // a group that reads 4 messages of each partition of ticks and stays
  consumer = kafka.consumer({ groupId: 'readers', heartbeatInterval: 200, sessionTimeout: 6000 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'ticks', fromBeginning: true });
  const seen = new Map<number, number>();
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const n = seen.get(partition) ?? 0;
      if (n >= 4) return;
      seen.set(partition, n + 1);
      await consumer.commitOffsets([{ topic: 'ticks', partition, offset: String(Number(message.offset) + 1) }]);
    },
  });
  await waitFor('4 messages of each partition', async () => [0, 1, 2].every((p) => (seen.get(p) ?? 0) >= 4));
  app = await buildApp({ lakeDir: dir, kafka: { brokers: [broker.address] }, token: TOKEN });
});

afterAll(async () => {
  await consumer?.disconnect().catch(() => {});
  await app?.close();
});

describe('Kafka page API', () => {
  it('lists topics with partitions and offsets, the same as kcat -L and the broker log', async () => {
    const r = await app.inject({ url: '/api/kafka/topics' });
    expect(r.statusCode).toBe(200);
    const topics = r.json().topics as {
      name: string;
      partitions: { partition: number; low: number; high: number }[];
    }[];
    expect(topics.map((t) => t.name)).toEqual(['ticks', 'ticks.dlq']);
    expect(topics[0].partitions.map((p) => [p.partition, p.low, p.high])).toEqual([
      [0, 0, 10],
      [1, 0, 10],
      [2, 0, 10],
    ]);
    expect(topics[1].partitions.map((p) => p.high)).toEqual([6, 0]);
    if (kcat) {
      const meta = JSON.parse(await run(['-b', broker.address, '-L', '-J'])) as {
        topics: { topic: string; partitions: unknown[] }[];
      };
      const counts = Object.fromEntries(meta.topics.map((t) => [t.topic, t.partitions.length]));
      expect(counts).toMatchObject({ ticks: 3, 'ticks.dlq': 2 });
    }
  });

  it("shows a topic's configs (DescribeConfigs)", async () => {
    const r = await app.inject({ url: '/api/kafka/topics/ticks/configs' });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { configs: { name: string; value: string }[]; error?: string };
    expect(body.error).toBeUndefined();
    const names = body.configs.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['cleanup.policy', 'retention.ms']));
    expect(body.configs.find((c) => c.name === 'cleanup.policy')?.value).toBe('delete');
  });

  it('browses ticks.dlq by partition and offset with the reason header, as kcat reads it', async () => {
    const r = await app.inject({ url: '/api/kafka/topics/ticks.dlq/messages?partition=0&offset=2&limit=3' });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.messages.map((m: { offset: string }) => m.offset)).toEqual(['2', '3', '4']);
    expect(body.messages.map((m: { key: string }) => m.key)).toEqual(DEAD.slice(2, 5).map((d) => d.key));
    expect(body.messages.map((m: { headers: { reason: string } }) => m.headers.reason)).toEqual(
      DEAD.slice(2, 5).map((d) => d.reason),
    );
    expect(body.next).toBe('5');
    if (kcat) {
      // kcat prints headers as k=v,k=v
      const out = await run([
        '-b',
        broker.address,
        '-C',
        '-t',
        'ticks.dlq',
        '-p',
        '0',
        '-o',
        '2',
        '-c',
        '3',
        '-e',
        '-q',
        '-f',
        '%o\t%k\t%h\n',
      ]);
      const rows = out
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(rows.map((x) => x[0])).toEqual(['2', '3', '4']);
      expect(rows.map((x) => x[1])).toEqual(body.messages.map((m: { key: string }) => m.key));
      for (const [i, row] of rows.entries()) expect(row[2]).toContain(`reason=${body.messages[i].headers.reason}`);
    }
    // default: the newest messages; key search: only keys containing the text
    const last = (await app.inject({ url: '/api/kafka/topics/ticks.dlq/messages?partition=0&limit=2' })).json();
    expect(last.messages.map((m: { offset: string }) => m.offset)).toEqual(['4', '5']);
    const msft = (
      await app.inject({ url: '/api/kafka/topics/ticks.dlq/messages?partition=0&offset=0&key=MSFT' })
    ).json();
    expect(msft.messages.map((m: { offset: string }) => Number(m.offset))).toEqual(
      DEAD.flatMap((d, i) => (d.key.includes('MSFT') ? [i] : [])),
    );
    const bad = await app.inject({ url: '/api/kafka/topics/ticks.dlq/messages?partition=7' });
    expect(bad.statusCode).toBe(404);
    expect(bad.json().error.code).toBe('TL_API_NOT_FOUND');
  });

  it('shows groups with members and lag per partition (high − committed)', async () => {
    const r = await app.inject({ url: '/api/kafka/groups' });
    const g = (r.json().groups as { groupId: string }[]).find((x) => x.groupId === 'readers') as unknown as {
      state: string;
      members: { assignment: { topic: string; partitions: number[] }[] }[];
      offsets: { topic: string; partition: number; offset: number; lag: number }[];
      lag: number;
    };
    expect(g.state).toBe('Stable');
    expect(g.members.length).toBe(1);
    expect(g.members[0].assignment).toEqual([{ topic: 'ticks', partitions: [0, 1, 2] }]);
    expect(g.offsets.map((o) => [o.partition, o.offset, o.lag])).toEqual([
      [0, 4, 6],
      [1, 4, 6],
      [2, 4, 6],
    ]);
    expect(g.lag).toBe(18);
  });

  it("resets a group's offsets (behind the token), and refuses without it", async () => {
    const body = { topic: 'ticks', to: 'offsets', partitions: [{ partition: 1, offset: 9 }] };
    const denied = await app.inject({ method: 'POST', url: '/api/kafka/groups/readers/offsets', payload: body });
    expect(denied.statusCode).toBe(401);
    await consumer.disconnect(); // a group with members refuses offset changes
    const ok = await app.inject({
      method: 'POST',
      url: '/api/kafka/groups/readers/offsets',
      payload: body,
      headers: auth,
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const admin = kafka.admin();
    await admin.connect();
    const offs = await admin.fetchOffsets({ groupId: 'readers', topics: ['ticks'] });
    await admin.disconnect();
    expect(offs[0].partitions.find((p) => p.partition === 1)?.offset).toBe('9');
    const early = await app.inject({
      method: 'POST',
      url: '/api/kafka/groups/readers/offsets',
      payload: { topic: 'ticks', to: 'earliest' },
      headers: auth,
    });
    expect(early.statusCode, early.body).toBe(200);
    const g = (await app.inject({ url: '/api/kafka/groups' }))
      .json()
      .groups.find((x: { groupId: string }) => x.groupId === 'readers');
    expect(g.offsets.map((o: { offset: number }) => o.offset)).toEqual([0, 0, 0]);
  });

  it('adds partitions to a topic (CreatePartitions)', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/kafka/topics/ticks.dlq/partitions',
      payload: { count: 4 },
      headers: auth,
    });
    expect(r.statusCode, r.body).toBe(200);
    const t = (await app.inject({ url: '/api/kafka/topics' }))
      .json()
      .topics.find((x: { name: string }) => x.name === 'ticks.dlq');
    expect(t.partitions.length).toBe(4);
  });

  it('deletes records below an offset; the browser then starts at the new low watermark', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/kafka/topics/ticks.dlq/delete-records',
      payload: { partition: 0, offset: 3 },
      headers: auth,
    });
    expect(r.statusCode, r.body).toBe(200);
    const t = (await app.inject({ url: '/api/kafka/topics' }))
      .json()
      .topics.find((x: { name: string }) => x.name === 'ticks.dlq');
    expect(t.partitions[0].low).toBe(3);
    const from0 = (
      await app.inject({ url: '/api/kafka/topics/ticks.dlq/messages?partition=0&offset=0&limit=10' })
    ).json();
    expect(from0.messages.map((m: { offset: string }) => m.offset)).toEqual(['3', '4', '5']);
  });

  it('deletes a consumer group (DeleteGroups)', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/kafka/groups/readers/delete', headers: auth });
    expect(r.statusCode, r.body).toBe(200);
    const groups = (await app.inject({ url: '/api/kafka/groups' }))
      .json()
      .groups.map((g: { groupId: string }) => g.groupId);
    expect(groups).not.toContain('readers');
  });

  it('without a cluster every Kafka route is 503 TL_KAFKA_OFF', async () => {
    const bare = await buildApp({ lakeDir: dir });
    try {
      const r = await bare.inject({ url: '/api/kafka/topics' });
      expect(r.statusCode).toBe(503);
      expect(r.json().error.code).toBe('TL_KAFKA_OFF');
    } finally {
      await bare.close();
    }
  });
});

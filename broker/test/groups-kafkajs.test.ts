/**
 * Consumer groups with kafkajs 2.2.4 against the embedded broker: two members split a 4-partition topic,
 * the survivor takes over when one leaves, and a new pair resumes from the committed offsets after both
 * consumers and the broker restarted. Assignments are cross-checked with the admin client's describeGroups.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssignerProtocol, type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/poll.js';
import { type RunningBroker, startBroker } from '../index.js';

const TOPIC = 'orders';
const GROUP = 'billing';
let dir: string;
let broker: RunningBroker;
let port: number;
const open: Consumer[] = [];

const kafka = () => new Kafka({ clientId: 'groups-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
const start = () => startBroker({ port, dataDir: dir, groupInitialRebalanceDelayMs: 500 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-groups-kafkajs-'));
  port = 0;
  broker = await start();
  port = broker.port;
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }] });
  await admin.disconnect();
});
afterAll(async () => {
  for (const c of open) await c.disconnect().catch(() => {});
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

interface Member {
  consumer: Consumer;
  /** Partitions of the last assignment received. */
  partitions: number[];
  /** `partition:value` of every message delivered to this member. */
  got: string[];
}

async function member(): Promise<Member> {
  const consumer = kafka().consumer({
    groupId: GROUP,
    sessionTimeout: 3000,
    rebalanceTimeout: 4000,
    heartbeatInterval: 200,
    maxWaitTimeInMs: 200,
  });
  open.push(consumer);
  const m: Member = { consumer, partitions: [], got: [] };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    m.partitions = [...(e.payload.memberAssignment[TOPIC] ?? [])].sort();
  });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      m.got.push(`${partition}:${message.value?.toString()}`);
    },
  });
  return m;
}

async function produce(from: number, count: number): Promise<string[]> {
  const producer = kafka().producer();
  await producer.connect();
  const sent: string[] = [];
  const messages = [];
  for (let i = from; i < from + count; i++) {
    messages.push({ partition: i % 4, value: `m${i}` });
    sent.push(`${i % 4}:m${i}`);
  }
  await producer.send({ topic: TOPIC, messages });
  await producer.disconnect();
  return sent;
}

/** The group's members and their decoded assignments, as a second client (admin) sees them. */
async function described(): Promise<{ state: string; members: Record<string, number[]> }> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([GROUP]);
    const members: Record<string, number[]> = {};
    for (const m of groups[0].members) {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      members[m.memberId] = [...(a?.assignment[TOPIC] ?? [])].sort();
    }
    return { state: groups[0].state, members };
  } finally {
    await admin.disconnect();
  }
}

const sorted = (xs: string[]) => [...xs].sort();

describe('kafkajs consumer group on the embedded broker', () => {
  let a: Member;
  let b: Member;
  let sentBefore: string[] = [];

  it('splits 4 partitions between two members 2+2, disjoint and covering all; each reads only its own', async () => {
    [a, b] = await Promise.all([member(), member()]);
    await waitFor('a stable 2+2 assignment', async () => {
      if (a.partitions.length !== 2 || b.partitions.length !== 2) return false;
      const d = await described();
      const views = Object.values(d.members).map((p) => p.join());
      return (
        d.state === 'Stable' &&
        views.length === 2 &&
        views.includes(a.partitions.join()) &&
        views.includes(b.partitions.join())
      );
    });
    expect(sorted([...a.partitions, ...b.partitions].map(String))).toEqual(['0', '1', '2', '3']);

    sentBefore = await produce(0, 40);
    await waitFor('40 messages consumed', () => a.got.length + b.got.length >= 40);
    expect(sorted([...a.got, ...b.got])).toEqual(sorted(sentBefore));
    for (const m of [a, b]) {
      expect(m.got.length).toBe(20);
      expect(m.got.every((g) => m.partitions.includes(Number(g.split(':')[0])))).toBe(true);
    }
  });

  it('rebalances when one leaves: the survivor gets all 4 partitions and reads what comes after', async () => {
    await b.consumer.disconnect();
    await waitFor('the survivor owning all partitions', () => a.partitions.length === 4);
    const d = await described();
    expect(d.state).toBe('Stable');
    expect(Object.values(d.members)).toEqual([[0, 1, 2, 3]]);

    const after = await produce(40, 20);
    await waitFor('20 more messages', () => a.got.length >= 40);
    // b committed before leaving, so a re-reads nothing of b's partitions: exactly the 60 sent, once each.
    expect(sorted([...a.got, ...b.got])).toEqual(sorted([...sentBefore, ...after]));

    const admin = kafka().admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    await admin.disconnect();
    // 60 messages, 15 per partition: the committed offset is the next one to read.
    expect(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '15'],
      [1, '15'],
      [2, '15'],
      [3, '15'],
    ]);
  });

  it('resumes from committed offsets after both consumers and the broker restarted', async () => {
    await a.consumer.disconnect();
    await broker.close();
    broker = await start();
    expect(broker.port).toBe(port);

    const fresh = await produce(60, 20);
    const [c, d] = await Promise.all([member(), member()]);
    await waitFor('the 20 new messages', () => c.got.length + d.got.length >= 20);
    await waitFor('a stable assignment', () => c.partitions.length + d.partitions.length === 4);
    await Promise.all([c.consumer.disconnect(), d.consumer.disconnect()]);
    // fromBeginning is set: had the offsets been lost, all 80 would come again.
    expect(sorted([...c.got, ...d.got])).toEqual(sorted(fresh));
  });
});

describe('kafkajs admin on groups', () => {
  it('lists groups, and sets and fetches offsets of an empty group', async () => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId: 'manual',
        topic: TOPIC,
        partitions: [
          { partition: 0, offset: '3' },
          { partition: 2, offset: '9' },
        ],
      });
      const got = await admin.fetchOffsets({ groupId: 'manual', topics: [TOPIC] });
      // kafkajs turns the "" the broker sends into null (`metadata || null`); the wire test checks "".
      expect(got[0].partitions.map((p) => [p.partition, p.offset, p.metadata]).sort()).toEqual([
        [0, '3', null],
        [1, '-1', null],
        [2, '9', null],
        [3, '-1', null],
      ]);
      const { groups } = await admin.listGroups();
      expect(groups).toEqual(
        expect.arrayContaining([
          { groupId: GROUP, protocolType: 'consumer' },
          // kafkajs setOffsets joins the group with a consumer to seek, so it is a consumer group too.
          { groupId: 'manual', protocolType: 'consumer' },
        ]),
      );
      const desc = await admin.describeGroups(['manual']);
      expect(desc.groups[0]).toMatchObject({ groupId: 'manual', state: 'Empty', members: [] });
    } finally {
      await admin.disconnect();
    }
  });
});

/**
 * The admin APIs of issue 17 through two independent clients, kafkajs admin and kafka-python: DeleteGroups,
 * DeleteRecords (a consumer then starts at the new low watermark), CreatePartitions, AlterConfigs (seen in
 * DescribeConfigs and in what the log does), and, where kafkajs has no call, OffsetDelete and
 * IncrementalAlterConfigs sent with kafka-python's own protocol classes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import { DEBIAN_PYTHON, requireTool } from '../../test/helpers/tools.js';
import { type RunningBroker, startBroker } from '../index.js';
import { consumeAll } from './consume-all.js';
import { RawClient } from './raw-client.js';
import { arr, Cursor, cat, i32, str } from './wire.js';

const run = promisify(execFile);
const python = requireTool('python3-kafka', [DEBIAN_PYTHON]);

let broker: RunningBroker;
let kafka: Kafka;
let admin: Admin;

const embedded = useBroker('tl-broker-admin-apis', {
  defaultPartitions: 1,
  groupInitialRebalanceDelayMs: 0,
  cleanerIntervalMs: 0,
});
beforeAll(async () => {
  broker = embedded.broker;
  kafka = new Kafka({ clientId: 'admin-apis', brokers: [broker.address], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin?.disconnect();
});

async function produce(topic: string, n: number, partition = 0, size = 10): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < n; i += 10) {
    const messages = Array.from({ length: Math.min(10, n - i) }, (_, j) => ({
      key: `k${(i + j) % 7}`,
      value: `v${i + j}-${'x'.repeat(size)}`,
      partition,
    }));
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

/** A consumer group that reads the topic and commits, then leaves: an Empty group with offsets. */
async function groupWithOffsets(groupId: string, topic: string, count: number): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async () => {
        if (++seen >= count) resolve();
      },
    });
  });
  await consumer.disconnect();
}

describe('admin APIs through kafkajs', () => {
  it('deletes an empty group with its offsets; refuses unknown and active groups', async () => {
    await admin.createTopics({ topics: [{ topic: 'grp-topic' }] });
    await produce('grp-topic', 20);
    await groupWithOffsets('js-group', 'grp-topic', 20);
    const before = await admin.fetchOffsets({ groupId: 'js-group', topics: ['grp-topic'] });
    expect(before[0].partitions[0].offset).toBe('20');

    // An active member: NON_EMPTY_GROUP.
    const active = kafka.consumer({ groupId: 'js-active', maxWaitTimeInMs: 100 });
    await active.connect();
    await active.subscribe({ topic: 'grp-topic', fromBeginning: true });
    let joined!: () => void;
    const hasJoined = new Promise<void>((r) => {
      joined = r;
    });
    active.on(active.events.GROUP_JOIN, () => joined());
    void active.run({ eachMessage: async () => {} });
    await hasJoined;
    // OffsetDelete (kafkajs has no call for it; a hand-encoded request) on a topic the active member reads:
    // GROUP_SUBSCRIBED_TO_TOPIC (86) for its partition; an unknown partition: UNKNOWN_TOPIC_OR_PARTITION (3).
    const raw = await RawClient.connect(broker.port);
    raw.request(
      47,
      0,
      1,
      cat(
        str('js-active'),
        arr(['grp-topic'], (t) => cat(str(t), arr([0, 9], i32))),
      ),
    );
    const od = new Cursor((await raw.response())!);
    expect(od.i32()).toBe(1); // correlation id
    expect({ errorCode: od.i16(), throttle: od.i32() }).toEqual({ errorCode: 0, throttle: 0 });
    const odTopics = od.arr((t) => ({ name: t.str(), partitions: t.arr((p) => [p.i32(), p.i16()]) }));
    expect(odTopics).toEqual([
      {
        name: 'grp-topic',
        partitions: [
          [0, 86],
          [9, 3],
        ],
      },
    ]);
    raw.close();
    await expect(admin.deleteGroups(['js-active'])).rejects.toMatchObject({
      groups: [
        expect.objectContaining({ groupId: 'js-active', error: expect.objectContaining({ type: 'NON_EMPTY_GROUP' }) }),
      ],
    });
    await active.disconnect();

    expect(await admin.deleteGroups(['js-group'])).toEqual([{ groupId: 'js-group', errorCode: 0 }]);
    const after = await admin.fetchOffsets({ groupId: 'js-group', topics: ['grp-topic'] });
    expect(after[0].partitions[0].offset).toBe('-1');
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('js-group');
    await expect(admin.deleteGroups(['js-group'])).rejects.toMatchObject({
      groups: [expect.objectContaining({ error: expect.objectContaining({ type: 'GROUP_ID_NOT_FOUND' }) })],
    });
  });

  it('deletes records below an offset: the low watermark moves and a new consumer starts there', async () => {
    await admin.createTopics({
      topics: [{ topic: 'dr-topic', configEntries: [{ name: 'segment.bytes', value: '1024' }] }],
    });
    await produce('dr-topic', 100);
    // kafkajs's deleteTopicRecords needs the topic in the admin's metadata cache first (a kafkajs quirk).
    await admin.fetchTopicMetadata({ topics: ['dr-topic'] });
    await admin.deleteTopicRecords({ topic: 'dr-topic', partitions: [{ partition: 0, offset: '37' }] });
    const offsets = await admin.fetchTopicOffsets('dr-topic');
    expect(offsets[0]).toMatchObject({ low: '37', high: '100' });
    const got = await consumeAll(kafka, 'dr-topic', 63, { timeoutMs: 15_000 });
    expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 63 }, (_, i) => 37 + i));
    // Whole segments below the new start are gone from disk.
    expect(broker.context.topics.partition('dr-topic', 0)!.closedSegments()[0].baseOffset).toBeGreaterThan(0);
    // Above the high watermark: OFFSET_OUT_OF_RANGE.
    await expect(
      admin.deleteTopicRecords({ topic: 'dr-topic', partitions: [{ partition: 0, offset: '500' }] }),
    ).rejects.toThrow();
    // Survives a restart of the log.
    const d = await mkdtemp(join(tmpdir(), 'tl-broker-dr-restart-'));
    try {
      let b = await startBroker({ port: 0, dataDir: d });
      expect(await b.context.topics.create('t', 1)).toBe(0);
      const k = new Kafka({ brokers: [b.address], logLevel: logLevel.NOTHING });
      const p = k.producer();
      await p.connect();
      await p.send({ topic: 't', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
      await p.disconnect();
      expect(b.context.topics.partition('t', 0)!.deleteRecordsBefore(4)).toBe(4);
      await b.close();
      b = await startBroker({ port: 0, dataDir: d });
      expect(b.context.topics.logStartOffset('t', 0)).toBe(4);
      await b.close();
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it('adds partitions; refuses a count not above the current one', async () => {
    await admin.createTopics({ topics: [{ topic: 'cp-topic', numPartitions: 2 }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'cp-topic', count: 5 }] });
    const md = await admin.fetchTopicMetadata({ topics: ['cp-topic'] });
    expect(md.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3, 4]);
    await produce('cp-topic', 10, 4);
    expect(broker.context.topics.highWatermark('cp-topic', 4)).toBe(10);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'cp-topic', count: 3 }] })).rejects.toMatchObject({
      type: 'INVALID_PARTITIONS',
    });
  });

  it('alters a topic config: DescribeConfigs shows it and the log follows it', async () => {
    await admin.createTopics({
      topics: [{ topic: 'ac-topic', configEntries: [{ name: 'segment.bytes', value: '1024' }] }],
    });
    await produce('ac-topic', 60, 0, 100);
    broker.context.topics.applyRetention();
    expect((await admin.fetchTopicOffsets('ac-topic'))[0].low).toBe('0');
    // AlterConfigs replaces the whole set: segment.bytes stays only because it is given again.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'ac-topic',
          configEntries: [
            { name: 'segment.bytes', value: '1024' },
            { name: 'retention.bytes', value: '2048' },
          ],
        },
      ],
    });
    const d = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ac-topic' }],
      includeSynonyms: false,
    });
    const entries = Object.fromEntries(d.resources[0].configEntries.map((e) => [e.configName, e]));
    expect(entries['retention.bytes']).toMatchObject({ configValue: '2048', configSource: 1 });
    broker.context.topics.applyRetention();
    expect(Number((await admin.fetchTopicOffsets('ac-topic'))[0].low)).toBeGreaterThan(30);
    await expect(
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: 'ac-topic',
            configEntries: [{ name: 'retention.bytes', value: 'lots' }],
          },
        ],
      }),
    ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    // Switching to compact: the cleaner now compacts the topic (7 keys).
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'ac-topic',
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: '1024' },
          ],
        },
      ],
    });
    const results = await broker.context.topics.compactAll({ topic: 'ac-topic', force: true });
    expect(results).toHaveLength(1);
  });
});

const KAFKA_PYTHON = `
import json, sys, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic, NewPartitions, ConfigResource, ConfigResourceType
from kafka.protocol.api import Request, Response
from kafka.protocol.types import Array, Int8, Int16, Int32, Int64, Schema, String

class DeleteRecordsResponse_v0(Response):
    API_KEY = 21
    API_VERSION = 0
    SCHEMA = Schema(('throttle_time_ms', Int32), ('topics', Array(('name', String('utf-8')),
        ('partitions', Array(('partition_index', Int32), ('low_watermark', Int64), ('error_code', Int16))))))

class DeleteRecordsRequest_v0(Request):
    API_KEY = 21
    API_VERSION = 0
    RESPONSE_TYPE = DeleteRecordsResponse_v0
    SCHEMA = Schema(('topics', Array(('name', String('utf-8')),
        ('partitions', Array(('partition_index', Int32), ('offset', Int64))))), ('timeout_ms', Int32))

class OffsetDeleteResponse_v0(Response):
    API_KEY = 47
    API_VERSION = 0
    SCHEMA = Schema(('error_code', Int16), ('throttle_time_ms', Int32), ('topics', Array(('name', String('utf-8')),
        ('partitions', Array(('partition_index', Int32), ('error_code', Int16))))))

class OffsetDeleteRequest_v0(Request):
    API_KEY = 47
    API_VERSION = 0
    RESPONSE_TYPE = OffsetDeleteResponse_v0
    SCHEMA = Schema(('group_id', String('utf-8')), ('topics', Array(('name', String('utf-8')),
        ('partitions', Array(Int32)))))

class IncrementalAlterConfigsResponse_v0(Response):
    API_KEY = 44
    API_VERSION = 0
    SCHEMA = Schema(('throttle_time_ms', Int32), ('responses', Array(('error_code', Int16),
        ('error_message', String('utf-8')), ('resource_type', Int8), ('resource_name', String('utf-8')))))

class IncrementalAlterConfigsRequest_v0(Request):
    API_KEY = 44
    API_VERSION = 0
    RESPONSE_TYPE = IncrementalAlterConfigsResponse_v0
    SCHEMA = Schema(('resources', Array(('resource_type', Int8), ('resource_name', String('utf-8')),
        ('configs', Array(('name', String('utf-8')), ('config_operation', Int8), ('value', String('utf-8')))))),
        ('validate_only', Int8))

addr = sys.argv[1]
out = {}
a = KafkaAdminClient(bootstrap_servers=addr)
node = a._client.least_loaded_node()

def send(req):
    f = a._send_request_to_node(node, req)
    a._client.poll(future=f)
    return f.value

a.create_topics([NewTopic('py-admin', 1, 1, topic_configs={'segment.bytes': '1024'})])
p = KafkaProducer(bootstrap_servers=addr, acks='all')
for i in range(50):
    p.send('py-admin', key=b'k%d' % (i % 5), value=b'v%d' % i, partition=0)
p.flush()
p.close()

# A group with a committed offset, then gone: OffsetDelete of its partition, then DeleteGroups.
c = KafkaConsumer('py-admin', bootstrap_servers=addr, group_id='py-group', auto_offset_reset='earliest',
                  enable_auto_commit=False, consumer_timeout_ms=3000)
n = sum(1 for _ in c)
c.commit()
c.close()
out['consumed'] = n
r = send(OffsetDeleteRequest_v0(group_id='py-group', topics=[('py-admin', [0])]))
out['offset_delete'] = [r.error_code, r.topics[0][1][0][1]]
r = send(OffsetDeleteRequest_v0(group_id='no-such-group', topics=[('py-admin', [0])]))
out['offset_delete_unknown'] = r.error_code
offs = a.list_consumer_group_offsets('py-group')
out['offsets_after_delete'] = {'%s-%d' % (tp.topic, tp.partition): m.offset for tp, m in offs.items()}
out['delete_groups'] = [[g, e.errno] for g, e in a.delete_consumer_groups(['py-group', 'never-was'])]

# DeleteRecords below offset 20; a consumer from the earliest offset starts there.
r = send(DeleteRecordsRequest_v0(topics=[('py-admin', [(0, 20)])], timeout_ms=5000))
out['delete_records'] = [r.topics[0][1][0][1], r.topics[0][1][0][2]]
c = KafkaConsumer(bootstrap_servers=addr, group_id=None, auto_offset_reset='earliest', consumer_timeout_ms=3000)
c.assign([TopicPartition('py-admin', 0)])
out['first_offset'] = next(iter(c)).offset
c.close()

# CreatePartitions, AlterConfigs, IncrementalAlterConfigs, each seen through DescribeConfigs / metadata.
r = a.create_partitions({'py-admin': NewPartitions(3)})
out['create_partitions'] = r.topic_errors[0][1]
r = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, 'py-admin', configs={'retention.ms': '123456'})])
out['alter'] = r.resources[0][0]
r = send(IncrementalAlterConfigsRequest_v0(resources=[(2, 'py-admin', [('cleanup.policy', 2, 'compact'),
        ('delete.retention.ms', 0, '777')])], validate_only=0))
out['incremental'] = r.responses[0][0]
r = send(IncrementalAlterConfigsRequest_v0(resources=[(2, 'py-admin', [('retention.ms', 2, '1')])], validate_only=0))
out['incremental_bad'] = [r.responses[0][0], r.responses[0][1]]
res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'py-admin')])[0].resources[0]
out['configs'] = {c[0]: c[1] for c in res[4]}
a.close()
print(json.dumps(out))
`;

describe.skipIf(!python)('admin APIs through kafka-python', () => {
  it('OffsetDelete, DeleteGroups, DeleteRecords, CreatePartitions, AlterConfigs and IncrementalAlterConfigs', async () => {
    const { stdout } = await run(python!, ['-c', KAFKA_PYTHON, broker.address], { timeout: 90_000 });
    const out = JSON.parse(stdout);
    expect(out.consumed).toBe(50);
    // Error codes from the protocol guide: 69 GROUP_ID_NOT_FOUND, 40 INVALID_CONFIG.
    expect(out.offset_delete).toEqual([0, 0]);
    expect(out.offset_delete_unknown).toBe(69);
    expect(out.offsets_after_delete).toEqual({});
    expect(out.delete_groups).toEqual([
      ['py-group', 0],
      ['never-was', 69],
    ]);
    expect(out.delete_records).toEqual([20, 0]);
    expect(out.first_offset).toBe(20);
    expect(out.create_partitions).toBe(0);
    expect(broker.context.topics.partitionCount('py-admin')).toBe(3);
    expect(out.alter).toBe(0);
    expect(out.incremental).toBe(0);
    expect(out.incremental_bad[0]).toBe(40);
    expect(out.incremental_bad[1]).toContain('retention.ms');
    // AlterConfigs replaced segment.bytes by the default; the incremental call added to it.
    expect(out.configs['retention.ms']).toBe('123456');
    expect(out.configs['cleanup.policy']).toBe('delete,compact');
    expect(out.configs['delete.retention.ms']).toBe('777');
    expect(out.configs['segment.bytes']).toBe(String(64 * 1024 * 1024));
    expect(broker.context.topics.partition('py-admin', 0)!.settings).toMatchObject({
      compact: true,
      deleteRetention: true,
      deleteRetentionMs: 777,
      retentionMs: 123456,
    });
  });
});

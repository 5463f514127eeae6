/**
 * Topic configs through three independent clients: kafkajs, librdkafka (python3-confluent-kafka's AdminClient)
 * and kafka-python create topics with configs and read them back with DescribeConfigs; bad values are refused
 * with INVALID_CONFIG and a message; configs survive a restart and change what the log does (retention per
 * topic).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import { DEBIAN_PYTHON, requireTool } from '../../test/helpers/tools.js';
import { type RunningBroker, startBroker } from '../index.js';

const run = promisify(execFile);
const python = requireTool('python3-kafka', [DEBIAN_PYTHON]);

let broker: RunningBroker;
let kafka: Kafka;

const embedded = useBroker('tl-broker-configs', { defaultPartitions: 1, retentionMs: 3_600_000 });
beforeAll(async () => {
  broker = embedded.broker;
  kafka = new Kafka({ clientId: 'configs-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
});

type Described = Record<string, { value: string; source: number; readOnly: boolean; sensitive: boolean }>;

async function kafkajsDescribe(topic: string): Promise<Described> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      includeSynonyms: false,
    });
    const out: Described = {};
    for (const e of res.resources[0].configEntries) {
      out[e.configName] = {
        value: e.configValue,
        source: e.configSource,
        readOnly: e.readOnly,
        sensitive: e.isSensitive,
      };
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

describe('topic configs', () => {
  it('kafkajs creates a compacted topic; DescribeConfigs reports its configs (TOPIC_CONFIG) and the defaults', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [
          {
            topic: 'js-compact',
            numPartitions: 2,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'delete.retention.ms', value: '5000' },
              { name: 'segment.bytes', value: '4096' },
            ],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    const d = await kafkajsDescribe('js-compact');
    // Kafka's config sources: 1 = DYNAMIC_TOPIC_CONFIG, 5 = DEFAULT_CONFIG.
    expect(d['cleanup.policy']).toEqual({ value: 'compact', source: 1, readOnly: false, sensitive: false });
    expect(d['delete.retention.ms']).toMatchObject({ value: '5000', source: 1 });
    expect(d['segment.bytes']).toMatchObject({ value: '4096', source: 1 });
    // Not overridden: the broker's value (started with retention 1 h; retention bytes 1 GiB by default).
    expect(d['retention.ms']).toMatchObject({ value: String(3_600_000), source: 5 });
    expect(d['retention.bytes']).toMatchObject({ value: String(1024 ** 3), source: 5 });
    expect(d['min.compaction.lag.ms']).toMatchObject({ value: '0', source: 5 });
    expect(broker.context.topics.partition('js-compact', 1)!.settings).toMatchObject({
      compact: true,
      deleteRetention: false,
      deleteRetentionMs: 5000,
      segmentBytes: 4096,
    });
  });

  it('refuses unknown names and bad values with INVALID_CONFIG and creates nothing', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const entry of [
        { name: 'cleanup.policy', value: 'shred' },
        { name: 'retention.ms', value: 'soon' },
        { name: 'retention.ms', value: '-2' },
        { name: 'segment.bytes', value: '3000000000' },
        { name: 'max.message.bytez', value: '1' },
      ]) {
        await expect(
          admin.createTopics({ topics: [{ topic: 'js-bad', configEntries: [entry] }] }),
        ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
      }
      expect(await admin.listTopics()).not.toContain('js-bad');
    } finally {
      await admin.disconnect();
    }
  });

  it('reports the broker configs, read-only, under their Kafka names', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const res = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }],
        includeSynonyms: false,
      });
      const entries = Object.fromEntries(res.resources[0].configEntries.map((e) => [e.configName, e]));
      expect(entries['log.retention.ms']).toMatchObject({ configValue: '3600000', readOnly: true, configSource: 4 });
      expect(entries['log.segment.bytes'].configValue).toBe(String(64 * 1024 * 1024));
      expect(entries['connections.max.idle.ms'].configValue).toBe('600000');
      await expect(
        admin.describeConfigs({
          resources: [{ type: ConfigResourceTypes.TOPIC, name: 'no-such-topic' }],
          includeSynonyms: false,
        }),
      ).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    } finally {
      await admin.disconnect();
    }
  });

  it('applies retention per topic: a small retention.bytes deletes old segments of that topic only', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await admin.createTopics({
        topics: [
          {
            topic: 'js-small',
            configEntries: [
              { name: 'segment.bytes', value: '2048' },
              { name: 'retention.bytes', value: '4096' },
            ],
          },
          { topic: 'js-default' },
        ],
      });
      for (const topic of ['js-small', 'js-default']) {
        for (let i = 0; i < 40; i++) await producer.send({ topic, messages: [{ value: `m${i}-${'x'.repeat(300)}` }] });
      }
      broker.context.topics.applyRetention();
      const small = await admin.fetchTopicOffsets('js-small');
      const plain = await admin.fetchTopicOffsets('js-default');
      expect(Number(small[0].low)).toBeGreaterThan(0);
      expect(Number(small[0].high)).toBe(40);
      expect(plain[0]).toMatchObject({ low: '0', high: '40' });
      // About 4096 bytes of ~370-byte batches stay, plus the active segment: far fewer than 40.
      expect(40 - Number(small[0].low)).toBeLessThan(20);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('keeps topic configs across a restart', async () => {
    const d = await mkdtemp(join(tmpdir(), 'tl-broker-configs-restart-'));
    try {
      let b = await startBroker({ port: 0, dataDir: d });
      expect(await b.context.topics.create('kept', 1, false, { 'cleanup.policy': 'compact,delete' })).toBe(0);
      await b.close();
      b = await startBroker({ port: 0, dataDir: d });
      expect(b.context.topics.topicConfigs('kept')).toEqual({ 'cleanup.policy': 'compact,delete' });
      expect(b.context.topics.partition('kept', 0)!.settings).toMatchObject({ compact: true, deleteRetention: true });
      await b.close();
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});

const LIBRDKAFKA = `
import json, sys
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource
a = AdminClient({'bootstrap.servers': sys.argv[1]})
out = {}
fs = a.create_topics([NewTopic('rd-compact', 1, 1, config={'cleanup.policy': 'compact', 'min.compaction.lag.ms': '100'})])
fs['rd-compact'].result(20)
try:
    a.create_topics([NewTopic('rd-bad', 1, 1, config={'delete.retention.ms': 'never'})])['rd-bad'].result(20)
    out['bad'] = 'created'
except KafkaException as e:
    err = e.args[0]
    out['bad'] = {'name': err.name(), 'message': err.str()}
res = a.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, 'rd-compact')])
for r, f in res.items():
    out['configs'] = {k: {'value': v.value, 'source': int(v.source), 'default': v.is_default, 'ro': v.is_read_only}
                      for k, v in f.result(20).items()}
print(json.dumps(out))
`;

const KAFKA_PYTHON = `
import json, sys
from kafka.admin import KafkaAdminClient, NewTopic, ConfigResource, ConfigResourceType
a = KafkaAdminClient(bootstrap_servers=sys.argv[1])
a.create_topics([NewTopic('kp-compact', 1, 1, topic_configs={'cleanup.policy': 'compact', 'retention.ms': '-1'})])
r = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'kp-compact')])[0]
res = r.resources[0]
print(json.dumps({'error': res[0], 'configs': {c[0]: {'value': c[1], 'ro': c[2]} for c in res[4]}}))
a.close()
`;

describe.skipIf(!python)('topic configs from librdkafka and kafka-python', () => {
  it('librdkafka (confluent-kafka AdminClient) creates a compacted topic, sees its configs, gets the INVALID_CONFIG message', async () => {
    const { stdout } = await run(python!, ['-c', LIBRDKAFKA, broker.address], { timeout: 60_000 });
    const out = JSON.parse(stdout) as {
      bad: { name: string; message: string };
      configs: Record<string, { value: string; source: number; default: boolean; ro: boolean }>;
    };
    expect(out.bad.name).toBe('INVALID_CONFIG');
    expect(out.bad.message).toContain('delete.retention.ms');
    expect(out.bad.message).toContain('never');
    expect(out.configs['cleanup.policy']).toEqual({ value: 'compact', source: 1, default: false, ro: false });
    expect(out.configs['min.compaction.lag.ms']).toMatchObject({ value: '100', source: 1 });
    expect(out.configs['delete.retention.ms']).toMatchObject({ value: '86400000', source: 5, default: true });
    expect(broker.context.topics.has('rd-bad')).toBe(false);
  });

  it('kafka-python creates a compacted topic with unlimited retention and describes it', async () => {
    const { stdout } = await run(python!, ['-c', KAFKA_PYTHON, broker.address], { timeout: 60_000 });
    const out = JSON.parse(stdout) as { error: number; configs: Record<string, { value: string; ro: boolean }> };
    expect(out.error).toBe(0);
    expect(out.configs['cleanup.policy']).toEqual({ value: 'compact', ro: false });
    expect(out.configs['retention.ms'].value).toBe('-1');
    expect(broker.context.topics.partition('kp-compact', 0)!.settings.retentionMs).toBe(-1);
  });
});

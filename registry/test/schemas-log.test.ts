/**
 * The `_schemas` log against the embedded broker (schemas-log.ts, store.ts): reading it through kafkajs's internal
 * Cluster (no consumer group), never creating it by accident (a reader of a cluster without it sees nothing, and
 * the topic must not appear: auto-creation would give it the broker's default partition count), refusing a topic
 * with more than one partition, and a compacted log's holes.
 */
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { logger } from '../../core/log.js';
import { useBroker } from '../../test/helpers/broker.js';
import { encodeKey, encodeSchemaValue } from '../records.js';
import { SchemaLookup } from '../schema-lookup.js';
import { RegistryService } from '../service.js';
import { SchemaStore } from '../store.js';

let broker: RunningBroker;
let kafka: Kafka;
const log = logger('test');

const embedded = useBroker('ticklake-schemas-log', { defaultPartitions: 3, autoCreateTopics: true });
beforeAll(async () => {
  broker = embedded.broker;
  kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
});

async function topics(): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

describe('the _schemas log', () => {
  it('is never created by a reader, which finds no schemas', async () => {
    const lookup = new SchemaLookup({ brokers: [broker.address], log });
    try {
      await lookup.prepare([Buffer.from([0, 0, 0, 0, 7, 1])]);
      expect(lookup.typeOf(7)).toMatch(/^unknown schema id 7/);
    } finally {
      await lookup.close();
    }
    expect(await topics()).not.toContain('_schemas');
  });

  it('is created with one partition by a registry, read to its end, and read again by a second store', async () => {
    const svc = new RegistryService({ brokers: [broker.address], log });
    await svc.start({ tail: false, retry: false });
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['_schemas'] });
    await admin.disconnect();
    expect(meta.topics[0].partitions).toHaveLength(1);
    // 300 records written directly, in Confluent's format, as another registry would
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: encodeKey({ keytype: 'SCHEMA', subject: `s${i}`, version: 1 }),
      value: encodeSchemaValue({
        subject: `s${i}`,
        version: 1,
        id: 1000 + i,
        schema: `{"type":"fixed","name":"F${i}","size":${i + 1}}`,
        deleted: false,
      }),
    }));
    await svc.store.write(records);
    await svc.close();
    const store = new SchemaStore({ brokers: [broker.address], log });
    try {
      await store.catchUp();
      expect(store.position).toBe(300);
      expect(store.state.subjectNames()).toHaveLength(300);
      expect(store.state.schemaById(1299)?.text).toBe('{"type":"fixed","name":"F299","size":300}');
    } finally {
      await store.close();
    }
  });

  it('refuses a topic with more than one partition', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'wide-schemas', numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const svc = new RegistryService({ brokers: [broker.address], topic: 'wide-schemas', log });
    await expect(svc.start({ tail: false, retry: true })).rejects.toMatchObject({ code: 'TL_REGISTRY_BAD_TOPIC' });
    await svc.close();
  });
});

/**
 * Debian's python3-confluent-kafka as an independent Avro producer: its own serializer (confluent_kafka.avro's
 * MessageSerializer over python3-avro, registering its own schema through ticklake's registry with its
 * CachedSchemaRegistryClient) and librdkafka produce the seeded run's ticks; ticklake's processor turns them into
 * the same ticks, bars, anomalies, valuations and late ticks as the same ticks sent as JSON.
 *
 * The Python schema is not ticklake's: another name and namespace, another field order, the asset class a string,
 * an extra optional field. Keys are the symbols as plain bytes and librdkafka partitions with murmur2 (as kafkajs
 * does), so both topics hold the same ticks at the same partitions and offsets.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { encodeTick, parseTick, type Tick } from '../../contracts/tick.js';
import { logger } from '../../core/log.js';
import { startProcessor } from '../../processors/ticks/processor.js';
import { seededRun } from '../../processors/ticks/test/fixtures.js';
import { useBroker } from '../../test/helpers/broker.js';
import { compareLakes } from '../../test/helpers/lake-compare.js';
import { DEBIAN_PYTHON, requireTool } from '../../test/helpers/tools.js';
import { type RunningRegistry, startRegistryServer } from '../server.js';
import { wireSchemaId } from '../wire-format.js';

const python = requireTool('python3-confluent-kafka', [DEBIAN_PYTHON]);

const PRODUCER = `
import json, sys
import avro.schema
from confluent_kafka import Producer
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

brokers, registry_url, topic, path = sys.argv[1:5]
schema = avro.schema.parse(json.dumps({
    "type": "record", "name": "PriceTick", "namespace": "com.example.feed",
    "fields": [
        {"name": "ts", "type": "long"},
        {"name": "symbol", "type": "string"},
        {"name": "price", "type": "double"},
        {"name": "size", "type": "long"},
        {"name": "exchange", "type": "string"},
        {"name": "assetClass", "type": "string"},
        {"name": "v", "type": "int"},
        {"name": "feedSeq", "type": ["null", "long"], "default": None},
    ],
}))
serializer = MessageSerializer(CachedSchemaRegistryClient({"url": registry_url}))
producer = Producer({"bootstrap.servers": brokers, "partitioner": "murmur2_random", "linger.ms": 5})
n = 0
with open(path) as f:
    for line in f:
        t = json.loads(line)
        t["feedSeq"] = n
        value = serializer.encode_record_with_schema(topic, schema, t)
        producer.produce(topic, value=value, key=t["symbol"].encode())
        n += 1
        if n % 1000 == 0:
            producer.flush()
left = producer.flush(30)
print(json.dumps({"sent": n, "unsent": left}))
`;

let dir: string;
let broker: RunningBroker;
let reg: RunningRegistry;
let db: DuckDBConnection;
let ticks: Tick[];
let sent: { sent: number; unsent: number };
let firstValue: Buffer | null = null;

describe.skipIf(!python)('Avro ticks from python3-confluent-kafka', () => {
  const embedded = useBroker('ticklake-python-avro', { defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    reg = await startRegistryServer({ brokers: [broker.address], host: '127.0.0.1', port: 0, log: logger('registry') });
    const brokers = [broker.address];
    const run = await seededRun();
    ticks = run.log.messages.flatMap((m) => {
      const p = parseTick(m.value === null ? null : String(m.value));
      return 'tick' in p ? [p.tick] : [];
    });
    await writeFile(join(dir, 'ticks.jsonl'), `${ticks.map((t) => JSON.stringify(t)).join('\n')}\n`);

    // the same ticks as JSON, kafkajs with its murmur2 partitioner
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: ['py-json', 'py-avro'].map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });
    await admin.disconnect();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < ticks.length; i += 2000)
      await producer.send({
        topic: 'py-json',
        acks: -1,
        messages: ticks.slice(i, i + 2000).map((t) => ({ key: t.symbol, value: encodeTick(t) })),
      });
    await producer.disconnect();

    const { stdout } = await promisify(execFile)(
      python as string,
      ['-c', PRODUCER, broker.address, reg.url, 'py-avro', join(dir, 'ticks.jsonl')],
      { timeout: 120_000 },
    );
    sent = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');

    const consumer = kafka.consumer({ groupId: 'peek', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'py-avro', fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          firstValue ??= message.value;
          resolve();
        },
      });
    });
    await consumer.disconnect();

    for (const topic of ['py-json', 'py-avro']) {
      const proc = await startProcessor({
        brokers,
        topic,
        group: `g-${topic}`,
        lakeDir: join(dir, topic, 'lake'),
        stateDir: join(dir, topic, 'state'),
        untilIdle: true,
      });
      await proc.done;
    }
    db = await (await DuckDBInstance.create(':memory:')).connect();
  }, 240_000);

  afterAll(async () => {
    db?.closeSync();
    await reg?.close();
  });

  it("registered its own schema through ticklake's registry and framed every message with its id", async () => {
    expect(sent).toEqual({ sent: ticks.length, unsent: 0 });
    const subjects = (await (await fetch(`${reg.url}/subjects`)).json()) as string[];
    expect(subjects).toEqual(['py-avro-value']);
    const latest = (await (await fetch(`${reg.url}/subjects/py-avro-value/versions/latest`)).json()) as {
      id: number;
      schema: string;
    };
    expect(JSON.parse(latest.schema).name).toBe('PriceTick');
    expect(wireSchemaId(firstValue)).toBe(latest.id);
  });

  it('gives the same ticks, bars, anomalies, valuations and late ticks as the JSON ticks', async () => {
    const { problems, counts } = await compareLakes(db, join(dir, 'py-json', 'lake'), join(dir, 'py-avro', 'lake'));
    expect(problems).toEqual([]);
    expect(counts.ticks).toBe(ticks.length);
    for (const table of ['bars', 'anomalies', 'valuations', 'late_ticks'])
      expect(counts[table], table).toBeGreaterThan(0);
  });
});

/**
 * kafka-python (Debian's python3-kafka 2.0), a third client: a KafkaConsumer in a group reads part of a topic
 * and commits, a second run in the same group resumes exactly after the committed positions.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import { DEBIAN_PYTHON, requireTool } from '../../test/helpers/tools.js';
import type { RunningBroker } from '../index.js';

const run = promisify(execFile);
const python = requireTool('python3-kafka', [DEBIAN_PYTHON]);

/** argv: address topic group limit — reads `limit` messages in the group, commits, closes, prints them. */
const SCRIPT = `
import json, sys
from kafka import KafkaConsumer
addr, topic, group, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = KafkaConsumer(topic, bootstrap_servers=addr, group_id=group, auto_offset_reset='earliest',
                  enable_auto_commit=False, consumer_timeout_ms=20000,
                  session_timeout_ms=6000, heartbeat_interval_ms=500)
out = []
for m in c:
    out.append('%d:%s' % (m.partition, m.value.decode()))
    if len(out) == limit:
        break
c.commit()
c.close()
print(json.dumps(out))
`;

let broker: RunningBroker;

const embedded = useBroker('tl-groups-python', { groupInitialRebalanceDelayMs: 200 });
beforeAll(async () => {
  broker = embedded.broker;
  expect(await broker.context.topics.create('py-group-topic', 2)).toBe(0);
});

async function consume(limit: number): Promise<string[]> {
  const args = ['-c', SCRIPT, broker.address, 'py-group-topic', 'py-group', String(limit)];
  const { stdout } = await run(python!, args, { timeout: 50_000 });
  return JSON.parse(stdout) as string[];
}

describe.skipIf(!python)('kafka-python consumer group', () => {
  it('commits what it read; a second run in the group resumes after it, nothing twice, nothing lost', async () => {
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 50 }, (_, i) => ({ partition: i % 2, value: `py${i}` }));
    await producer.send({ topic: 'py-group-topic', messages: sent });
    await producer.disconnect();
    const all = sent.map((m) => `${m.partition}:${m.value}`);

    const first = await consume(20);
    expect(first).toHaveLength(20);
    const second = await consume(30);
    expect([...first, ...second].sort()).toEqual([...all].sort());
    // What was committed is exactly where each partition's reading stopped.
    const committed = broker.context.groups.fetchOffsets('py-group', [{ name: 'py-group-topic', partitions: [0, 1] }]);
    expect(committed[0].partitions.map((p) => p.offset)).toEqual([25, 25]);
  });
});

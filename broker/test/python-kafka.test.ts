/** A third, independent client: Debian's kafka-python producing and consuming through the broker. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import { DEBIAN_PYTHON, requireTool } from '../../test/helpers/tools.js';
import type { RunningBroker } from '../index.js';

const run = promisify(execFile);
const python = requireTool('python3-kafka', [DEBIAN_PYTHON]);

const SCRIPT = `
import json, sys, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
addr, topic = sys.argv[1], sys.argv[2]
p = KafkaProducer(bootstrap_servers=addr, acks='all', compression_type='gzip')
for i in range(300):
    p.send(topic, key=('k%d' % (i % 3)).encode(), value=('py-%d' % i).encode())
p.flush()
p.close()
c = KafkaConsumer(bootstrap_servers=addr, group_id=None, auto_offset_reset='earliest')
parts = [TopicPartition(topic, n) for n in sorted(c.partitions_for_topic(topic))]
c.assign(parts)
c.seek_to_beginning()
out = []
deadline = time.time() + 40
while len(out) < 300 and time.time() < deadline:
    for msgs in c.poll(timeout_ms=500).values():
        out.extend([m.partition, m.offset, m.key.decode(), m.value.decode()] for m in msgs)
c.close()
print(json.dumps(out))
`;

let broker: RunningBroker;

const embedded = useBroker('tl-broker-python', { defaultPartitions: 2 });
beforeAll(() => {
  broker = embedded.broker;
});

describe.skipIf(!python)('kafka-python', () => {
  it('produces 300 gzip messages and reads them all back with offsets per partition', async () => {
    const { stdout } = await run(python!, ['-c', SCRIPT, broker.address, 'py-topic'], { timeout: 50_000 });
    const got = JSON.parse(stdout) as Array<[number, number, string, string]>;
    expect(got.map((m) => m[3]).sort()).toEqual(Array.from({ length: 300 }, (_, i) => `py-${i}`).sort());
    for (const part of [0, 1]) {
      const offsets = got.filter((m) => m[0] === part).map((m) => m[1]);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });
});

import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import type { RunningBroker } from '../index.js';

let broker: RunningBroker;

const embedded = useBroker('tl-broker-delete-offsets');
beforeAll(() => {
  broker = embedded.broker;
});

it('deleting a topic drops committed offsets, so a group does not resume a re-created topic at stale offsets', async () => {
  const kafka = new Kafka({ clientId: 'delete-offsets', brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'reborn', numPartitions: 2 }] });
    await admin.setOffsets({
      groupId: 'g',
      topic: 'reborn',
      partitions: [
        { partition: 0, offset: '7' },
        { partition: 1, offset: '9' },
      ],
    });
    const before = await admin.fetchOffsets({ groupId: 'g', topics: ['reborn'] });
    expect(before[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '7'],
      [1, '9'],
    ]);

    await admin.deleteTopics({ topics: ['reborn'] });
    await admin.createTopics({ topics: [{ topic: 'reborn', numPartitions: 2 }] });
    const after = await admin.fetchOffsets({ groupId: 'g', topics: ['reborn'] });
    expect(after[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '-1'],
      [1, '-1'],
    ]);
  } finally {
    await admin.disconnect();
  }
});

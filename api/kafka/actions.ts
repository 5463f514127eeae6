/**
 * The #/kafka page's actions, through kafkajs's admin client (docs/kafka-page.md). Each needs the API token.
 *
 * - delete a consumer group (DeleteGroups; the group must have no members);
 * - reset a group's committed offsets of a topic to the earliest or latest offset, or to given offsets per partition
 *   (OffsetCommit through admin.setOffsets / resetOffsets; the group must have no members);
 * - add partitions to a topic (CreatePartitions: the new total count);
 * - delete records of a partition below an offset (DeleteRecords: the log start moves up to it).
 */
import { tlError } from '../../core/errors.js';
import type { KafkaPageClient } from './client.js';

export async function deleteGroup(k: KafkaPageClient, groupId: string): Promise<void> {
  await k.call(`delete group ${groupId}`, (a) => a.deleteGroups([groupId]));
}

export type ResetTo =
  | { to: 'earliest' | 'latest' }
  | { to: 'offsets'; partitions: { partition: number; offset: number }[] };

export async function resetOffsets(k: KafkaPageClient, groupId: string, topic: string, r: ResetTo): Promise<void> {
  let partitions: { partition: number; offset: number }[];
  if (r.to === 'offsets') {
    if (r.partitions.length === 0) throw tlError('TL_API_BAD_PARAM', { param: 'partitions', reason: 'is empty' });
    partitions = r.partitions;
  } else {
    // the partitions' own low or high watermark, committed as numbers (kafkajs's resetOffsets leaves the markers
    // -2/-1 to a consumer's next fetch, so the committed offsets would not change until one runs)
    const offsets = await k.call(`offsets of ${topic}`, (a) => a.fetchTopicOffsets(topic));
    partitions = offsets.map((o) => ({ partition: o.partition, offset: Number(r.to === 'earliest' ? o.low : o.high) }));
  }
  await k.call(`set offsets of group ${groupId} (${r.to})`, (a) =>
    a.setOffsets({
      groupId,
      topic,
      partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.offset) })),
    }),
  );
}

export async function addPartitions(k: KafkaPageClient, topic: string, count: number): Promise<void> {
  await k.call(`add partitions to ${topic}`, (a) => a.createPartitions({ topicPartitions: [{ topic, count }] }));
}

export async function deleteRecords(
  k: KafkaPageClient,
  topic: string,
  partition: number,
  offset: number,
): Promise<void> {
  await k.call(`delete records of ${topic}/${partition} below ${offset}`, (a) =>
    a.deleteTopicRecords({ topic, partitions: [{ partition, offset: String(offset) }] }),
  );
}

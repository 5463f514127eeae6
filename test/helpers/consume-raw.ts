/**
 * Test helper: every message of a topic from the beginning, values as the bytes on the wire (Avro messages are
 * binary, so no string conversion), sorted by partition and offset. A consumer with a unique group that never
 * commits; resolves once `count` messages arrived, rejects after `timeoutMs`.
 */
import type { Kafka } from 'kafkajs';

export interface RawMessage {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

export async function consumeRaw(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 20_000,
): Promise<RawMessage[]> {
  const consumer = kafka.consumer({
    groupId: `raw-${topic}-${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: 200,
  });
  const got: RawMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`consumed ${got.length} of ${count} messages of ${topic}`)),
        timeoutMs,
      );
      void consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            got.push({ partition, offset: Number(message.offset), key: message.key, value: message.value });
            if (got.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

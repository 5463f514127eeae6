/** Test helper: read every message of a topic from the beginning with a kafkajs consumer (assign, no group). */
import type { Kafka } from 'kafkajs';

export interface Consumed {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * Reads until `count` messages arrived (or timeoutMs passed: then it rejects with what it got so far).
 * Uses the low-level fetch through a group-less consumer: a consumer with a unique group id that never commits.
 */
export async function consumeAll(
  kafka: Kafka,
  topic: string,
  count: number,
  opts: { maxWaitTimeInMs?: number; timeoutMs?: number } = {},
): Promise<Consumed[]> {
  const consumer = kafka.consumer({
    groupId: `test-${topic}-${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: opts.maxWaitTimeInMs ?? 200,
  });
  const got: Consumed[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`consumed ${got.length} of ${count} messages of ${topic}`)),
        opts.timeoutMs ?? 10_000,
      );
      void consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            got.push({
              partition,
              offset: Number(message.offset),
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers,
            });
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
  return got;
}

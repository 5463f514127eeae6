/**
 * Reads topic-partitions from given offsets up to their ends as they are now (the high watermarks at the call),
 * then stops: the restart of `ticklake cdc` uses it to see what it had published past its stored offsets, and a
 * snapshot to see which rows the topics already hold. A throw-away consumer group (nothing is committed) with
 * every partition sought to its start offset.
 */
import { randomBytes } from 'node:crypto';
import type { IHeaders, Kafka } from '../../core/kafkajs.js';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** `from` maps 'topic/partition' to the first offset to read; partitions not named start at the log start. */
export async function readToEnd(
  kafka: Kafka,
  topics: string[],
  from: Record<string, number>,
  onMessage: (m: ReadMessage) => void,
): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  const starts = new Map<string, number>();
  try {
    const existing = new Set(await admin.listTopics());
    for (const topic of topics) {
      if (!existing.has(topic)) continue;
      for (const o of await admin.fetchTopicOffsets(topic)) {
        const tp = `${topic}/${o.partition}`;
        const high = Number(o.high);
        const start = Math.max(from[tp] ?? 0, Number(o.low));
        ends.set(tp, high);
        if (start < high) starts.set(tp, start);
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (starts.size === 0) return ends;

  const wanted = [...new Set([...starts.keys()].map((tp) => tp.slice(0, tp.lastIndexOf('/'))))];
  const consumer = kafka.consumer({
    groupId: `ticklake-cdc-read-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 50,
    sessionTimeout: 30_000,
    rebalanceTimeout: 10_000,
  });
  const remaining = new Set(starts.keys());
  let done!: () => void;
  let failed!: (e: Error) => void;
  const finished = new Promise<void>((res, rej) => {
    done = res;
    failed = rej;
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    for (const [topic, parts] of Object.entries(e.payload.memberAssignment)) {
      for (const p of parts) {
        const start = starts.get(`${topic}/${p}`);
        consumer.seek({ topic, partition: p, offset: String(start ?? ends.get(`${topic}/${p}`) ?? 0) });
      }
    }
  });
  consumer.on(consumer.events.CRASH, (e) => failed(e.payload.error));
  await consumer.connect();
  try {
    for (const topic of wanted) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const tp = `${batch.topic}/${batch.partition}`;
        const start = starts.get(tp);
        const end = ends.get(tp) ?? 0;
        if (start === undefined) return;
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset < start || offset >= end) continue;
          onMessage({
            topic: batch.topic,
            partition: batch.partition,
            offset,
            key: m.key,
            value: m.value,
            headers: m.headers ?? {},
          });
        }
        const last = Number(batch.lastOffset());
        if (last + 1 >= end && remaining.delete(tp) && remaining.size === 0) done();
      },
    });
    await finished;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return ends;
}

export function headerText(h: IHeaders, name: string): string | undefined {
  const v = h[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

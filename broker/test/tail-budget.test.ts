/**
 * The broker's --tail-cache budget end to end: many partitions written and read by kafkajs under a budget far below
 * one MiB a partition, so reads at the tail keep falling back to the files as the budget drops the oldest appends of
 * other partitions. Every message must arrive once, in order per partition, for a consumer tailing the writes and
 * for one reading from the beginning afterwards; the budget holds no more than its bound.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import { type Consumed, consumeAll } from './consume-all.js';

const BUDGET = 32 * 1024;
const PARTITIONS = 16;
const MESSAGES = 3000;
const embedded = useBroker('tl-broker-tail-budget', { tailCacheBytes: BUDGET, defaultPartitions: PARTITIONS });

/** partition → values in offset order */
function byPartition(ms: { partition: number; value: string | null }[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const m of ms) out.set(m.partition, [...(out.get(m.partition) ?? []), String(m.value)]);
  return out;
}

describe('tail cache budget (broker-wide)', () => {
  it('serves every message once and in order to a tailing consumer and a later one, holding no more than its budget', async () => {
    const broker = embedded.broker;
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const topic = 'tail-budget';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();

    // the tailing consumer starts before the writes, so it reads at the tail throughout
    const tailing = consumeAll(kafka, topic, MESSAGES, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1500));
    const producer = kafka.producer();
    await producer.connect();
    const sent: { partition: number; value: string }[] = [];
    for (let i = 0; i < MESSAGES; i += 50) {
      const messages = Array.from({ length: 50 }, (_, j) => {
        const n = i + j;
        const partition = (n * 7) % PARTITIONS;
        const value = `m${n}-${'x'.repeat(100 + (n % 300))}`;
        sent.push({ partition, value });
        return { partition, value };
      });
      await producer.send({ topic, messages });
    }
    await producer.disconnect();

    const expected = byPartition(sent);
    const live: Consumed[] = await tailing;
    expect(byPartition(live)).toEqual(expected);
    const later = await consumeAll(kafka, topic, MESSAGES, { timeoutMs: 60_000 });
    expect(byPartition(later)).toEqual(expected);

    // far more was written than the budget holds, and the budget held no more than its bound
    const written = sent.reduce((n, m) => n + m.value.length, 0);
    expect(written).toBeGreaterThan(20 * BUDGET);
    const budget = broker.context.topics.tailBudget;
    expect(budget.bytes).toBeGreaterThan(0);
    expect(budget.bytes).toBeLessThanOrEqual(BUDGET);
  }, 120_000);
});

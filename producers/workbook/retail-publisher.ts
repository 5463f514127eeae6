/**
 * Publishing an upload's rows to Kafka as the declared sources expect them (docs/tables.md, format `plain`): the
 * key is a JSON object of the key columns (`{"product_id":"P1"}`, `{"invoice_id":"F-7","line":2}`), the value the
 * whole row by column name (decimals as exact text), a null value (tombstone) deletes a key. The Kafka timestamp is
 * the upload's time: a product version without a price_date holds from it (`products_history`).
 *
 * Order: products, clients, invoice lines, deletions, then the upload's day (`retail.as_of`). Topics that do not
 * exist yet are created compacted, as the processor creates a keyed table's topic. Messages go out with acks=all in
 * requests of PUBLISH_CHUNK; a failure names how many were acknowledged, and publishing the same upload again
 * completes it, since rows equal to the current ones are no change.
 */

import { tlError } from '../../core/errors.js';
import { Kafka, logLevel, type Message, Partitioners } from '../../core/kafkajs.js';
import { AS_OF_TOPIC, SHEETS, type SheetSpec } from './retail-schema.js';
import type { FieldValue } from './sheet-rows.js';

export const PUBLISH_CHUNK = 5000;

export interface TopicMessages {
  topic: string;
  messages: { key: string; value: string | null }[];
}

const keyOf = (spec: SheetSpec, r: Record<string, FieldValue>) =>
  JSON.stringify(Object.fromEntries(spec.key.map((k) => [k, r[k]])));

/** The messages of rows of one sheet: every field of the spec, in order, null where the sheet had none. */
export function rowMessages(spec: SheetSpec, rows: readonly Record<string, FieldValue>[]): TopicMessages {
  return {
    topic: spec.topic,
    messages: rows.map((r) => ({
      key: keyOf(spec, r),
      value: JSON.stringify(Object.fromEntries(spec.fields.map((f) => [f.field, r[f.field] ?? null]))),
    })),
  };
}

/** Tombstones of keys of a one-column-key sheet. */
export function deleteMessages(spec: SheetSpec, ids: readonly string[]): TopicMessages {
  return {
    topic: spec.topic,
    messages: ids.map((id) => ({ key: JSON.stringify({ [spec.key[0]]: id }), value: null })),
  };
}

/** The upload's day, one keyed row (sql/sources/retail_as_of.sql). */
export function asOfMessage(asOf: string): TopicMessages {
  return {
    topic: AS_OF_TOPIC,
    messages: [{ key: JSON.stringify({ id: 'shop' }), value: JSON.stringify({ id: 'shop', as_of: asOf }) }],
  };
}

export async function publishMessages(
  brokers: readonly string[],
  batches: readonly TopicMessages[],
  timestamp: number,
): Promise<number> {
  const total = batches.reduce((n, b) => n + b.messages.length, 0);
  const kafka = new Kafka({
    clientId: 'ticklake-upload',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  let sent = 0;
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const topics = [...SHEETS.map((s) => s.topic), AS_OF_TOPIC].filter((t) => !existing.has(t));
    if (topics.length > 0) {
      await admin
        .createTopics({
          topics: topics.map((topic) => ({ topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })),
          waitForLeaders: true,
        })
        .catch(() => {}); // created concurrently (the processor): fine
    }
    await producer.connect();
    const ts = String(timestamp);
    for (const b of batches) {
      for (let i = 0; i < b.messages.length; i += PUBLISH_CHUNK) {
        const chunk = b.messages.slice(i, i + PUBLISH_CHUNK);
        const messages: Message[] = chunk.map((m) => ({ key: m.key, value: m.value, timestamp: ts }));
        await producer.send({ topic: b.topic, messages, acks: -1 });
        sent += chunk.length;
      }
    }
    return sent;
  } catch (e) {
    throw tlError('TL_DATA_PUBLISH_FAILED', { sent, total, reason: (e as Error).message }, e);
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

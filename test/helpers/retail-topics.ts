/**
 * Reading what an upload published, with clients other than the publisher's: kcat (librdkafka) for the messages,
 * kafkajs' admin for topic sizes. `publishedCounts` is empty for a topic that does not exist or holds nothing.
 */
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { requireTool } from './tools.js';

export const RETAIL_TOPICS = ['inventory.products', 'crm.clients', 'sales.invoices', 'retail.as_of'];

/** Messages per retail topic (absent topics count 0). */
export async function publishedCounts(brokers: string[]): Promise<Record<string, number>> {
  const kafka = new Kafka({ clientId: 'retail-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const out: Record<string, number> = {};
    for (const t of RETAIL_TOPICS) {
      if (!existing.has(t)) {
        out[t] = 0;
        continue;
      }
      const offsets = await admin.fetchTopicOffsets(t);
      out[t] = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

export interface KcatMessage {
  key: string | null;
  value: string | null;
  ts: number;
}

/** Every message of a topic, read with kcat (-J: key, payload null for a tombstone, timestamp). */
export async function kcatMessages(broker: string, topic: string): Promise<KcatMessage[]> {
  const kcat = requireTool('kcat');
  if (!kcat) throw new Error('kcat is not installed');
  return new Promise((resolve, reject) => {
    const child = spawn(kcat, ['-b', broker, '-C', '-t', topic, '-e', '-q', '-J']);
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      err += b;
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`kcat exited ${code}: ${err}`));
      resolve(
        out
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => {
            const j = JSON.parse(l) as { key: string | null; payload: string | null; ts: number };
            return { key: j.key, value: j.payload, ts: j.ts };
          }),
      );
    });
  });
}

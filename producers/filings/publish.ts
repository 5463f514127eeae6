/**
 * Publishes keyed records to their topics with kafkajs: acks from all in-sync replicas, requests of up to
 * `batchSize` messages, one in flight, so a key's messages keep their order. The default partitioner hashes the
 * key, so a number always lands in the same partition (the engine applies a key's changes in order). The Kafka
 * timestamp is the wall clock, not the filing's acceptance time: time-based retention would otherwise delete
 * 2009's filings at once; the acceptance time travels in the row (`accepted`).
 */

import { tlError } from '../../core/errors.js';
import { Kafka, logLevel, Partitioners } from '../../core/kafkajs.js';
import type { KeyedRecord } from './fsds-records.js';

export interface PublishOptions {
  brokers: string[];
  batchSize?: number;
  clientId?: string;
}

export interface Publisher {
  publish(topic: string, records: readonly KeyedRecord[]): Promise<number>;
  close(): Promise<void>;
}

export async function connectPublisher(opts: PublishOptions): Promise<Publisher> {
  const kafka = new Kafka({
    clientId: opts.clientId ?? 'ticklake-filings',
    brokers: opts.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
    maxInFlightRequests: 1,
  });
  const failed = (what: string, e: unknown) =>
    tlError('TL_DATA_PUBLISH', { what, brokers: opts.brokers.join(','), reason: (e as Error).message }, e);
  try {
    await producer.connect();
  } catch (e) {
    throw failed('anything', e);
  }
  const batchSize = opts.batchSize ?? 5000;
  return {
    async publish(topic, records) {
      for (let i = 0; i < records.length; i += batchSize) {
        const messages = records.slice(i, i + batchSize).map((r) => ({ key: r.key, value: r.value }));
        try {
          await producer.send({ topic, acks: -1, messages });
        } catch (e) {
          throw failed(`${topic} (from its message ${i + 1})`, e);
        }
      }
      return records.length;
    },
    close: () => producer.disconnect(),
  };
}

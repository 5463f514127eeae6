/**
 * The `_schemas` topic as a log: create it (one partition, `cleanup.policy=compact`, as Confluent creates it),
 * read it from any offset, learn its end, append records. Works against the embedded broker and a real cluster.
 *
 * Reading is by partition, without a consumer group, as Confluent's registry reads its topic (`assign`, never
 * `subscribe`): a group would cost every reader a join (the broker's initial rebalance delay) and leave one group
 * per registry instance and per processor behind. kafkajs has no public API for that, so the reads use its
 * internal `Cluster` (the one every kafkajs client is built on): `fetchTopicsOffset` for the log's start and end,
 * a broker's `fetch` for the records. These internals are those of the pinned kafkajs (KAFKAJS_VERSION in
 * core/kafkajs-pin.ts); registry/test/schemas-log.test.ts exercises them against the broker.
 *
 * Nothing here creates a topic implicitly: a reader of a cluster without `_schemas` sees an empty log, and only
 * `createTopic` (writers) makes it, with the right partition count (auto-creation would give it the broker's
 * default, e.g. 3 partitions).
 */

import { tlError } from '../core/errors.js';
import { type Admin, Kafka, logLevel, type Producer } from '../core/kafkajs.js';
import type { Logger } from '../core/log.js';
import type { RawRecord } from './state.js';

export const SCHEMAS_TOPIC = '_schemas';

export interface LogRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

export interface SchemasLogOptions {
  brokers: string[];
  topic?: string;
  clientId?: string;
  log: Logger;
}

/** The parts of kafkajs's internal Cluster and Broker used here. */
interface KCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(q: { nodeId: string }): Promise<KBroker>;
  fetchTopicsOffset(
    q: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}
interface KBroker {
  fetch(q: {
    replicaId: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{
    responses: {
      partitions: {
        highWatermark: string;
        messages: { offset: string; key: Buffer | null; value: Buffer | null; isControlRecord?: boolean }[];
      }[];
    }[];
  }>;
}

const FETCH_BYTES = 4 * 1024 * 1024;

export class SchemasLog {
  readonly topic: string;
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  private producer: Producer | undefined;
  private cluster: KCluster | undefined;

  constructor(private readonly opts: SchemasLogOptions) {
    this.topic = opts.topic ?? SCHEMAS_TOPIC;
    this.kafka = new Kafka({
      clientId: opts.clientId ?? 'ticklake-registry',
      brokers: opts.brokers,
      logLevel: logLevel.NOTHING,
      // fail fast: a registry answers reads from memory while Kafka is away, and its callers retry writes
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      connectionTimeout: 3000,
    });
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /** Whether the topic exists. */
  async exists(): Promise<boolean> {
    return (await (await this.getAdmin()).listTopics()).includes(this.topic);
  }

  /**
   * Creates the topic when it is missing (one partition, compacted) and checks that it has one partition: the
   * registry's order of records is the order of that one partition.
   */
  async createTopic(): Promise<void> {
    const admin = await this.getAdmin();
    if (!(await this.exists())) {
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: this.topic,
              numPartitions: 1,
              configEntries: [
                { name: 'cleanup.policy', value: 'compact' },
                // compaction alone never deletes by age; this keeps a broker that applies time retention to
                // every topic from deleting schemas
                { name: 'retention.ms', value: '-1' },
              ],
            },
          ],
        })
        .catch((e: Error) => this.opts.log.debug({ err: e.message }, 'createTopics (created concurrently?)'));
    }
    const meta = await admin.fetchTopicMetadata({ topics: [this.topic] });
    const partitions = meta.topics[0]?.partitions.length ?? 0;
    if (partitions !== 1)
      throw tlError('TL_REGISTRY_BAD_TOPIC', {
        topic: this.topic,
        reason: `it has ${partitions} partitions; the registry needs exactly 1 (delete it, or point the registry elsewhere)`,
      });
  }

  private async getCluster(): Promise<KCluster> {
    if (this.cluster) return this.cluster;
    const create = Object.getOwnPropertySymbols(this.kafka).find(
      (s) => s.description === 'private:Kafka:createCluster',
    );
    if (!create) throw new Error('kafkajs internals changed: no createCluster (registry/schemas-log.ts)');
    const factory = (this.kafka as unknown as Record<symbol, (o: object) => KCluster>)[create];
    const cluster = factory({ allowAutoTopicCreation: false, metadataMaxAge: 300_000 });
    await cluster.connect();
    await cluster.addTargetTopic(this.topic);
    this.cluster = cluster;
    return cluster;
  }

  /** After a failure: the next call starts from a fresh connection and fresh metadata. */
  private async dropCluster(): Promise<void> {
    const c = this.cluster;
    this.cluster = undefined;
    await c?.disconnect().catch(() => {});
  }

  /** First and next offset of the log; null when the topic does not exist. */
  async offsets(): Promise<{ start: number; end: number } | null> {
    if (!this.cluster && !(await this.exists())) return null;
    try {
      const cluster = await this.getCluster();
      const ask = (fromBeginning: boolean) =>
        cluster
          .fetchTopicsOffset([{ topic: this.topic, partitions: [{ partition: 0 }], fromBeginning }])
          .then((r) => Number(r[0].partitions[0].offset));
      const [start, end] = await Promise.all([ask(true), ask(false)]);
      return { start, end };
    } catch (e) {
      await this.dropCluster();
      throw e;
    }
  }

  /** Records from `from` on (possibly none), waiting up to `maxWaitMs` for one; and the log's end. */
  async fetch(from: number, maxWaitMs: number): Promise<{ records: LogRecord[]; end: number }> {
    try {
      const cluster = await this.getCluster();
      const leader = Object.keys(cluster.findLeaderForPartitions(this.topic, [0]))[0];
      if (leader === undefined) throw new Error(`no leader for ${this.topic} partition 0`);
      const broker = await cluster.findBroker({ nodeId: leader });
      const res = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: maxWaitMs,
        minBytes: 1,
        maxBytes: FETCH_BYTES,
        topics: [
          { topic: this.topic, partitions: [{ partition: 0, fetchOffset: String(from), maxBytes: FETCH_BYTES }] },
        ],
      });
      const p = res.responses[0]?.partitions[0];
      const records: LogRecord[] = [];
      for (const m of p?.messages ?? []) {
        const offset = Number(m.offset);
        if (offset < from || m.isControlRecord) continue;
        records.push({ offset, key: m.key, value: m.value });
      }
      return { records, end: Number(p?.highWatermark ?? from) };
    } catch (e) {
      await this.dropCluster();
      throw e;
    }
  }

  /** Appends records (acks=all) and returns the offset of the first. */
  async append(records: RawRecord[]): Promise<number> {
    if (!this.producer) {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
      await producer.connect();
      this.producer = producer;
    }
    const [meta] = await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: records.map((r) => ({ key: r.key, value: r.value, partition: 0 })),
    });
    return Number(meta.baseOffset);
  }

  async close(): Promise<void> {
    await this.dropCluster();
    await this.producer?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
    this.producer = undefined;
    this.admin = undefined;
  }
}

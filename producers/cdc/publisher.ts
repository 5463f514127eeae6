/**
 * Publishes change events in binlog order with kafkajs's idempotent producer (acks=all, one request in flight, so
 * a retried request never duplicates or reorders within the producer's life), and after every acknowledged
 * request stores the offsets (offset-store.ts): the end of the last transaction wholly acknowledged and, per
 * partition, where the messages after it begin.
 *
 * Messages the restart found already published (past the stored offsets) are passed in as `known`: they are not
 * sent again, only counted at their offsets, so the stored offsets stay exact.
 *
 * Partitions are chosen here with kafkajs's default partitioner (murmur2 of the key, as Kafka's Java client), so
 * each message's offset is known from the produce response and a key always lands in the same partition.
 */
import { type Kafka, Partitioners, type Producer } from '../../core/kafkajs.js';
import { crashPoint } from '../../processors/crash-points.js';
import type { BinlogPosition } from './binlog-position.js';
import type { EncodedMessage } from './debezium-event.js';
import type { CdcOffsets, OffsetStore } from './offset-store.js';

export interface Known {
  partition: number;
  offset: number;
}

type Item =
  | { kind: 'msg'; m: EncodedMessage; headers: Record<string, string>; known?: Known }
  | { kind: 'commit'; next: BinlogPosition; gtid?: string };

export interface PublisherStats {
  published: number;
  skipped: number;
  requests: number;
  lastAckAt: number;
}

export class CdcPublisher {
  private queue: Item[] = [];
  private sending: Promise<void> | undefined;
  private failure: Error | undefined;
  private partitionCounts = new Map<string, number>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly ends = new Map<string, number>();
  private readonly openFirst = new Map<string, number>();
  private resume: BinlogPosition | undefined;
  private gtid: string | undefined;
  private waiters: (() => void)[] = [];
  readonly stats: PublisherStats = { published: 0, skipped: 0, requests: 0, lastAckAt: 0 };
  /** Called after each stored checkpoint (status reporting). */
  onCheckpoint?: (o: CdcOffsets) => void;

  private constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly store: OffsetStore,
    private readonly base: { server: string; snapshot?: CdcOffsets['snapshot'] },
    private readonly batchSize: number,
  ) {}

  static async connect(
    kafka: Kafka,
    store: OffsetStore,
    base: { server: string; snapshot?: CdcOffsets['snapshot'] },
    start: CdcOffsets | undefined,
    batchSize = 2000,
  ): Promise<CdcPublisher> {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const p = new CdcPublisher(kafka, producer, store, base, batchSize);
    if (start) {
      p.resume = start.resume;
      p.gtid = start.gtid;
      for (const [tp, o] of Object.entries(start.partitions)) p.ends.set(tp, o);
    }
    return p;
  }

  /** Messages waiting for a request. */
  get queued(): number {
    return this.queue.length;
  }

  set snapshotInfo(s: CdcOffsets['snapshot']) {
    this.base.snapshot = s;
  }

  push(m: EncodedMessage, headers: Record<string, string>, known?: Known): void {
    this.queue.push({ kind: 'msg', m, headers, known });
    this.kick();
  }

  commit(next: BinlogPosition, gtid?: string): void {
    this.queue.push({ kind: 'commit', next, gtid });
    this.kick();
  }

  /** Waits until everything pushed so far is acknowledged and stored; throws a send failure. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.sending) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    if (this.failure) throw this.failure;
  }

  /** Waits while more than `limit` items are queued (backpressure for the snapshot). */
  async waitBelow(limit: number): Promise<void> {
    while (this.queue.length > limit) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    if (this.failure) throw this.failure;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => {});
  }

  private kick(): void {
    if (this.sending || this.failure) return;
    this.sending = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.pump())
      .catch((e: Error) => {
        this.failure = e;
      })
      .finally(() => {
        this.sending = undefined;
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
        if (this.queue.length > 0 && !this.failure) this.kick();
      });
  }

  private async partitionOf(m: EncodedMessage): Promise<number> {
    let n = this.partitionCounts.get(m.topic);
    if (n === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const topics = await admin.listTopics();
        if (!topics.includes(m.topic)) await admin.createTopics({ topics: [{ topic: m.topic }], waitForLeaders: true });
        const md = await admin.fetchTopicMetadata({ topics: [m.topic] });
        n = md.topics[0].partitions.length;
      } finally {
        await admin.disconnect();
      }
      this.partitionCounts.set(m.topic, n);
    }
    const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 }));
    return this.partitioner({
      topic: m.topic,
      partitionMetadata: partitionMetadata as never,
      message: { key: m.key, value: m.value },
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      // one request: up to batchSize messages with the commit marks between them
      let count = 0;
      let end = 0;
      while (end < this.queue.length && count < this.batchSize) {
        if (this.queue[end].kind === 'msg') count++;
        end++;
      }
      const items = this.queue.slice(0, end);
      const toSend = new Map<string, { topic: string; partition: number; msgs: Item[] }>();
      const partitions = new Map<Item, number>();
      for (const it of items) {
        if (it.kind !== 'msg' || it.known) continue;
        const partition = await this.partitionOf(it.m);
        partitions.set(it, partition);
        const tp = `${it.m.topic}/${partition}`;
        let g = toSend.get(tp);
        if (!g) {
          g = { topic: it.m.topic, partition, msgs: [] };
          toSend.set(tp, g);
        }
        g.msgs.push(it);
      }
      const base = new Map<string, number>();
      if (toSend.size > 0) {
        const byTopic = new Map<
          string,
          { key: string | null; value: string | null; partition: number; headers: Record<string, string> }[]
        >();
        for (const g of toSend.values()) {
          const list = byTopic.get(g.topic) ?? [];
          for (const it of g.msgs) {
            if (it.kind === 'msg')
              list.push({ key: it.m.key, value: it.m.value, partition: g.partition, headers: it.headers });
          }
          byTopic.set(g.topic, list);
        }
        const res = await this.producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        for (const r of res) base.set(`${r.topicName}/${r.partition}`, Number(r.baseOffset));
        this.stats.requests++;
        // tests: die with the request acknowledged and the offsets not yet stored (TICKLAKE_CRASH_AT)
        crashPoint('cdc-after-ack');
      }
      // offsets of what was sent, in order per partition
      const nextInBatch = new Map(base);
      for (const it of items) {
        if (it.kind === 'commit') {
          this.resume = it.next;
          this.gtid = it.gtid ?? this.gtid;
          this.openFirst.clear();
          continue;
        }
        let tp: string;
        let offset: number;
        if (it.known) {
          tp = `${it.m.topic}/${it.known.partition}`;
          offset = it.known.offset;
          this.stats.skipped++;
        } else {
          tp = `${it.m.topic}/${partitions.get(it)}`;
          offset = nextInBatch.get(tp) as number;
          nextInBatch.set(tp, offset + 1);
          this.stats.published++;
        }
        if (!this.openFirst.has(tp)) this.openFirst.set(tp, offset);
        this.ends.set(tp, offset + 1);
      }
      this.queue.splice(0, end);
      this.stats.lastAckAt = Date.now();
      await this.checkpoint();
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
  }

  private async checkpoint(): Promise<void> {
    if (!this.resume) return; // during a snapshot nothing is stored until it ends
    const partitions: Record<string, number> = {};
    for (const [tp, o] of this.ends) partitions[tp] = this.openFirst.get(tp) ?? o;
    const o: CdcOffsets = {
      version: 1,
      server: this.base.server,
      resume: this.resume,
      ...(this.gtid ? { gtid: this.gtid } : {}),
      partitions,
      ...(this.base.snapshot ? { snapshot: this.base.snapshot } : {}),
      updatedAt: Date.now(),
    };
    await this.store.save(o);
    this.onCheckpoint?.(o);
  }
}

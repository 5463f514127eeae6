/**
 * The processor's Kafka side (kafkajs): a consumer-group member whose `eachBatch` only queues messages (bounded:
 * it waits while the queue is full), so the processing loop can take large batches across partitions; a producer
 * for the output topics; and the admin calls the loop needs (partition count, high watermarks).
 *
 * Offsets: the state database is the source of truth. Kafka's auto-commit is off; on joining the group the consumer
 * seeks each assigned partition to the state's next offset, and after every state commit the loop commits the same
 * offsets to Kafka (for lag monitoring). Messages below the state's offset (a re-fetch after a rebalance) are
 * dropped by the core anyway.
 */
import { type Admin, type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from '../core/log.js';
import type { InMessage } from './core.js';
import type { OutMessage, Publisher } from './delivery.js';

export interface QueuedMessage extends InMessage {
  /** Kafka message timestamp (ms): produce time for CreateTime topics. */
  timestamp: number;
}

export interface KafkaSourceOptions {
  brokers: string[];
  topic: string;
  group: string;
  /** Next offset per partition from the state database. */
  startOffsets: () => Map<number, number>;
  log: Logger;
  queueLimit: number;
  clientId?: string;
}

export class KafkaSource implements Publisher {
  readonly kafka: Kafka;
  readonly consumer: Consumer;
  readonly producer: Producer;
  readonly admin: Admin;
  private queue: QueuedMessage[] = [];
  private waiters: (() => void)[] = [];
  private paused = false;

  constructor(private readonly opts: KafkaSourceOptions) {
    const log = opts.log;
    this.kafka = new Kafka({
      clientId: opts.clientId ?? 'ticklake-processor',
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      retry: { retries: 8, initialRetryTime: 100 },
      logCreator: () => (entry) => {
        const { message, ...rest } = entry.log;
        if (entry.level <= logLevel.ERROR) log.error({ kafkajs: entry.namespace, ...rest }, message);
        else log.warn({ kafkajs: entry.namespace, ...rest }, message);
      },
    });
    this.consumer = this.kafka.consumer({
      groupId: opts.group,
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
    });
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
  }

  /** Connects the admin and the producer and creates the missing topics. */
  async connect(outputTopics: string[]): Promise<void> {
    await this.admin.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = [this.opts.topic, ...outputTopics].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await this.admin
        .createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true })
        .catch((e) => this.opts.log.debug({ err: (e as Error).message }, 'createTopics (created concurrently?)'));
    }
    await this.producer.connect();
  }

  /** Joins the group and starts fetching; call once the state's offsets are known (`startOffsets`). */
  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment[this.opts.topic] ?? [];
      const offsets = this.opts.startOffsets();
      // the state decides, also for a partition it has never seen (from the start; an offset below the log start
      // is reset to the earliest by the consumer), whatever this group committed to Kafka before
      for (const p of assigned) {
        this.consumer.seek({ topic: this.opts.topic, partition: p, offset: String(offsets.get(p) ?? 0) });
      }
      this.opts.log.info({ assigned }, 'joined the group');
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, isRunning, isStale, heartbeat }) => {
        const partition = batch.partition;
        for (const m of batch.messages) {
          this.queue.push({
            partition,
            offset: Number(m.offset),
            key: m.key,
            value: m.value,
            timestamp: Number(m.timestamp),
          });
        }
        this.wake();
        while (this.queue.length >= this.opts.queueLimit && isRunning() && !isStale()) {
          await new Promise((r) => setTimeout(r, 20));
          await heartbeat();
        }
      },
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /**
   * Up to `max` queued messages: waits until `max` are queued or `lingerMs` passed, so that a slow stream still
   * makes batches (and lake files) of a useful size while freshness stays within the linger.
   */
  async take(max: number, lingerMs: number): Promise<QueuedMessage[]> {
    const deadline = Date.now() + lingerMs;
    while (this.queue.length < max) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (this.queue.length <= max) {
      const all = this.queue;
      this.queue = [];
      return all;
    }
    return this.queue.splice(0, max);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** High watermark (next offset to be written) of every partition of the topic. */
  async highWatermarks(): Promise<Map<number, number>> {
    const offs = await this.admin.fetchTopicOffsets(this.opts.topic);
    return new Map(offs.map((o) => [o.partition, Number(o.high)]));
  }

  async commit(offsets: Map<number, number>): Promise<void> {
    if (offsets.size === 0) return;
    await this.consumer.commitOffsets(
      [...offsets].map(([partition, offset]) => ({ topic: this.opts.topic, partition, offset: String(offset) })),
    );
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.consumer.pause([{ topic: this.opts.topic }]);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.consumer.resume([{ topic: this.opts.topic }]);
  }

  async send(topic: string, messages: OutMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 5000) {
      await this.producer.send({ topic, acks: -1, messages: messages.slice(i, i + 5000) });
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => {});
    await this.producer.disconnect().catch(() => {});
    await this.admin.disconnect().catch(() => {});
  }
}

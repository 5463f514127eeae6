/**
 * The processor's Kafka side (kafkajs): a consumer-group member whose `eachBatch` packs and queues messages (bounded:
 * it waits while the queue is full), so the processing loop can take large batches across partitions; a producer
 * for the output topics; and the admin calls the loop needs (partition count, high watermarks). Generic over what
 * the consumer thread packs: parsed ticks for the tick engine (kafka-source.ts) or raw messages of several topics
 * for the keyed-table engine (raw-source.ts).
 *
 * The consumer runs in a worker thread (consumer-thread-main.ts). kafkajs decodes every record in JavaScript
 * (~2 µs a message here), and on the main thread that work competed with the processor's own: every continuation
 * of the batch's DuckDB statements waited behind fetch decoding. Measured end to end with the consumer on the main
 * thread: the batches took 2.9–3.4 s of wall time per 600k ticks against 1.8–2.0 s for the same core fed from
 * memory. The thread packs each fetched partition batch into columns of transferable arrays and posts them; `take`
 * hands those batches on, whole or cut, without looking at a message. Producer and admin stay here.
 *
 * Offsets: the state database is the source of truth. Kafka's auto-commit is off; on joining the group the consumer
 * seeks each assigned partition to the state's next offset, and after every state commit the loop commits the same
 * offsets to Kafka (for lag monitoring). Messages below the state's offset (a re-fetch after a rebalance) are
 * dropped by the engine anyway.
 */
import { Worker } from 'node:worker_threads';
import { settingDefault } from '../../core/config.js';
import { type Admin, type Kafka, Partitioners, type Producer } from '../../core/kafkajs.js';
import type { Logger } from '../../core/log.js';
import { forgetThread, reportThreadMemory } from '../../core/thread-memory.js';
import type { OutMessage, Publisher } from '../sinks/delivery.js';
import type { ConsumerThreadConfig, FromThread, OffsetTriple, PackMode, ToThread } from './consumer-protocol.js';
import { processorKafka } from './kafka-client.js';

/** How to create a topic that does not exist yet. */
export interface TopicSpec {
  numPartitions?: number;
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Record<string, string>;
}

/** Next offset per topic and partition. */
export type TopicOffsets = Map<string, Map<number, number>>;

export interface ThreadSourceOptions<B> {
  brokers: string[];
  topics: string[];
  group: string;
  mode: PackMode;
  /** Messages [from, to) of a packed batch, as views (to cut a batch at `take`'s limit). */
  slice: (b: B, from: number, to: number) => B;
  /** Next offsets from the state database. */
  startOffsets: () => TopicOffsets;
  log: Logger;
  queueLimit: number;
  clientId?: string;
  /** The group's session timeout, ms (default 30 s). */
  sessionTimeoutMs?: number;
}

export function offsetTriples(o: TopicOffsets): OffsetTriple[] {
  const out: OffsetTriple[] = [];
  for (const [topic, parts] of o) for (const [p, off] of parts) out.push([topic, p, off]);
  return out;
}

export class ThreadSource<B extends { count: number }> implements Publisher {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;
  /** Packed partition batches in the order they arrived (each one in offset order). */
  private queue: B[] = [];
  /** Messages in `queue`. */
  private queuedMessages = 0;
  /**
   * The takes waiting for a batch, each until the next batch arrives or its linger ends, whichever comes first; a
   * take removes itself either way (one at a time: the loop takes one batch after another). A waiter left behind
   * by a linger that ran out stayed until the next batch woke it, and a topic with no messages (the keyed-table
   * engine's sources in a tick-only run) never sent one: ~580 bytes a take, 8 MB an hour at the default 200 ms.
   */
  private readonly waiters = new Set<() => void>();
  private paused = false;
  /** Messages queued here, shared with the consumer thread (its back-pressure). */
  private readonly queuedShared = new Int32Array(new SharedArrayBuffer(4));
  private thread: Worker | undefined;
  /** The partitions per topic the group gave this member at its latest join (empty before the first). */
  assignment = new Map<string, number[]>();
  /** Joins seen so far (each one may have changed `assignment`). */
  assignmentChanges = 0;
  /** Whether the consumer thread decodes fetched records with kafkajs-fast-fetch.ts (known once started). */
  fastFetch = false;
  /** Set when the consumer thread failed: `take` throws it. */
  private failure: Error | undefined;
  private stopped = false;
  private nextRequest = 1;
  /** The topics the consumer thread subscribes to (`follow` changes them). */
  private topics: string[];
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private get clientId(): string {
    return this.opts.clientId ?? 'ticklake-processor';
  }

  /** The consumer thread's name on /metrics (core/thread-memory.ts). */
  private get threadName(): string {
    return `kafka-consumer/${this.clientId}`;
  }

  constructor(protected readonly opts: ThreadSourceOptions<B>) {
    this.kafka = processorKafka(opts.brokers, this.clientId, (level, obj, msg) => opts.log[level](obj, msg));
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
    this.topics = [...opts.topics];
  }

  /**
   * Connects the admin and the producer and creates the missing topics, each as `specs` says (partitions, configs
   * such as cleanup.policy=compact for a keyed table's topic) or with the cluster's defaults.
   */
  async connect(outputTopics: string[], specs: Record<string, TopicSpec> = {}): Promise<void> {
    await this.admin.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = [...new Set([...this.topics, ...outputTopics])].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      const topics = missing.map((topic) => {
        const spec = specs[topic] ?? {};
        return {
          topic,
          ...(spec.numPartitions ? { numPartitions: spec.numPartitions } : {}),
          ...(spec.configs
            ? { configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })) }
            : {}),
        };
      });
      await this.admin
        .createTopics({ topics, waitForLeaders: true })
        .catch((e) => this.opts.log.debug({ err: (e as Error).message }, 'createTopics (created concurrently?)'));
    }
    await this.producer.connect();
  }

  /**
   * Starts the consumer thread, which joins the group and starts fetching; call once the state's offsets are known
   * (`startOffsets`). Resolves when the consumer runs, rejects when it cannot start.
   */
  async start(): Promise<void> {
    const cfg: ConsumerThreadConfig = {
      brokers: this.opts.brokers,
      topics: this.topics,
      mode: this.opts.mode,
      group: this.opts.group,
      clientId: this.clientId,
      queued: this.queuedShared.buffer as SharedArrayBuffer,
      queueLimit: this.opts.queueLimit,
      sessionTimeoutMs: this.opts.sessionTimeoutMs ?? settingDefault('sessionTimeout'),
      offsets: offsetTriples(this.opts.startOffsets()),
    };
    const thread = new Worker(new URL('./consumer-thread.js', import.meta.url), { workerData: cfg });
    this.thread = thread;
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => {
        // a thread `follow` replaced ends as it was told to
        if (this.thread !== thread) return;
        this.fail(e);
        reject(e);
      };
      thread.on('message', (m: FromThread) => {
        if (m.t === 'started') {
          this.fastFetch = m.fastFetch;
          resolve();
        } else if (this.thread === thread || m.t === 'reply' || m.t === 'log') this.onMessage(m);
      });
      thread.on('error', fail);
      thread.on('exit', (code) => {
        if (!this.stopped) fail(new Error(`the consumer thread exited (code ${code})`));
      });
    });
  }

  /** Whether the consumer thread runs (`start` or `follow` started it). */
  get started(): boolean {
    return this.thread !== undefined;
  }

  /**
   * Consumes `topics` from now on: starts the consumer thread, or, when it runs over other topics, replaces it (the
   * member leaves the group and a new one joins with the new subscription; kafkajs resolves a subscription once).
   * Batches queued and not yet taken are dropped: the new member seeks to the state's next offsets
   * (`startOffsets`), so nothing is lost and nothing is taken twice. Call between `take`s, not while paused.
   */
  async follow(topics: readonly string[]): Promise<void> {
    const same = topics.length === this.topics.length && topics.every((t) => this.topics.includes(t));
    if (same && this.thread) return;
    const old = this.thread;
    if (old) {
      await this.request((id) => ({ t: 'stop', id })).catch(() => {});
      this.thread = undefined;
      await old.terminate().catch(() => {});
    }
    // the old thread ended: what it counted is dropped here, and a batch of it still in flight is ignored
    Atomics.store(this.queuedShared, 0, 0);
    this.queue = [];
    this.queuedMessages = 0;
    this.topics = [...topics];
    await this.start();
  }

  private onMessage(m: FromThread): void {
    switch (m.t) {
      case 'batch':
        this.queue.push(m.batch as unknown as B);
        this.queuedMessages += m.batch.count;
        this.wake();
        break;
      case 'log':
        this.opts.log[m.level](m.obj, m.msg);
        break;
      case 'reply': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error === undefined) p?.resolve();
        else p?.reject(new Error(m.error));
        break;
      }
      case 'assigned':
        this.assignment = new Map(Object.entries(m.assignment).map(([t, ps]) => [t, [...ps]]));
        this.assignmentChanges++;
        break;
      case 'crash':
        this.fail(new Error(`the Kafka consumer stopped: ${m.error}`));
        break;
      case 'memory':
        if (!this.stopped) reportThreadMemory(this.threadName, m.memory);
        break;
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.wake();
  }

  private tell(m: ToThread): void {
    this.thread?.postMessage(m);
  }

  private request(make: (id: number) => ToThread): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.tell(make(id));
    });
  }

  private wake(): void {
    const w = [...this.waiters];
    this.waiters.clear();
    for (const f of w) f();
  }

  /**
   * Up to `max` queued messages, as the parsed batches they arrived in (the last one cut when it does not fit: its
   * rest stays first in the queue): waits until `max` are queued or `lingerMs` passed, so that a slow stream still
   * makes batches (and lake files) of a useful size while freshness stays within the linger. Throws when the
   * consumer thread failed.
   */
  async take(max: number, lingerMs: number): Promise<B[]> {
    const deadline = Date.now() + lingerMs;
    while (this.queuedMessages < max && !this.failure) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
    if (this.failure) throw this.failure;
    const taken: B[] = [];
    let n = 0;
    let whole = 0;
    while (whole < this.queue.length && n + this.queue[whole].count <= max) n += this.queue[whole++].count;
    taken.push(...this.queue.splice(0, whole));
    if (n < max && this.queue.length > 0) {
      const b = this.queue[0];
      const cut = max - n;
      taken.push(this.opts.slice(b, 0, cut));
      this.queue[0] = this.opts.slice(b, cut, b.count);
      n += cut;
    }
    this.queuedMessages -= n;
    Atomics.sub(this.queuedShared, 0, n);
    return taken;
  }

  /** Takes waiting for a batch or the end of their linger: 0, or 1 while a take waits. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Messages queued and not yet taken. */
  get queued(): number {
    return this.queuedMessages;
  }

  /**
   * The state's next offsets after a batch committed: where the consumer seeks on a later rejoin (a rebalance).
   * Cheap, and one batch late at worst: what is fetched again is dropped by the core.
   */
  noteOffsets(offsets: TopicOffsets): void {
    this.tell({ t: 'offsets', offsets: offsetTriples(offsets) });
  }

  /** High watermark (next offset to be written) of every partition of a topic. */
  async highWatermarks(topic: string): Promise<Map<number, number>> {
    const offs = await this.admin.fetchTopicOffsets(topic);
    return new Map(offs.map((o) => [o.partition, Number(o.high)]));
  }

  async commit(offsets: TopicOffsets): Promise<void> {
    const triples = offsetTriples(offsets);
    if (triples.length === 0 || !this.thread) return;
    await this.request((id) => ({ t: 'commit', id, offsets: triples }));
  }

  /**
   * Fetches `partition` of `topic` from `offset` on; the batches of that partition already queued are dropped (the
   * scaled-out engine, whose partition state was rebuilt from its commit log, drops any stale one still in flight).
   */
  seek(topic: string, partition: number, offset: number, partitionOf: (b: B) => number): void {
    const keep = this.queue.filter((b) => partitionOf(b) !== partition);
    let dropped = 0;
    for (const b of this.queue) if (partitionOf(b) === partition) dropped += b.count;
    this.queue.splice(0, this.queue.length, ...keep);
    this.queuedMessages -= dropped;
    Atomics.sub(this.queuedShared, 0, dropped);
    this.tell({ t: 'seek', topic, partition, offset });
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.tell({ t: 'pause' });
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.tell({ t: 'resume' });
  }

  async send(topic: string, messages: OutMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 5000) {
      await this.producer.send({ topic, acks: -1, messages: messages.slice(i, i + 5000) });
    }
  }

  /** Leaves the group (the consumer thread disconnects, then ends) and disconnects the producer and the admin. */
  async stop(): Promise<void> {
    const thread = this.thread;
    const wasStopped = this.stopped;
    this.stopped = true; // from here the thread's exit is expected
    if (thread && !wasStopped && !this.failure) await this.request((id) => ({ t: 'stop', id })).catch(() => {});
    await thread?.terminate().catch(() => {});
    forgetThread(this.threadName);
    await this.producer.disconnect().catch(() => {});
    await this.admin.disconnect().catch(() => {});
  }
}

/**
 * Topics and partitions of the broker, backed by the durable log under `<dataDir>/topics`.
 * The list of topics and their partition counts is kept in `<dataDir>/topics.json` (written atomically);
 * each partition is a PartitionLog. Creations and deletions are serialised so that a delete followed by a
 * create of the same name cannot interleave.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import type { BrokerConfig } from '../context.js';
import { writeFileAtomic } from './atomic-file.js';
import { PartitionLog } from './partition-log.js';
import { ProducerIds } from './producer-ids.js';

export const NONE = 0;
export const INVALID_TOPIC_EXCEPTION = 17;
export const TOPIC_ALREADY_EXISTS = 36;
export const INVALID_PARTITIONS = 37;
export const UNKNOWN_TOPIC_OR_PARTITION = 3;

/** Per topic; each partition holds at least one open segment file. */
const MAX_PARTITIONS = 1000;
const RETENTION_CHECK_MS = 30_000;

interface TopicMeta {
  partitions: number;
  createdAt: number;
}

interface Topic {
  meta: TopicMeta;
  logs: PartitionLog[];
}

/** Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], not "." or "..". Returns the reason when invalid. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'empty';
  if (name.length > 249) return 'longer than 249 characters';
  if (name === '.' || name === '..') return 'reserved';
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return 'only letters, digits, ".", "_" and "-" are allowed';
  return undefined;
}

export class TopicStore {
  private readonly topics = new Map<string, Topic>();
  private chain: Promise<unknown> = Promise.resolve();
  private retentionTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
    readonly producerIds: ProducerIds,
  ) {}

  private get metaFile(): string {
    return join(this.config.dataDir, 'topics.json');
  }

  static async open(config: BrokerConfig, log: Logger): Promise<TopicStore> {
    mkdirSync(join(config.dataDir, 'topics'), { recursive: true });
    const store = new TopicStore(config, log, await ProducerIds.open(config.dataDir));
    let saved: Record<string, TopicMeta> = {};
    try {
      saved = JSON.parse(readFileSync(store.metaFile, 'utf8')) as Record<string, TopicMeta>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const [name, meta] of Object.entries(saved)) {
      const logs: PartitionLog[] = [];
      for (let p = 0; p < meta.partitions; p++) logs.push(await store.openLog(name, p));
      store.topics.set(name, { meta, logs });
    }
    store.retentionTimer = setInterval(() => store.applyRetention(), RETENTION_CHECK_MS);
    store.retentionTimer.unref();
    return store;
  }

  private openLog(topic: string, partition: number): Promise<PartitionLog> {
    const { segmentBytes, retentionBytes, retentionMs } = this.config;
    return PartitionLog.open(
      this.config.dataDir,
      topic,
      partition,
      { segmentBytes, retentionBytes, retentionMs },
      this.log,
    );
  }

  names(): string[] {
    return [...this.topics.keys()].sort();
  }

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  partitionCount(topic: string): number | undefined {
    return this.topics.get(topic)?.meta.partitions;
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.logs[partition];
  }

  /** Log end offset (= high watermark) of a partition, undefined when it does not exist. */
  highWatermark(topic: string, partition: number): number | undefined {
    return this.partition(topic, partition)?.highWatermark;
  }

  logStartOffset(topic: string, partition: number): number | undefined {
    return this.partition(topic, partition)?.logStartOffset;
  }

  /** Creates a topic; resolves to a Kafka error code (0, INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS). */
  create(name: string, partitions: number, validateOnly = false): Promise<number> {
    return this.serial(async () => {
      if (topicNameProblem(name)) return INVALID_TOPIC_EXCEPTION;
      if (this.topics.has(name)) return TOPIC_ALREADY_EXISTS;
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) return INVALID_PARTITIONS;
      if (validateOnly) return NONE;
      const logs: PartitionLog[] = [];
      try {
        for (let p = 0; p < partitions; p++) {
          // A new topic starts empty, even if a deletion of the same name was cut short by a crash.
          rmSync(join(this.config.dataDir, 'topics', `${name}-${p}`), { recursive: true, force: true });
          logs.push(await this.openLog(name, p));
        }
      } catch (err) {
        // Out of file descriptors or disk: undo the partitions made so far, the topic does not exist.
        for (const l of logs) await l.destroy();
        throw err;
      }
      this.topics.set(name, { meta: { partitions, createdAt: Date.now() }, logs });
      this.persist();
      this.log.info({ topic: name, partitions }, 'topic created');
      return NONE;
    });
  }

  /** Creates the topic with the default partition count unless it exists; false when the name is invalid. */
  async ensure(name: string): Promise<boolean> {
    if (this.topics.has(name)) return true;
    const code = await this.create(name, this.config.defaultPartitions);
    return code === NONE || code === TOPIC_ALREADY_EXISTS;
  }

  /** Deletes a topic and its files; resolves to 0 or UNKNOWN_TOPIC_OR_PARTITION. */
  delete(name: string): Promise<number> {
    return this.serial(async () => {
      const t = this.topics.get(name);
      if (!t) return UNKNOWN_TOPIC_OR_PARTITION;
      this.topics.delete(name);
      this.persist();
      for (const l of t.logs) await l.destroy();
      this.log.info({ topic: name }, 'topic deleted');
      return NONE;
    });
  }

  applyRetention(now = Date.now()): number {
    let n = 0;
    for (const t of this.topics.values()) for (const l of t.logs) n += l.applyRetention(now);
    return n;
  }

  private persist(): void {
    const data: Record<string, TopicMeta> = {};
    for (const [name, t] of this.topics) data[name] = t.meta;
    writeFileAtomic(this.metaFile, `${JSON.stringify(data, null, 1)}\n`);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    clearInterval(this.retentionTimer);
    await this.chain;
    for (const t of this.topics.values()) for (const l of t.logs) await l.close();
    this.producerIds.close();
  }
}

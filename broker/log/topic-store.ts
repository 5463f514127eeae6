/**
 * Topics and partitions of the broker, backed by the durable log under `<dataDir>/topics`.
 * The list of topics, their partition counts and their config overrides is kept in `<dataDir>/topics.json`
 * (written atomically); each partition is a PartitionLog sharing its topic's settings object, which
 * AlterConfigs updates in place. Creations, deletions, config changes and partition additions are serialised
 * so that they cannot interleave.
 *
 * Two background jobs: retention (every 30 s) and the log cleaner for compacted topics (every
 * cleanerIntervalMs, one partition at a time, see cleaner.ts).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import type { BrokerConfig } from '../context.js';
import { KafkaError } from '../protocol/error-codes.js';
import { writeFileAtomic } from './atomic-file.js';
import { type CleanResult, LogCleaner } from './cleaner.js';
import { PartitionLog } from './partition-log.js';
import { ProducerIds } from './producer-ids.js';
import { TailBudget } from './tail-cache.js';
import { type LogSettings, logSettings } from './topic-config.js';

/** Per topic; each partition holds at least one open segment file. */
export const MAX_PARTITIONS = 1000;
const RETENTION_CHECK_MS = 30_000;

interface TopicMeta {
  partitions: number;
  createdAt: number;
  /** Topic config overrides, as given (names and values as strings, validated). */
  configs?: Record<string, string>;
}

interface Topic {
  meta: TopicMeta;
  logs: PartitionLog[];
  settings: LogSettings;
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
  private cleanerTimer: NodeJS.Timeout | undefined;
  /** Cleaner passes run one after another (they share the cleaner's offset map). */
  private cleanerChain: Promise<unknown> = Promise.resolve();
  private cleanerBusy = false;
  private closed = false;
  readonly cleaner: LogCleaner;
  /** The memory all partitions' tail caches share. */
  readonly tailBudget: TailBudget;

  private constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
    readonly producerIds: ProducerIds,
  ) {
    this.cleaner = new LogCleaner(config.cleanerBufferBytes, log);
    this.tailBudget = new TailBudget(config.tailCacheBytes);
  }

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
      const settings = logSettings(config, meta.configs ?? {});
      const logs: PartitionLog[] = [];
      for (let p = 0; p < meta.partitions; p++) logs.push(await store.openLog(name, p, settings));
      store.topics.set(name, { meta, logs, settings });
    }
    store.retentionTimer = setInterval(() => store.applyRetention(), RETENTION_CHECK_MS);
    store.retentionTimer.unref();
    if (config.cleanerIntervalMs > 0) {
      store.cleanerTimer = setInterval(() => {
        if (!store.cleanerBusy) void store.compactAll();
      }, config.cleanerIntervalMs);
      store.cleanerTimer.unref();
    }
    return store;
  }

  private openLog(topic: string, partition: number, settings: LogSettings): Promise<PartitionLog> {
    return PartitionLog.open(this.config.dataDir, topic, partition, settings, this.log, this.tailBudget);
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

  /** The topic's config overrides (undefined when the topic does not exist). */
  topicConfigs(topic: string): Readonly<Record<string, string>> | undefined {
    const t = this.topics.get(topic);
    return t ? (t.meta.configs ?? {}) : undefined;
  }

  /** Log end offset (= high watermark) of a partition, undefined when it does not exist. */
  highWatermark(topic: string, partition: number): number | undefined {
    return this.partition(topic, partition)?.highWatermark;
  }

  logStartOffset(topic: string, partition: number): number | undefined {
    return this.partition(topic, partition)?.logStartOffset;
  }

  /**
   * Creates a topic with validated config overrides; resolves to a Kafka error code (0,
   * INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS).
   */
  create(
    name: string,
    partitions: number,
    validateOnly = false,
    configs: Record<string, string> = {},
  ): Promise<number> {
    return this.serial(async () => {
      if (topicNameProblem(name)) return KafkaError.INVALID_TOPIC_EXCEPTION;
      if (this.topics.has(name)) return KafkaError.TOPIC_ALREADY_EXISTS;
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS)
        return KafkaError.INVALID_PARTITIONS;
      if (validateOnly) return KafkaError.NONE;
      const settings = logSettings(this.config, configs);
      const logs: PartitionLog[] = [];
      try {
        for (let p = 0; p < partitions; p++) {
          // A new topic starts empty, even if a deletion of the same name was cut short by a crash.
          rmSync(join(this.config.dataDir, 'topics', `${name}-${p}`), { recursive: true, force: true });
          logs.push(await this.openLog(name, p, settings));
        }
      } catch (err) {
        // Out of file descriptors or disk: undo the partitions made so far, the topic does not exist.
        for (const l of logs) await l.destroy();
        throw err;
      }
      const meta: TopicMeta = { partitions, createdAt: Date.now() };
      if (Object.keys(configs).length > 0) meta.configs = { ...configs };
      this.topics.set(name, { meta, logs, settings });
      this.persist();
      this.log.info({ topic: name, partitions, configs }, 'topic created');
      return KafkaError.NONE;
    });
  }

  /** Creates the topic with the default partition count unless it exists; false when the name is invalid. */
  async ensure(name: string): Promise<boolean> {
    if (this.topics.has(name)) return true;
    const code = await this.create(name, this.config.defaultPartitions);
    return code === KafkaError.NONE || code === KafkaError.TOPIC_ALREADY_EXISTS;
  }

  /** Replaces the topic's config overrides (validated by the caller) and applies them at once. */
  setConfigs(name: string, configs: Record<string, string>): Promise<number> {
    return this.serial(async () => {
      const t = this.topics.get(name);
      if (!t) return KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
      const before = t.meta.configs;
      if (Object.keys(configs).length > 0) t.meta.configs = { ...configs };
      else delete t.meta.configs;
      try {
        this.persist();
      } catch (err) {
        t.meta.configs = before;
        throw err;
      }
      Object.assign(t.settings, logSettings(this.config, configs));
      this.log.info({ topic: name, configs }, 'topic configs changed');
      return KafkaError.NONE;
    });
  }

  /** CreatePartitions: grows a topic to `count` partitions; resolves to 0 or a Kafka error code. */
  addPartitions(name: string, count: number, validateOnly: boolean): Promise<{ errorCode: number; message?: string }> {
    return this.serial(async () => {
      const t = this.topics.get(name);
      if (!t) return { errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION };
      const now = t.meta.partitions;
      if (!Number.isInteger(count) || count <= now) {
        const message = `Topic currently has ${now} partitions, which is higher than or equal to the requested ${count}`;
        return { errorCode: KafkaError.INVALID_PARTITIONS, message };
      }
      if (count > MAX_PARTITIONS) {
        return { errorCode: KafkaError.INVALID_PARTITIONS, message: `At most ${MAX_PARTITIONS} partitions per topic` };
      }
      if (validateOnly) return { errorCode: KafkaError.NONE };
      const added: PartitionLog[] = [];
      try {
        for (let p = now; p < count; p++) {
          rmSync(join(this.config.dataDir, 'topics', `${name}-${p}`), { recursive: true, force: true });
          added.push(await this.openLog(name, p, t.settings));
        }
        t.meta.partitions = count;
        this.persist();
      } catch (err) {
        t.meta.partitions = now;
        for (const l of added) await l.destroy();
        throw err;
      }
      t.logs.push(...added);
      this.log.info({ topic: name, from: now, to: count }, 'partitions added');
      return { errorCode: KafkaError.NONE };
    });
  }

  /** Deletes a topic and its files; resolves to 0 or UNKNOWN_TOPIC_OR_PARTITION. */
  delete(name: string): Promise<number> {
    return this.serial(async () => {
      const t = this.topics.get(name);
      if (!t) return KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
      this.topics.delete(name);
      this.persist();
      for (const l of t.logs) await l.destroy();
      this.log.info({ topic: name }, 'topic deleted');
      return KafkaError.NONE;
    });
  }

  applyRetention(now = Date.now()): number {
    let n = 0;
    for (const t of this.topics.values()) for (const l of t.logs) n += l.applyRetention(now);
    return n;
  }

  /**
   * One cleaner pass over every partition of every compacted topic (or of `topic`), one at a time; `force`
   * ignores min.cleanable.dirty.ratio. Resolves to what each partition's pass did.
   */
  compactAll(opts: { topic?: string; force?: boolean; now?: number } = {}): Promise<CleanResult[]> {
    const run = this.cleanerChain.then(async () => {
      this.cleanerBusy = true;
      try {
        return await this.compactPass(opts);
      } finally {
        this.cleanerBusy = false;
      }
    });
    this.cleanerChain = run.catch(() => {});
    return run;
  }

  private async compactPass(opts: { topic?: string; force?: boolean; now?: number }): Promise<CleanResult[]> {
    const done: CleanResult[] = [];
    for (const [name, t] of [...this.topics]) {
      if (opts.topic !== undefined && name !== opts.topic) continue;
      if (!t.settings.compact) continue;
      for (const l of t.logs) {
        if (this.closed || l.isClosed) return done;
        const run = this.cleaner.clean(l, opts.now ?? Date.now(), opts.force);
        l.cleaning = run;
        try {
          const r = await run;
          if (r) {
            done.push(r);
            this.log.info({ topic: name, partition: l.partition, ...r }, 'log compacted');
          }
        } catch (err) {
          const code = 'TL_BROKER_IO';
          this.log.error({ code, topic: name, partition: l.partition, err: (err as Error).message }, 'log cleaner');
        } finally {
          l.cleaning = null;
        }
      }
    }
    return done;
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
    this.closed = true;
    clearInterval(this.retentionTimer);
    clearInterval(this.cleanerTimer);
    await this.chain;
    for (const t of this.topics.values()) for (const l of t.logs) await l.close();
    await this.cleanerChain;
    this.producerIds.close();
  }
}

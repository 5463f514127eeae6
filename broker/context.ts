/** What every API handler can reach: the broker's settings, its log, its topics and its consumer groups. */
import type { ChoiceOf } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import type { TopicStore } from './log/topic-store.js';
import type { ApiRegistry } from './registry.js';

/** `--fsync`: its choices are declared in core/config.ts. */
export type FsyncPolicy = ChoiceOf<'fsync'>;

export interface BrokerConfig {
  nodeId: number;
  /** Host advertised in Metadata and FindCoordinator. */
  host: string;
  /** Bound port (the real one after listening on port 0). */
  port: number;
  dataDir: string;
  clusterId: string;
  defaultPartitions: number;
  autoCreateTopics: boolean;
  fsync: FsyncPolicy;
  segmentBytes: number;
  /** Default retention.bytes of topics; 0 = unlimited (reported as -1, Kafka's way). */
  retentionBytes: number;
  /** Default retention.ms of topics; 0 = unlimited (reported as -1). */
  retentionMs: number;
  /** Default delete.retention.ms of compacted topics (Kafka's log.cleaner.delete.retention.ms). */
  deleteRetentionMs: number;
  /** How often the log cleaner looks for compacted partitions to clean; 0 turns it off. */
  cleanerIntervalMs: number;
  /** Memory of the cleaner's key → offset map (Kafka's log.cleaner.dedupe.buffer.size). */
  cleanerBufferBytes: number;
  /** Memory of all partitions' tail caches together (broker/log/tail-cache.ts). */
  tailCacheBytes: number;
  maxFrameBytes: number;
  /** Bytes of request frames all connections together may hold (Kafka's queued.max.request.bytes). */
  maxInflightBytes: number;
  /** A connection with no request and no traffic for this long is closed (Kafka's connections.max.idle.ms). */
  connectionsMaxIdleMs: number;
  /** How long the first rebalance of an empty group waits for more members (Kafka's group.initial.rebalance.delay.ms). */
  groupInitialRebalanceDelayMs: number;
}

export interface BrokerContext {
  config: BrokerConfig;
  log: Logger;
  topics: TopicStore;
  groups: GroupCoordinator;
  registry: ApiRegistry;
  /** Request counts by API key since start (/metrics, metrics/broker-metrics.ts). */
  stats?: { requests: Map<number, number> };
}

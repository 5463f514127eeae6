/** What every API handler can reach: the broker's settings, its log, its topics and its consumer groups. */
import type { Logger } from '../core/log.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import type { TopicStore } from './log/topic-store.js';
import type { ApiRegistry } from './registry.js';

export type FsyncPolicy = 'acks-all' | 'always' | 'never';

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
  retentionBytes: number;
  retentionMs: number;
  maxFrameBytes: number;
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

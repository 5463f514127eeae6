/**
 * The config resources DescribeConfigs and the Alter*Configs APIs address: a topic (resource type 2) and the
 * broker (resource type 4, name "0", or "" for the cluster-wide defaults, which here are the same thing).
 *
 * Behaviour (as Kafka reports them):
 * - A topic config is TOPIC_CONFIG (source 1) when the topic overrides it, else DEFAULT_CONFIG (5) with the
 *   broker's value; topic configs are not read-only. Its synonyms are the override (if any) and the broker
 *   config it defaults to (`retention.ms` ← `log.retention.ms`).
 * - Broker configs come from the broker's start-up flags: STATIC_BROKER_CONFIG (4), read-only (ticklake
 *   cannot change them while running).
 * - Nothing ticklake reports is sensitive (no passwords or keys): is_sensitive is false everywhere.
 * - Altering: a topic's overrides are replaced after validation (INVALID_CONFIG with a message) and applied at
 *   once; broker configs are read-only (INVALID_REQUEST).
 */
import type { BrokerConfig } from './context.js';
import { checkTopicConfigs, configValue, TOPIC_CONFIGS } from './log/topic-config.js';
import type { TopicStore } from './log/topic-store.js';
import { KafkaError } from './protocol/error-codes.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

export const SOURCE_TOPIC_CONFIG = 1;
export const SOURCE_STATIC_BROKER_CONFIG = 4;
export const SOURCE_DEFAULT_CONFIG = 5;

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  isSensitive: boolean;
  synonyms: ConfigSynonym[];
}

/** Every config of a topic (undefined when the topic does not exist). */
export function topicConfigEntries(store: TopicStore, c: BrokerConfig, topic: string): ConfigEntry[] | undefined {
  const overrides = store.topicConfigs(topic);
  if (!overrides) return undefined;
  return TOPIC_CONFIGS.map((def) => {
    const brokerValue = def.brokerDefault(c);
    const own = overrides[def.name];
    const synonyms: ConfigSynonym[] = [];
    if (own !== undefined) synonyms.push({ name: def.name, value: own, source: SOURCE_TOPIC_CONFIG });
    synonyms.push({ name: def.brokerName, value: brokerValue, source: SOURCE_DEFAULT_CONFIG });
    return {
      name: def.name,
      value: configValue(c, overrides, def.name),
      readOnly: false,
      source: own !== undefined ? SOURCE_TOPIC_CONFIG : SOURCE_DEFAULT_CONFIG,
      isSensitive: false,
      synonyms,
    };
  });
}

/** The broker's configs, named as Kafka names them, from the flags it was started with. */
export function brokerConfigEntries(c: BrokerConfig): ConfigEntry[] {
  const unlimited = (n: number) => String(n > 0 ? n : -1);
  const rows: Array<[string, string]> = [
    ['broker.id', String(c.nodeId)],
    ['num.partitions', String(c.defaultPartitions)],
    ['auto.create.topics.enable', String(c.autoCreateTopics)],
    ['default.replication.factor', '1'],
    ['log.cleanup.policy', 'delete'],
    ['log.retention.ms', unlimited(c.retentionMs)],
    ['log.retention.bytes', unlimited(c.retentionBytes)],
    ['log.segment.bytes', String(c.segmentBytes)],
    ['log.cleaner.enable', String(c.cleanerIntervalMs > 0)],
    ['log.cleaner.backoff.ms', String(c.cleanerIntervalMs)],
    ['log.cleaner.dedupe.buffer.size', String(c.cleanerBufferBytes)],
    ['log.cleaner.delete.retention.ms', String(c.deleteRetentionMs)],
    ['log.cleaner.min.compaction.lag.ms', '0'],
    ['log.cleaner.min.cleanable.ratio', '0.5'],
    ['socket.request.max.bytes', String(c.maxFrameBytes)],
    ['queued.max.request.bytes', String(c.maxInflightBytes)],
    ['connections.max.idle.ms', String(c.connectionsMaxIdleMs)],
    ['group.initial.rebalance.delay.ms', String(c.groupInitialRebalanceDelayMs)],
  ];
  return rows.map(([name, value]) => ({
    name,
    value,
    readOnly: true,
    source: SOURCE_STATIC_BROKER_CONFIG,
    isSensitive: false,
    synonyms: [{ name, value, source: SOURCE_STATIC_BROKER_CONFIG }],
  }));
}

export interface AlterResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

/**
 * Replaces a topic's overrides after validating them (AlterConfigs and IncrementalAlterConfigs end here).
 * Broker configs are refused: ticklake takes them from its flags at start.
 */
export async function alterResource(
  store: TopicStore,
  c: BrokerConfig,
  resourceType: number,
  resourceName: string,
  overrides: (
    current: Readonly<Record<string, string>>,
  ) => { set: Record<string, string> } | { error: string; code?: number },
  validateOnly: boolean,
): Promise<AlterResult> {
  const base = { resourceType, resourceName };
  const fail = (errorCode: number, errorMessage: string) => ({ ...base, errorCode, errorMessage });
  if (resourceType === RESOURCE_BROKER) {
    if (resourceName !== '' && resourceName !== String(c.nodeId)) {
      return fail(KafkaError.INVALID_REQUEST, `Unexpected broker id, expected ${c.nodeId}`);
    }
    return fail(
      KafkaError.INVALID_REQUEST,
      'Broker configs are read-only: ticklake takes them from its start-up flags',
    );
  }
  if (resourceType !== RESOURCE_TOPIC)
    return fail(KafkaError.INVALID_REQUEST, `Unsupported resource type ${resourceType}`);
  const current = store.topicConfigs(resourceName);
  if (!current) return fail(KafkaError.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${resourceName} does not exist`);
  const wanted = overrides(current);
  if ('error' in wanted) return fail(wanted.code ?? KafkaError.INVALID_CONFIG, wanted.error);
  const checked = checkTopicConfigs(Object.entries(wanted.set));
  if ('error' in checked) return fail(KafkaError.INVALID_CONFIG, checked.error);
  if (!validateOnly) {
    const code = await store.setConfigs(resourceName, checked.overrides);
    if (code !== KafkaError.NONE) return fail(code, `Topic ${resourceName} does not exist`);
  }
  return { ...base, errorCode: KafkaError.NONE, errorMessage: null };
}

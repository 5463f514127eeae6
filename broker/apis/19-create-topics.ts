/**
 * CreateTopics (key 19), versions 0-4.
 *
 * CreateTopics Request (Version: 0) => [topics] timeout_ms
 *   topics => name num_partitions replication_factor [assignments] [configs]
 *     name => STRING
 *     num_partitions => INT32
 *     replication_factor => INT16
 *     assignments => partition_index [broker_ids]
 *       partition_index => INT32
 *       broker_ids => INT32
 *     configs => name value
 *       name => STRING
 *       value => NULLABLE_STRING
 *   timeout_ms => INT32
 * CreateTopics Request (Version: 1-4) => [topics] timeout_ms validate_only
 *   validate_only => BOOLEAN
 *
 * CreateTopics Response (Version: 0) => [topics]
 *   topics => name error_code
 *     name => STRING
 *     error_code => INT16
 * CreateTopics Response (Version: 1) => [topics]
 *   topics => name error_code error_message
 *     error_message => NULLABLE_STRING
 * CreateTopics Response (Version: 2-4) => throttle_time_ms [topics]
 *   throttle_time_ms => INT32
 *
 * Behaviour:
 * - num_partitions -1 (v4) means the broker's default; with manual assignments their count is the partition
 *   count. Fewer than 1 partition → INVALID_PARTITIONS (37).
 * - replication_factor must be -1 or 1 (one broker) → otherwise INVALID_REPLICATION_FACTOR (38).
 * - An existing topic → TOPIC_ALREADY_EXISTS (36); a bad name → INVALID_TOPIC_EXCEPTION (17); a name twice in
 *   one request → INVALID_REQUEST (42) for both.
 * - Topic configs (log/topic-config.ts: cleanup.policy, retention.ms, retention.bytes, segment.bytes,
 *   delete.retention.ms, min.compaction.lag.ms, min.cleanable.dirty.ratio) are validated, persisted with the
 *   topic and applied; an unknown name, a null or a bad value → INVALID_CONFIG (40) with a message naming the
 *   config and the value, and no topic is created.
 * - validate_only checks everything and creates nothing.
 */
import { checkTopicConfigs } from '../log/topic-config.js';
import { MAX_PARTITIONS } from '../log/topic-store.js';
import { KafkaError, kafkaErrorMessage } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 19;
export const name = 'CreateTopics';
export const minVersion = 0;
export const maxVersion = 4;

const MESSAGES: Record<number, string> = {
  [KafkaError.INVALID_PARTITIONS]: `Number of partitions must be between 1 and ${MAX_PARTITIONS}`,
  [KafkaError.INVALID_REQUEST]: 'Topic listed more than once',
};

export interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: number;
  configs: Array<[string, string | null]>;
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreateTopicsResponse {
  topics: Array<{ name: string; errorCode: number; errorMessage?: string }>;
}

export function decode(r: Reader, version: number): CreateTopicsRequest {
  const topics = r.array((x) => {
    const name = x.string();
    const numPartitions = x.int32();
    const replicationFactor = x.int16();
    const assignments = x.array((a) => {
      a.int32();
      return a.array((b) => b.int32());
    }).length;
    const configs = x.array((c): [string, string | null] => [c.string(), c.nullableString()]);
    return { name, numPartitions, replicationFactor, assignments, configs };
  });
  const timeoutMs = r.int32();
  const validateOnly = version >= 1 ? r.bool() : false;
  r.expectEnd();
  return { topics, timeoutMs, validateOnly };
}

export async function handle(req: CreateTopicsRequest, ctx: RequestContext): Promise<CreateTopicsResponse> {
  const store = ctx.broker.topics;
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const topics: CreateTopicsResponse['topics'] = [];
  for (const t of req.topics) {
    let errorCode: number;
    let errorMessage: string | undefined;
    const checked = checkTopicConfigs(t.configs);
    if ((counts.get(t.name) ?? 0) > 1) errorCode = KafkaError.INVALID_REQUEST;
    else if (t.replicationFactor !== -1 && t.replicationFactor !== 1) errorCode = KafkaError.INVALID_REPLICATION_FACTOR;
    else if ('error' in checked) {
      errorCode = KafkaError.INVALID_CONFIG;
      errorMessage = checked.error;
    } else {
      const partitions =
        t.assignments > 0
          ? t.assignments
          : t.numPartitions === -1
            ? ctx.broker.config.defaultPartitions
            : t.numPartitions;
      errorCode = await store.create(t.name, partitions, req.validateOnly, checked.overrides);
    }
    topics.push({ name: t.name, errorCode, errorMessage });
  }
  return { topics };
}

export function encode(w: Writer, res: CreateTopicsResponse, version: number): void {
  if (version >= 2) w.int32(0);
  w.array(res.topics, (x, t) => {
    x.string(t.name).int16(t.errorCode);
    if (version >= 1) {
      const message = t.errorMessage ?? MESSAGES[t.errorCode] ?? kafkaErrorMessage(t.errorCode);
      x.nullableString(t.errorCode === 0 ? null : message);
    }
  });
}

/**
 * Metadata (key 3), versions 0-6.
 *
 * Metadata Request (Version: 0) => [topics]
 *   topics => name
 *     name => STRING
 * Metadata Request (Version: 1-3) => [topics]            (nullable array: null = all topics)
 * Metadata Request (Version: 4-6) => [topics] allow_auto_topic_creation
 *   allow_auto_topic_creation => BOOLEAN
 *
 * Metadata Response (Version: 0) => [brokers] [topics]
 *   brokers => node_id host port
 *     node_id => INT32
 *     host => STRING
 *     port => INT32
 *   topics => error_code name [partitions]
 *     error_code => INT16
 *     name => STRING
 *     partitions => error_code partition_index leader_id [replica_nodes] [isr_nodes]
 *       error_code => INT16
 *       partition_index => INT32
 *       leader_id => INT32
 *       replica_nodes => INT32
 *       isr_nodes => INT32
 * Metadata Response (Version: 1) => [brokers] controller_id [topics]
 *   brokers => node_id host port rack            rack => NULLABLE_STRING
 *   topics => error_code name is_internal [partitions]     is_internal => BOOLEAN
 * Metadata Response (Version: 2) => [brokers] cluster_id controller_id [topics]
 *   cluster_id => NULLABLE_STRING
 * Metadata Response (Version: 3-4) => throttle_time_ms [brokers] cluster_id controller_id [topics]
 * Metadata Response (Version: 5-6) => throttle_time_ms [brokers] cluster_id controller_id [topics]
 *   partitions => error_code partition_index leader_id [replica_nodes] [isr_nodes] [offline_replicas]
 *
 * Behaviour:
 * - One broker (this one, advertised host:port), which leads every partition and is the controller.
 * - v0 with an empty list and v1+ with a null list mean all topics; v1+ with an empty list means none.
 * - An unknown topic is created with the default partition count when autoCreateTopics is on and (v4+) the
 *   client allows it; otherwise it is answered with UNKNOWN_TOPIC_OR_PARTITION. An invalid name gets
 *   INVALID_TOPIC_EXCEPTION.
 */

import { topicNameProblem } from '../log/topic-store.js';
import { KafkaError } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 3;
export const name = 'Metadata';
export const minVersion = 0;
export const maxVersion = 6;

export interface MetadataRequest {
  /** null = all topics. */
  topics: string[] | null;
  allowAutoTopicCreation: boolean;
}

export interface TopicMetadata {
  errorCode: number;
  name: string;
  partitions: number;
}

export interface MetadataResponse {
  nodeId: number;
  host: string;
  port: number;
  clusterId: string;
  topics: TopicMetadata[];
}

export function decode(r: Reader, version: number): MetadataRequest {
  const topics = version === 0 ? r.array((x) => x.string()) : r.nullableArray((x) => x.string());
  const allowAutoTopicCreation = version >= 4 ? r.bool() : true;
  r.expectEnd();
  return { topics: version === 0 && topics?.length === 0 ? null : topics, allowAutoTopicCreation };
}

export async function handle(req: MetadataRequest, ctx: RequestContext): Promise<MetadataResponse> {
  const { config, topics: store } = ctx.broker;
  const names = req.topics ?? store.names();
  const topics: TopicMetadata[] = [];
  for (const topic of names) {
    if (topicNameProblem(topic)) {
      topics.push({ errorCode: KafkaError.INVALID_TOPIC_EXCEPTION, name: topic, partitions: 0 });
      continue;
    }
    if (!store.has(topic) && config.autoCreateTopics && req.allowAutoTopicCreation) await store.ensure(topic);
    const n = store.partitionCount(topic);
    topics.push({
      errorCode: n === undefined ? KafkaError.UNKNOWN_TOPIC_OR_PARTITION : 0,
      name: topic,
      partitions: n ?? 0,
    });
  }
  return { nodeId: config.nodeId, host: config.host, port: config.port, clusterId: config.clusterId, topics };
}

export function encode(w: Writer, res: MetadataResponse, version: number): void {
  if (version >= 3) w.int32(0);
  w.int32(1).int32(res.nodeId).string(res.host).int32(res.port);
  if (version >= 1) w.nullableString(null);
  if (version >= 2) w.nullableString(res.clusterId);
  if (version >= 1) w.int32(res.nodeId);
  w.array(res.topics, (x, t) => {
    x.int16(t.errorCode).string(t.name);
    if (version >= 1) x.bool(false);
    x.int32(t.partitions);
    for (let p = 0; p < t.partitions; p++) {
      x.int16(0).int32(p).int32(res.nodeId);
      x.int32(1).int32(res.nodeId); // replicas
      x.int32(1).int32(res.nodeId); // in-sync replicas
      if (version >= 5) x.int32(0); // offline replicas
    }
  });
}

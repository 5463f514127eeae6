/**
 * DescribeConfigs (key 32), versions 0-2.
 *
 * DescribeConfigs Request (Version: 0) => [resources]
 *   resources => resource_type resource_name [configuration_keys]
 *     resource_type => INT8
 *     resource_name => STRING
 *     configuration_keys => STRING          (nullable array: null = all)
 * DescribeConfigs Request (Version: 1-2) => [resources] include_synonyms
 *   include_synonyms => BOOLEAN
 *
 * DescribeConfigs Response (Version: 0) => throttle_time_ms [results]
 *   throttle_time_ms => INT32
 *   results => error_code error_message resource_type resource_name [configs]
 *     error_code => INT16
 *     error_message => NULLABLE_STRING
 *     resource_type => INT8
 *     resource_name => STRING
 *     configs => name value read_only is_default is_sensitive
 *       name => STRING
 *       value => NULLABLE_STRING
 *       read_only => BOOLEAN
 *       is_default => BOOLEAN
 *       is_sensitive => BOOLEAN
 * DescribeConfigs Response (Version: 1-2) => throttle_time_ms [results]
 *     configs => name value read_only config_source is_sensitive [synonyms]
 *       config_source => INT8
 *       synonyms => name value source
 *         name => STRING
 *         value => NULLABLE_STRING
 *         source => INT8
 *
 * Behaviour:
 * - Topic (2): every topic config ticklake implements (config-resources.ts): TOPIC_CONFIG where the topic
 *   overrides it, DEFAULT_CONFIG otherwise (v0: is_default). An unknown topic → UNKNOWN_TOPIC_OR_PARTITION (3).
 * - Broker (4), name "0" or "": the broker's settings under their Kafka names, read-only,
 *   STATIC_BROKER_CONFIG. Another broker id → INVALID_REQUEST (42) ("unexpected broker id").
 * - Other resource types (broker loggers, client quotas) → INVALID_REQUEST.
 * - configuration_keys limits the answer to those names (unknown ones are left out, as Kafka does).
 *   Synonyms are sent only when asked for (v1+ include_synonyms).
 */
import {
  brokerConfigEntries,
  type ConfigEntry,
  RESOURCE_BROKER,
  RESOURCE_TOPIC,
  SOURCE_DEFAULT_CONFIG,
  topicConfigEntries,
} from '../config-resources.js';
import { KafkaError } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 32;
export const name = 'DescribeConfigs';
export const minVersion = 0;
export const maxVersion = 2;

export interface DescribeConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; keys: string[] | null }>;
  includeSynonyms: boolean;
}

export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: ConfigEntry[];
}

export interface DescribeConfigsResponse {
  results: DescribeConfigsResult[];
  includeSynonyms: boolean;
}

export function decode(r: Reader, version: number): DescribeConfigsRequest {
  const resources = r.array((x) => ({
    resourceType: x.int8(),
    resourceName: x.string(),
    keys: x.nullableArray((k) => k.string()),
  }));
  const includeSynonyms = version >= 1 ? r.bool() : false;
  r.expectEnd();
  return { resources, includeSynonyms };
}

export function handle(req: DescribeConfigsRequest, ctx: RequestContext): DescribeConfigsResponse {
  const { config, topics } = ctx.broker;
  const results = req.resources.map((res): DescribeConfigsResult => {
    const base = { resourceType: res.resourceType, resourceName: res.resourceName };
    const error = (errorCode: number, errorMessage: string) => ({ ...base, errorCode, errorMessage, configs: [] });
    let entries: ConfigEntry[] | undefined;
    if (res.resourceType === RESOURCE_TOPIC) {
      entries = topicConfigEntries(topics, config, res.resourceName);
      if (!entries) return error(KafkaError.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${res.resourceName} does not exist`);
    } else if (res.resourceType === RESOURCE_BROKER) {
      if (res.resourceName !== '' && res.resourceName !== String(config.nodeId)) {
        return error(KafkaError.INVALID_REQUEST, `Unexpected broker id, expected ${config.nodeId}`);
      }
      entries = brokerConfigEntries(config);
    } else {
      return error(KafkaError.INVALID_REQUEST, `Unsupported resource type ${res.resourceType}`);
    }
    const keys = res.keys;
    const configs = keys === null ? entries : entries.filter((e) => keys.includes(e.name));
    return { ...base, errorCode: KafkaError.NONE, errorMessage: null, configs };
  });
  return { results, includeSynonyms: req.includeSynonyms };
}

export function encode(w: Writer, res: DescribeConfigsResponse, version: number): void {
  w.int32(0);
  w.array(res.results, (x, r) => {
    x.int16(r.errorCode).nullableString(r.errorMessage).int8(r.resourceType).string(r.resourceName);
    x.array(r.configs, (y, c) => {
      y.string(c.name).nullableString(c.value).bool(c.readOnly);
      if (version === 0) y.bool(c.source === SOURCE_DEFAULT_CONFIG).bool(c.isSensitive);
      else {
        y.int8(c.source).bool(c.isSensitive);
        y.array(res.includeSynonyms ? c.synonyms : [], (z, s) =>
          z.string(s.name).nullableString(s.value).int8(s.source),
        );
      }
    });
  });
}

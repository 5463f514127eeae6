/**
 * AlterConfigs (key 33), versions 0-1.
 *
 * AlterConfigs Request (Version: 0-1) => [resources] validate_only
 *   resources => resource_type resource_name [configs]
 *     resource_type => INT8
 *     resource_name => STRING
 *     configs => name value
 *       name => STRING
 *       value => NULLABLE_STRING
 *   validate_only => BOOLEAN
 *
 * AlterConfigs Response (Version: 0-1) => throttle_time_ms [responses]
 *   throttle_time_ms => INT32
 *   responses => error_code error_message resource_type resource_name
 *     error_code => INT16
 *     error_message => NULLABLE_STRING
 *     resource_type => INT8
 *     resource_name => STRING
 *
 * Behaviour:
 * - Not incremental (as in Kafka): the configs given become the topic's whole set of overrides; a config left
 *   out goes back to the broker's default. They are validated like CreateTopics' (INVALID_CONFIG with a
 *   message), persisted and applied at once (retention, segment size, compaction).
 * - Broker configs are read-only → INVALID_REQUEST (42); an unknown topic → UNKNOWN_TOPIC_OR_PARTITION (3).
 *   validate_only checks and changes nothing.
 */
import { type AlterResult, alterResource } from '../config-resources.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 33;
export const name = 'AlterConfigs';
export const minVersion = 0;
export const maxVersion = 1;

export interface AlterConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configs: Array<[string, string | null]> }>;
  validateOnly: boolean;
}
export interface AlterConfigsResponse {
  responses: AlterResult[];
}

export function decode(r: Reader, _version: number): AlterConfigsRequest {
  const resources = r.array((x) => ({
    resourceType: x.int8(),
    resourceName: x.string(),
    configs: x.array((c): [string, string | null] => [c.string(), c.nullableString()]),
  }));
  const validateOnly = r.bool();
  r.expectEnd();
  return { resources, validateOnly };
}

export async function handle(req: AlterConfigsRequest, ctx: RequestContext): Promise<AlterConfigsResponse> {
  const { topics, config } = ctx.broker;
  const responses: AlterResult[] = [];
  for (const res of req.resources) {
    responses.push(
      await alterResource(
        topics,
        config,
        res.resourceType,
        res.resourceName,
        () => {
          const names = res.configs.map(([n]) => n);
          const twice = names.find((n, i) => names.indexOf(n) !== i);
          if (twice) return { error: `Config ${twice} given more than once` };
          for (const [n, v] of res.configs)
            if (v === null) return { error: `Null value not supported for config ${n}` };
          return { set: Object.fromEntries(res.configs) as Record<string, string> };
        },
        req.validateOnly,
      ),
    );
  }
  return { responses };
}

export function encode(w: Writer, res: AlterConfigsResponse, _version: number): void {
  w.int32(0);
  w.array(res.responses, (x, r) =>
    x.int16(r.errorCode).nullableString(r.errorMessage).int8(r.resourceType).string(r.resourceName),
  );
}

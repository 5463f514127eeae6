/**
 * IncrementalAlterConfigs (key 44), version 0.
 *
 * IncrementalAlterConfigs Request (Version: 0) => [resources] validate_only
 *   resources => resource_type resource_name [configs]
 *     resource_type => INT8
 *     resource_name => STRING
 *     configs => name config_operation value
 *       name => STRING
 *       config_operation => INT8
 *       value => NULLABLE_STRING
 *   validate_only => BOOLEAN
 *
 * IncrementalAlterConfigs Response (Version: 0) => throttle_time_ms [responses]
 *   throttle_time_ms => INT32
 *   responses => error_code error_message resource_type resource_name
 *     error_code => INT16
 *     error_message => NULLABLE_STRING
 *     resource_type => INT8
 *     resource_name => STRING
 *
 * Behaviour:
 * - Operations on the topic's current configs: SET (0) name=value, DELETE (1) the override (back to the
 *   broker's default), APPEND (2) / SUBTRACT (3) items of a list config (cleanup.policy; on other configs
 *   → INVALID_CONFIG). An unknown operation or a config named twice → INVALID_REQUEST (42).
 * - The result is validated like CreateTopics' configs (INVALID_CONFIG with a message), persisted and applied
 *   at once. Broker configs are read-only (INVALID_REQUEST). validate_only checks and changes nothing.
 */
import { type AlterResult, alterResource } from '../config-resources.js';
import { configValue, topicConfigDef } from '../log/topic-config.js';
import { KafkaError } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 44;
export const name = 'IncrementalAlterConfigs';
export const minVersion = 0;
export const maxVersion = 0;

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

interface Op {
  name: string;
  op: number;
  value: string | null;
}

export interface IncrementalAlterConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configs: Op[] }>;
  validateOnly: boolean;
}
export interface IncrementalAlterConfigsResponse {
  responses: AlterResult[];
}

export function decode(r: Reader, _version: number): IncrementalAlterConfigsRequest {
  const resources = r.array((x) => ({
    resourceType: x.int8(),
    resourceName: x.string(),
    configs: x.array((c): Op => ({ name: c.string(), op: c.int8(), value: c.nullableString() })),
  }));
  const validateOnly = r.bool();
  r.expectEnd();
  return { resources, validateOnly };
}

/** The new overrides, or why the operations cannot apply. */
function apply(
  current: Readonly<Record<string, string>>,
  ops: Op[],
  defaults: (name: string) => string,
): { set: Record<string, string> } | { error: string; code?: number } {
  const next: Record<string, string> = { ...current };
  const seen = new Set<string>();
  for (const o of ops) {
    if (seen.has(o.name)) return { error: `Config ${o.name} given more than once`, code: KafkaError.INVALID_REQUEST };
    seen.add(o.name);
    const def = topicConfigDef(o.name);
    if (o.op === DELETE) {
      delete next[o.name];
    } else if (o.op === SET) {
      if (o.value === null) return { error: `Null value not supported for config ${o.name}` };
      next[o.name] = o.value;
    } else if (o.op === APPEND || o.op === SUBTRACT) {
      if (!def) return { error: `Unknown topic config name: ${o.name}` };
      if (def.type !== 'list') return { error: `Config value append or subtract is not allowed for config ${o.name}` };
      const items = (next[o.name] ?? defaults(o.name)).split(',').filter((s) => s !== '');
      const given = (o.value ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const result =
        o.op === APPEND
          ? [...items, ...given.filter((g) => !items.includes(g))]
          : items.filter((i) => !given.includes(i));
      next[o.name] = result.join(',');
    } else {
      return { error: `Unknown config operation ${o.op} for ${o.name}`, code: KafkaError.INVALID_REQUEST };
    }
  }
  return { set: next };
}

export async function handle(
  req: IncrementalAlterConfigsRequest,
  ctx: RequestContext,
): Promise<IncrementalAlterConfigsResponse> {
  const { topics, config } = ctx.broker;
  const responses: AlterResult[] = [];
  for (const res of req.resources) {
    responses.push(
      await alterResource(
        topics,
        config,
        res.resourceType,
        res.resourceName,
        (current) => apply(current, res.configs, (n) => configValue(config, current, n)),
        req.validateOnly,
      ),
    );
  }
  return { responses };
}

export function encode(w: Writer, res: IncrementalAlterConfigsResponse, _version: number): void {
  w.int32(0);
  w.array(res.responses, (x, r) =>
    x.int16(r.errorCode).nullableString(r.errorMessage).int8(r.resourceType).string(r.resourceName),
  );
}

/**
 * CreatePartitions (key 37), versions 0-1.
 *
 * CreatePartitions Request (Version: 0-1) => [topics] timeout_ms validate_only
 *   topics => name count [assignments]
 *     name => STRING
 *     count => INT32
 *     assignments => [broker_ids]          (nullable array)
 *       broker_ids => INT32
 *   timeout_ms => INT32
 *   validate_only => BOOLEAN
 *
 * CreatePartitions Response (Version: 0-1) => throttle_time_ms [results]
 *   throttle_time_ms => INT32
 *   results => name error_code error_message
 *     name => STRING
 *     error_code => INT16
 *     error_message => NULLABLE_STRING
 *
 * Behaviour:
 * - Grows the topic to `count` partitions (new ones start empty, persisted in topics.json before the answer).
 *   A count not above the current one, or above 1000 → INVALID_PARTITIONS (37) with the numbers in the
 *   message; an unknown topic → UNKNOWN_TOPIC_OR_PARTITION (3); a name twice → INVALID_REQUEST (42).
 * - Assignments, when given, must list one broker (this one, id 0) for each new partition, else
 *   INVALID_REPLICA_ASSIGNMENT (39). validate_only checks and creates nothing.
 */
import { KafkaError, kafkaErrorMessage } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 37;
export const name = 'CreatePartitions';
export const minVersion = 0;
export const maxVersion = 1;

export interface CreatePartitionsRequest {
  topics: Array<{ name: string; count: number; assignments: number[][] | null }>;
  timeoutMs: number;
  validateOnly: boolean;
}
export interface CreatePartitionsResponse {
  results: Array<{ name: string; errorCode: number; errorMessage: string | null }>;
}

export function decode(r: Reader, _version: number): CreatePartitionsRequest {
  const topics = r.array((t) => ({
    name: t.string(),
    count: t.int32(),
    assignments: t.nullableArray((a) => a.array((b) => b.int32())),
  }));
  const timeoutMs = r.int32();
  const validateOnly = r.bool();
  r.expectEnd();
  return { topics, timeoutMs, validateOnly };
}

export async function handle(req: CreatePartitionsRequest, ctx: RequestContext): Promise<CreatePartitionsResponse> {
  const { topics: store, config } = ctx.broker;
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const results: CreatePartitionsResponse['results'] = [];
  for (const t of req.topics) {
    const done = (errorCode: number, message?: string) =>
      results.push({
        name: t.name,
        errorCode,
        errorMessage: errorCode === 0 ? null : (message ?? kafkaErrorMessage(errorCode)),
      });
    if ((counts.get(t.name) ?? 0) > 1) {
      done(KafkaError.INVALID_REQUEST, 'Topic listed more than once');
      continue;
    }
    const current = store.partitionCount(t.name);
    if (t.assignments !== null && current !== undefined) {
      const ok =
        t.assignments.length === t.count - current &&
        t.assignments.every((a) => a.length === 1 && a[0] === config.nodeId);
      if (!ok) {
        done(
          KafkaError.INVALID_REPLICA_ASSIGNMENT,
          `Each new partition must be assigned to broker ${config.nodeId} only`,
        );
        continue;
      }
    }
    const r = await store.addPartitions(t.name, t.count, req.validateOnly);
    done(r.errorCode, r.message);
  }
  return { results };
}

export function encode(w: Writer, res: CreatePartitionsResponse, _version: number): void {
  w.int32(0);
  w.array(res.results, (x, r) => x.string(r.name).int16(r.errorCode).nullableString(r.errorMessage));
}

/**
 * OffsetDelete (key 47), version 0.
 *
 * OffsetDelete Request (Version: 0) => group_id [topics]
 *   group_id => STRING
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index
 *       partition_index => INT32
 *
 * OffsetDelete Response (Version: 0) => error_code throttle_time_ms [topics]
 *   error_code => INT16
 *   throttle_time_ms => INT32
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index error_code
 *       partition_index => INT32
 *       error_code => INT16
 *
 * Behaviour:
 * - An unknown group → GROUP_ID_NOT_FOUND (69) for the request. Per partition: a topic the group's members are
 *   subscribed to → GROUP_SUBSCRIBED_TO_TOPIC (86); an unknown partition → UNKNOWN_TOPIC_OR_PARTITION (3);
 *   otherwise the committed offset (if any) is deleted durably before the answer.
 */
import type { CommitResult } from '../groups/coordinator.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 47;
export const name = 'OffsetDelete';
export const minVersion = 0;
export const maxVersion = 0;

export interface OffsetDeleteRequest {
  groupId: string;
  topics: Array<{ name: string; partitions: number[] }>;
}
export interface OffsetDeleteResponse {
  errorCode: number;
  topics: CommitResult[];
}

export function decode(r: Reader, _version: number): OffsetDeleteRequest {
  const groupId = r.string();
  const topics = r.array((t) => ({ name: t.string(), partitions: t.array((p) => p.int32()) }));
  r.expectEnd();
  return { groupId, topics };
}

export function handle(req: OffsetDeleteRequest, ctx: RequestContext): Promise<OffsetDeleteResponse> {
  return ctx.broker.groups.deleteOffsets(req.groupId, req.topics);
}

export function encode(w: Writer, res: OffsetDeleteResponse, _version: number): void {
  w.int16(res.errorCode).int32(0);
  w.array(res.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.partition).int16(p.errorCode));
  });
}

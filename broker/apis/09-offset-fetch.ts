/**
 * OffsetFetch (key 9), versions 0-5.
 *
 * OffsetFetch Request (Version: 0-1) => group_id [topics]
 *   group_id => STRING
 *   topics => name [partition_indexes]
 *     name => STRING
 *     partition_indexes => INT32
 * OffsetFetch Request (Version: 2-5) => group_id [topics]
 *   topics => nullable array: null asks for every committed offset of the group
 *
 * OffsetFetch Response (Version: 0-1) => [topics]
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index committed_offset metadata error_code
 *       partition_index => INT32
 *       committed_offset => INT64
 *       metadata => NULLABLE_STRING
 *       error_code => INT16
 * OffsetFetch Response (Version: 2) => [topics] error_code
 *   error_code => INT16
 * OffsetFetch Response (Version: 3-4) => throttle_time_ms [topics] error_code
 *   throttle_time_ms => INT32
 * OffsetFetch Response (Version: 5) => throttle_time_ms [topics] error_code
 *   topics => name [partitions]
 *     partitions => partition_index committed_offset committed_leader_epoch metadata error_code
 *       committed_leader_epoch => INT32
 *
 * Behaviour:
 * - A partition without a committed offset answers offset -1, leader epoch -1, metadata "" and no error
 *   (also for unknown groups and topics), as Kafka does.
 * - Committed metadata comes back as stored; a null committed metadata comes back as "".
 */
import type { FetchedTopic } from '../groups/coordinator.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 9;
export const name = 'OffsetFetch';
export const minVersion = 0;
export const maxVersion = 5;

export interface OffsetFetchRequest {
  groupId: string;
  topics: Array<{ name: string; partitions: number[] }> | null;
}

export function decode(r: Reader, version: number): OffsetFetchRequest {
  const groupId = r.string();
  const topic = (t: Reader) => ({ name: t.string(), partitions: t.array((p) => p.int32()) });
  const topics = version >= 2 ? r.nullableArray(topic) : r.array(topic);
  r.expectEnd();
  return { groupId, topics };
}

export function handle(req: OffsetFetchRequest, ctx: RequestContext): FetchedTopic[] {
  return ctx.broker.groups.fetchOffsets(req.groupId, req.topics);
}

export function encode(w: Writer, res: FetchedTopic[], version: number): void {
  if (version >= 3) w.int32(0);
  w.array(res, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => {
      y.int32(p.partition).int64(p.offset);
      if (version >= 5) y.int32(p.leaderEpoch);
      y.nullableString(p.metadata).int16(p.errorCode);
    });
  });
  if (version >= 2) w.int16(0);
}

/**
 * OffsetCommit (key 8), versions 0-7.
 *
 * OffsetCommit Request (Version: 0) => group_id [topics]
 *   group_id => STRING
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index committed_offset committed_metadata
 *       partition_index => INT32
 *       committed_offset => INT64
 *       committed_metadata => NULLABLE_STRING
 * OffsetCommit Request (Version: 1) => group_id generation_id member_id [topics]
 *   generation_id => INT32
 *   member_id => STRING
 *   topics => name [partitions]
 *     partitions => partition_index committed_offset commit_timestamp committed_metadata
 *       commit_timestamp => INT64
 * OffsetCommit Request (Version: 2-4) => group_id generation_id member_id retention_time_ms [topics]
 *   retention_time_ms => INT64
 *   topics => name [partitions]
 *     partitions => partition_index committed_offset committed_metadata
 * OffsetCommit Request (Version: 5) => group_id generation_id member_id [topics]
 *   topics => name [partitions]
 *     partitions => partition_index committed_offset committed_metadata
 * OffsetCommit Request (Version: 6) => group_id generation_id member_id [topics]
 *   topics => name [partitions]
 *     partitions => partition_index committed_offset committed_leader_epoch committed_metadata
 *       committed_leader_epoch => INT32
 * OffsetCommit Request (Version: 7) => group_id generation_id member_id group_instance_id [topics]
 *   group_instance_id => NULLABLE_STRING
 *   topics => name [partitions]
 *     partitions => partition_index committed_offset committed_leader_epoch committed_metadata
 *
 * OffsetCommit Response (Version: 0-2) => [topics]
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index error_code
 *       partition_index => INT32
 *       error_code => INT16
 * OffsetCommit Response (Version: 3-7) => throttle_time_ms [topics]
 *   throttle_time_ms => INT32
 *
 * Behaviour:
 * - v0 carries no generation: it is a simple commit (generation -1, no member), allowed while the group is Empty.
 * - Generation/member checks, unknown partitions and metadata size: see GroupCoordinator.commitOffsets.
 * - retention_time_ms and commit_timestamp are read and ignored (offsets are kept until the group is compacted
 *   away); the response is sent once the commit is durable.
 */
import type { CommitResult, CommitTopic } from '../groups/coordinator.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 8;
export const name = 'OffsetCommit';
export const minVersion = 0;
export const maxVersion = 7;

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: CommitTopic[];
}

export function decode(r: Reader, version: number): OffsetCommitRequest {
  const groupId = r.string();
  const generationId = version >= 1 ? r.int32() : -1;
  const memberId = version >= 1 ? r.string() : '';
  const groupInstanceId = version >= 7 ? r.nullableString() : null;
  if (version >= 2 && version <= 4) r.int64(); // retention_time_ms
  const topics = r.array((t) => ({
    name: t.string(),
    partitions: t.array((p) => {
      const partition = p.int32();
      const offset = p.int64n();
      const leaderEpoch = version >= 6 ? p.int32() : -1;
      if (version === 1) p.int64(); // commit_timestamp
      return { partition, offset, leaderEpoch, metadata: p.nullableString() };
    }),
  }));
  r.expectEnd();
  return { groupId, generationId, memberId, groupInstanceId, topics };
}

export function handle(req: OffsetCommitRequest, ctx: RequestContext): Promise<CommitResult[]> {
  return ctx.broker.groups.commitOffsets(req.groupId, req.memberId, req.generationId, req.topics);
}

export function encode(w: Writer, res: CommitResult[], version: number): void {
  if (version >= 3) w.int32(0);
  w.array(res, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.partition).int16(p.errorCode));
  });
}

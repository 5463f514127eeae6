/**
 * SyncGroup (key 14), versions 0-3.
 *
 * SyncGroup Request (Version: 0-2) => group_id generation_id member_id [assignments]
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 *   assignments => member_id assignment
 *     member_id => STRING
 *     assignment => BYTES
 * SyncGroup Request (Version: 3) => group_id generation_id member_id group_instance_id [assignments]
 *   group_instance_id => NULLABLE_STRING
 *
 * SyncGroup Response (Version: 0) => error_code assignment
 *   error_code => INT16
 *   assignment => BYTES
 * SyncGroup Response (Version: 1-3) => throttle_time_ms error_code assignment
 *   throttle_time_ms => INT32
 *
 * Behaviour:
 * - Followers' SyncGroup waits for the leader's; the leader's assignments are handed out to every member
 *   (a member the leader left out gets empty bytes) and the group becomes Stable.
 * - Only the leader's assignments are used; assignments sent by followers are ignored, as in Kafka.
 * - UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, and REBALANCE_IN_PROGRESS while a new rebalance is being prepared.
 */
import type { SyncReply } from '../groups/member.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 14;
export const name = 'SyncGroup';
export const minVersion = 0;
export const maxVersion = 3;

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  assignments: Map<string, Buffer>;
}

export function decode(r: Reader, version: number): SyncGroupRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  const assignments = new Map<string, Buffer>();
  // Copied: assignments outlive this request's buffer.
  for (const a of r.array((x) => ({ id: x.string(), bytes: Buffer.from(x.bytes()) }))) assignments.set(a.id, a.bytes);
  r.expectEnd();
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}

export function handle(req: SyncGroupRequest, ctx: RequestContext): Promise<SyncReply> {
  return ctx.broker.groups.syncGroup(req.groupId, req.memberId, req.generationId, req.assignments);
}

export function encode(w: Writer, res: SyncReply, version: number): void {
  if (version >= 1) w.int32(0);
  w.int16(res.errorCode).bytes(res.assignment);
}

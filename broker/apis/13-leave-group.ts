/**
 * LeaveGroup (key 13), versions 0-3.
 *
 * LeaveGroup Request (Version: 0-2) => group_id member_id
 *   group_id => STRING
 *   member_id => STRING
 * LeaveGroup Request (Version: 3) => group_id [members]
 *   members => member_id group_instance_id
 *     member_id => STRING
 *     group_instance_id => NULLABLE_STRING
 *
 * LeaveGroup Response (Version: 0) => error_code
 *   error_code => INT16
 * LeaveGroup Response (Version: 1-2) => throttle_time_ms error_code
 *   throttle_time_ms => INT32
 * LeaveGroup Response (Version: 3) => throttle_time_ms error_code [members]
 *   members => member_id group_instance_id error_code
 *
 * Behaviour:
 * - The member is removed at once and the group rebalances (the others learn it from their heartbeats).
 * - v0-2: the top-level error is the member's (UNKNOWN_MEMBER_ID when unknown); v3: per member, top-level none.
 */
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 13;
export const name = 'LeaveGroup';
export const minVersion = 0;
export const maxVersion = 3;

interface Leaving {
  memberId: string;
  groupInstanceId: string | null;
}
export interface LeaveGroupRequest {
  groupId: string;
  members: Leaving[];
}
export interface LeaveGroupResponse {
  errorCode: number;
  members: Array<Leaving & { errorCode: number }>;
}

export function decode(r: Reader, version: number): LeaveGroupRequest {
  const groupId = r.string();
  const members =
    version < 3
      ? [{ memberId: r.string(), groupInstanceId: null }]
      : r.array((m) => ({ memberId: m.string(), groupInstanceId: m.nullableString() }));
  r.expectEnd();
  return { groupId, members };
}

export function handle(req: LeaveGroupRequest, ctx: RequestContext): LeaveGroupResponse {
  const codes = ctx.broker.groups.leaveGroup(req.groupId, req.members);
  const members = req.members.map((m, i) => ({ ...m, errorCode: codes[i] }));
  return { errorCode: ctx.header.apiVersion < 3 ? (codes[0] ?? 0) : 0, members };
}

export function encode(w: Writer, res: LeaveGroupResponse, version: number): void {
  if (version >= 1) w.int32(0);
  w.int16(res.errorCode);
  if (version >= 3) {
    w.array(res.members, (x, m) => x.string(m.memberId).nullableString(m.groupInstanceId).int16(m.errorCode));
  }
}

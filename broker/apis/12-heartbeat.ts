/**
 * Heartbeat (key 12), versions 0-3.
 *
 * Heartbeat Request (Version: 0-2) => group_id generation_id member_id
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 * Heartbeat Request (Version: 3) => group_id generation_id member_id group_instance_id
 *   group_instance_id => NULLABLE_STRING
 *
 * Heartbeat Response (Version: 0) => error_code
 *   error_code => INT16
 * Heartbeat Response (Version: 1-3) => throttle_time_ms error_code
 *   throttle_time_ms => INT32
 *
 * Behaviour:
 * - Restarts the member's session timer. UNKNOWN_MEMBER_ID (25) for a member the group does not have (or an
 *   Empty/unknown group), ILLEGAL_GENERATION (22) for another generation, REBALANCE_IN_PROGRESS (27) while the
 *   group prepares a rebalance (the member must rejoin), otherwise no error.
 */
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 12;
export const name = 'Heartbeat';
export const minVersion = 0;
export const maxVersion = 3;

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export function decode(r: Reader, version: number): HeartbeatRequest {
  const req = {
    groupId: r.string(),
    generationId: r.int32(),
    memberId: r.string(),
    groupInstanceId: version >= 3 ? r.nullableString() : null,
  };
  r.expectEnd();
  return req;
}

export function handle(req: HeartbeatRequest, ctx: RequestContext): { errorCode: number } {
  return { errorCode: ctx.broker.groups.heartbeat(req.groupId, req.memberId, req.generationId) };
}

export function encode(w: Writer, res: { errorCode: number }, version: number): void {
  if (version >= 1) w.int32(0);
  w.int16(res.errorCode);
}

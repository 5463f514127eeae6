/**
 * ListGroups (key 16), versions 0-2.
 *
 * ListGroups Request (Version: 0-2) =>
 *
 * ListGroups Response (Version: 0) => error_code [groups]
 *   error_code => INT16
 *   groups => group_id protocol_type
 *     group_id => STRING
 *     protocol_type => STRING
 * ListGroups Response (Version: 1-2) => throttle_time_ms error_code [groups]
 *   throttle_time_ms => INT32
 *
 * Behaviour:
 * - Every group the coordinator knows: groups with members (protocol type as joined, e.g. "consumer") and
 *   groups known only by committed offsets (protocol type "").
 */
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 16;
export const name = 'ListGroups';
export const minVersion = 0;
export const maxVersion = 2;

export type ListGroupsResponse = Array<{ groupId: string; protocolType: string }>;

export function decode(r: Reader, _version: number): Record<string, never> {
  r.expectEnd();
  return {};
}

export function handle(_req: unknown, ctx: RequestContext): ListGroupsResponse {
  return ctx.broker.groups.listGroups();
}

export function encode(w: Writer, res: ListGroupsResponse, version: number): void {
  if (version >= 1) w.int32(0);
  w.int16(0);
  w.array(res, (x, g) => x.string(g.groupId).string(g.protocolType));
}

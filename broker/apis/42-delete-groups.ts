/**
 * DeleteGroups (key 42), versions 0-1.
 *
 * DeleteGroups Request (Version: 0-1) => [groups_names]
 *   groups_names => STRING
 *
 * DeleteGroups Response (Version: 0-1) => throttle_time_ms [results]
 *   throttle_time_ms => INT32
 *   results => group_id error_code
 *     group_id => STRING
 *     error_code => INT16
 *
 * Behaviour:
 * - A group with members (or mid-rebalance) → NON_EMPTY_GROUP (68); an unknown group → GROUP_ID_NOT_FOUND (69);
 *   "" → INVALID_GROUP_ID (24). Otherwise its committed offsets and saved membership are deleted durably
 *   before the answer (groups/coordinator.ts); a consumer of that group id then starts as a new group.
 */
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 42;
export const name = 'DeleteGroups';
export const minVersion = 0;
export const maxVersion = 1;

export interface DeleteGroupsRequest {
  groupIds: string[];
}
export interface DeleteGroupsResponse {
  results: Array<{ groupId: string; errorCode: number }>;
}

export function decode(r: Reader, _version: number): DeleteGroupsRequest {
  const groupIds = r.array((x) => x.string());
  r.expectEnd();
  return { groupIds };
}

export async function handle(req: DeleteGroupsRequest, ctx: RequestContext): Promise<DeleteGroupsResponse> {
  return { results: await ctx.broker.groups.deleteGroups(req.groupIds) };
}

export function encode(w: Writer, res: DeleteGroupsResponse, _version: number): void {
  w.int32(0);
  w.array(res.results, (x, g) => x.string(g.groupId).int16(g.errorCode));
}

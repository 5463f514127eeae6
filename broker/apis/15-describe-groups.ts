/**
 * DescribeGroups (key 15), versions 0-4.
 *
 * DescribeGroups Request (Version: 0-2) => [groups]
 *   groups => STRING
 * DescribeGroups Request (Version: 3-4) => [groups] include_authorized_operations
 *   include_authorized_operations => BOOLEAN
 *
 * DescribeGroups Response (Version: 0) => [groups]
 *   groups => error_code group_id group_state protocol_type protocol_data [members]
 *     error_code => INT16
 *     group_id => STRING
 *     group_state => STRING
 *     protocol_type => STRING
 *     protocol_data => STRING
 *     members => member_id client_id client_host member_metadata member_assignment
 *       member_id => STRING
 *       client_id => STRING
 *       client_host => STRING
 *       member_metadata => BYTES
 *       member_assignment => BYTES
 * DescribeGroups Response (Version: 1-2) => throttle_time_ms [groups]
 *   throttle_time_ms => INT32
 * DescribeGroups Response (Version: 3) => throttle_time_ms [groups]
 *   groups => error_code group_id group_state protocol_type protocol_data [members] authorized_operations
 *     authorized_operations => INT32
 * DescribeGroups Response (Version: 4) => throttle_time_ms [groups]
 *   groups => error_code group_id group_state protocol_type protocol_data [members] authorized_operations
 *     members => member_id group_instance_id client_id client_host member_metadata member_assignment
 *       group_instance_id => NULLABLE_STRING
 *
 * Behaviour:
 * - State is one of Empty, PreparingRebalance, CompletingRebalance, Stable, Dead (an unknown group is Dead
 *   with no error; a group known only by its committed offsets is Empty).
 * - protocol_data (the chosen protocol), member metadata and assignments are filled only when Stable, as Kafka.
 * - authorized_operations: INT32_MIN unless asked for; when asked, READ|DESCRIBE|DELETE (no ACLs here).
 */
import type { GroupDescription } from '../groups/coordinator.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 15;
export const name = 'DescribeGroups';
export const minVersion = 0;
export const maxVersion = 4;

const OPERATIONS_OMITTED = -2147483648;
/** Bits of AclOperation READ (3), DELETE (6), DESCRIBE (8). */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}
export interface DescribeGroupsResponse {
  groups: GroupDescription[];
  authorizedOperations: number;
}

export function decode(r: Reader, version: number): DescribeGroupsRequest {
  const groups = r.array((x) => x.string());
  const includeAuthorizedOperations = version >= 3 ? r.bool() : false;
  r.expectEnd();
  return { groups, includeAuthorizedOperations };
}

export function handle(req: DescribeGroupsRequest, ctx: RequestContext): DescribeGroupsResponse {
  return {
    groups: req.groups.map((g) => ctx.broker.groups.describeGroup(g)),
    authorizedOperations: req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_OMITTED,
  };
}

export function encode(w: Writer, res: DescribeGroupsResponse, version: number): void {
  if (version >= 1) w.int32(0);
  w.array(res.groups, (x, g) => {
    x.int16(g.errorCode).string(g.groupId).string(g.state).string(g.protocolType).string(g.protocolName);
    x.array(g.members, (y, m) => {
      y.string(m.memberId);
      if (version >= 4) y.nullableString(m.groupInstanceId);
      y.string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment);
    });
    if (version >= 3) x.int32(res.authorizedOperations);
  });
}

/**
 * JoinGroup (key 11), versions 0-5.
 *
 * JoinGroup Request (Version: 0) => group_id session_timeout_ms member_id protocol_type [protocols]
 *   group_id => STRING
 *   session_timeout_ms => INT32
 *   member_id => STRING
 *   protocol_type => STRING
 *   protocols => name metadata
 *     name => STRING
 *     metadata => BYTES
 * JoinGroup Request (Version: 1-4) => group_id session_timeout_ms rebalance_timeout_ms member_id protocol_type [protocols]
 *   rebalance_timeout_ms => INT32
 * JoinGroup Request (Version: 5) => group_id session_timeout_ms rebalance_timeout_ms member_id group_instance_id protocol_type [protocols]
 *   group_instance_id => NULLABLE_STRING
 *
 * JoinGroup Response (Version: 0-1) => error_code generation_id protocol_name leader member_id [members]
 *   error_code => INT16
 *   generation_id => INT32
 *   protocol_name => STRING
 *   leader => STRING
 *   member_id => STRING
 *   members => member_id metadata
 *     member_id => STRING
 *     metadata => BYTES
 * JoinGroup Response (Version: 2-4) => throttle_time_ms error_code generation_id protocol_name leader member_id [members]
 *   throttle_time_ms => INT32
 * JoinGroup Response (Version: 5) => throttle_time_ms error_code generation_id protocol_name leader member_id [members]
 *   members => member_id group_instance_id metadata
 *     group_instance_id => NULLABLE_STRING
 *
 * Behaviour:
 * - The response is held until the rebalance completes (see broker/groups/group.ts); the leader gets every
 *   member's metadata for the chosen protocol, followers an empty member list.
 * - v0 has no rebalance timeout: the session timeout is used, as in Kafka.
 * - v4+: an empty member id (without group_instance_id) is answered with MEMBER_ID_REQUIRED (79) and the new id
 *   in member_id; the client rejoins with it (kafkajs 2.2.4 and librdkafka 2.0.2 both do).
 * - v5: group_instance_id (static membership): a rejoin with a known instance id replaces its old member.
 */
import type { JoinReply } from '../groups/member.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { RequestContext } from './types.js';

export const apiKey = 11;
export const name = 'JoinGroup';
export const minVersion = 0;
export const maxVersion = 5;

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
}

export function decode(r: Reader, version: number): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const groupInstanceId = version >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  // Copied: the member keeps its metadata beyond this request's buffer.
  const protocols = r.array((p) => ({ name: p.string(), metadata: Buffer.from(p.bytes()) }));
  r.expectEnd();
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols };
}

/** `/ip`, as Kafka reports a member's host. */
export function clientHost(peer: string): string {
  const colon = peer.lastIndexOf(':');
  return `/${colon > 0 ? peer.slice(0, colon) : peer}`;
}

export function handle(req: JoinGroupRequest, ctx: RequestContext): Promise<JoinReply> {
  return ctx.broker.groups.joinGroup(req.groupId, {
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    clientId: ctx.header.clientId ?? '',
    clientHost: clientHost(ctx.session.peer),
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
    requireKnownMemberId: ctx.header.apiVersion >= 4,
  });
}

export function encode(w: Writer, res: JoinReply, version: number): void {
  if (version >= 2) w.int32(0);
  w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leaderId).string(res.memberId);
  w.array(res.members, (x, m) => {
    x.string(m.memberId);
    if (version >= 5) x.nullableString(m.groupInstanceId);
    x.bytes(m.metadata);
  });
}

/** A consumer-group member as the coordinator keeps it, and the replies to its parked JoinGroup and SyncGroup. */
import type { GroupSnapshot, MemberSnapshot } from './log-records.js';

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  /** v4+: a new member first gets MEMBER_ID_REQUIRED with its id. */
  requireKnownMemberId: boolean;
}

export interface JoinReply {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leaderId: string;
  memberId: string;
  /** Every member's metadata for the chosen protocol, for the leader only. */
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncReply {
  errorCode: number;
  assignment: Buffer;
}

export interface Member {
  readonly id: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  /** As Kafka reports it: `/` + the client's address. */
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: MemberProtocol[];
  /** This member's part of the leader's assignment (empty until the group is Stable). */
  assignment: Buffer;
  /** Set while the member's JoinGroup is held. */
  joinReply?: (r: JoinReply) => void;
  /** Set while the member's SyncGroup waits for the leader's. */
  syncReply?: (r: SyncReply) => void;
  sessionTimer?: NodeJS.Timeout;
}

export function joinError(errorCode: number, memberId: string): JoinReply {
  return { errorCode, generationId: -1, protocolName: '', leaderId: '', memberId, members: [] };
}

/** What is kept across a restart: the chosen protocol's metadata only, as Kafka stores it. */
export function toSnapshot(m: Member, protocolName: string | null): MemberSnapshot {
  return {
    memberId: m.id,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    sessionTimeoutMs: m.sessionTimeoutMs,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    metadata: m.protocols.find((p) => p.name === protocolName)?.metadata ?? Buffer.alloc(0),
    assignment: m.assignment,
  };
}

export function fromSnapshot(s: MemberSnapshot, protocolName: string): Member {
  return {
    id: s.memberId,
    groupInstanceId: s.groupInstanceId,
    clientId: s.clientId,
    clientHost: s.clientHost,
    sessionTimeoutMs: s.sessionTimeoutMs,
    rebalanceTimeoutMs: s.rebalanceTimeoutMs,
    protocols: [{ name: protocolName, metadata: s.metadata }],
    assignment: s.assignment,
  };
}

/** What a group keeps across a restart (see Group.restore). */
export function groupSnapshot(g: {
  id: string;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Map<string, Member>;
}): GroupSnapshot {
  return {
    groupId: g.id,
    generationId: g.generationId,
    protocolType: g.protocolType,
    protocolName: g.protocolName,
    leaderId: g.leaderId,
    members: [...g.members.values()].map((m) => toSnapshot(m, g.protocolName)),
  };
}

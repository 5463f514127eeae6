/** A consumer-group member as the coordinator keeps it, and the replies to its parked JoinGroup and SyncGroup. */

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
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
  protocolType: string;
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

/** Choosing a group's protocol (assignor) among its members' lists, as Kafka's GroupMetadata does. */
import { Reader } from '../protocol/reader.js';
import type { Member, MemberProtocol } from './member.js';

export function sameProtocols(a: readonly MemberProtocol[], b: readonly MemberProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata));
}

/**
 * Whether a member with this protocol type and list may (re)join: the type must match the group's and at least
 * one protocol must be supported by every other member.
 */
export function supportsProtocols(
  groupType: string | null,
  others: readonly Member[],
  protocolType: string,
  protocols: readonly MemberProtocol[],
): boolean {
  if (protocolType === '' || protocols.length === 0) return false;
  if (others.length === 0) return true;
  if (groupType !== null && groupType !== protocolType) return false;
  return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
}

/** Among protocols every member supports, the one most members list first (Kafka's vote). */
export function selectProtocol(members: readonly Member[]): string {
  const candidates = members[0].protocols
    .map((p) => p.name)
    .filter((n) => members.every((m) => m.protocols.some((p) => p.name === n)));
  const votes = new Map<string, number>();
  for (const m of members) {
    const choice = m.protocols.find((p) => candidates.includes(p.name))?.name;
    if (choice) votes.set(choice, (votes.get(choice) ?? 0) + 1);
  }
  let best = candidates[0] ?? '';
  for (const [n, v] of votes) if (v > (votes.get(best) ?? 0)) best = n;
  return best;
}

/**
 * The topics a consumer-protocol member subscribed to: its metadata for the group's chosen protocol is a
 * ConsumerProtocolSubscription (version INT16, topics [STRING], user_data BYTES, ...). Null when it cannot be
 * read (another protocol type, or garbage): then the caller must assume any topic.
 */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    r.int16();
    return r.array((x) => x.string());
  } catch {
    return null;
  }
}

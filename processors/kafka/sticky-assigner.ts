/**
 * A sticky partition assigner for kafkajs (which has only round-robin, moving healthy partitions around on every
 * rebalance): a member joining or leaving the group moves only the partitions it must, like Kafka's
 * StickyAssignor. Every partition that moves costs its new owner a state hand-over (docs/scaling.md), so fewer
 * moves means shorter pauses.
 *
 * Each member sends the partitions it owns in its subscription's userData (`{"owned": {topic: [p…]}, "since": ms}`,
 * JSON, small); the group leader keeps every member's valid claims up to that member's fair share, and gives the
 * partitions nobody may keep to the members below their share. Fair share: with N partitions and M members,
 * N mod M members hold ⌈N/M⌉ and the rest ⌊N/M⌋; the larger shares go to the members that already hold the most.
 * Two members claiming one partition (a member that was paused past its session timeout comes back believing it
 * still owns what was handed over meanwhile) is settled for the most recent claim (`since`, when its assignment
 * was received), then the smaller member id. Stickiness only saves work; it is never what keeps results right:
 * the partition commit log fences a stale owner whatever the assignment says (processors/partitions/commit-log.ts).
 *
 * Use `stickyAssigner()` per consumer: its `remember` must be called with each assignment the consumer receives
 * (the GROUP_JOIN event), so that the next join carries it.
 */
import { AssignerProtocol, type PartitionAssigner } from '../../core/kafkajs.js';

export type TopicPartitions = Record<string, number[]>;

export interface MemberClaims {
  memberId: string;
  topics: string[];
  owned: TopicPartitions;
  /** When the member received the assignment it claims (epoch ms); 0 when it claims nothing. */
  since: number;
}

interface UserData {
  owned?: TopicPartitions;
  since?: number;
}

export const STICKY_ASSIGNER = 'TicklakeStickyAssigner';

const key = (topic: string, p: number) => `${topic}\u0000${p}`;

/**
 * The assignment: members' valid claims kept up to their fair share, the rest spread over members below theirs.
 * `partitions` lists every partition of every subscribed topic. Deterministic for the same input.
 */
export function stickyAssign(members: MemberClaims[], partitions: TopicPartitions): Map<string, TopicPartitions> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const all: [string, number][] = [];
  for (const topic of Object.keys(partitions).sort()) {
    for (const p of [...partitions[topic]].sort((a, b) => a - b)) all.push([topic, p]);
  }
  const exists = new Set(all.map(([t, p]) => key(t, p)));
  // one claimant per partition: the most recent claim, then the smaller member id
  const claimant = new Map<string, MemberClaims>();
  for (const m of sorted) {
    for (const [topic, ps] of Object.entries(m.owned)) {
      if (!m.topics.includes(topic)) continue;
      for (const p of ps) {
        const k = key(topic, p);
        if (!exists.has(k)) continue;
        const other = claimant.get(k);
        if (!other || m.since > other.since) claimant.set(k, m);
      }
    }
  }
  const kept = new Map<string, [string, number][]>(sorted.map((m) => [m.memberId, []]));
  for (const [topic, p] of all) {
    const c = claimant.get(key(topic, p));
    if (c) kept.get(c.memberId)?.push([topic, p]);
  }
  // fair shares: the larger ones to the members holding the most already
  const n = all.length;
  const m = sorted.length;
  const base = m === 0 ? 0 : Math.floor(n / m);
  let extra = m === 0 ? 0 : n % m;
  const quota = new Map<string, number>();
  const byHeld = [...sorted].sort((a, b) => (kept.get(b.memberId)?.length ?? 0) - (kept.get(a.memberId)?.length ?? 0));
  for (const mem of byHeld) {
    const q = base + (extra > 0 && (kept.get(mem.memberId)?.length ?? 0) > base ? 1 : 0);
    if (q > base) extra--;
    quota.set(mem.memberId, q);
  }
  // the remaining larger shares go to the members holding the fewest, in member order
  for (const mem of sorted) {
    if (extra === 0) break;
    if (quota.get(mem.memberId) === base) {
      quota.set(mem.memberId, base + 1);
      extra--;
    }
  }
  // over-quota members release their highest partitions; what is unowned goes to members under quota
  const taken = new Set<string>();
  for (const mem of sorted) {
    const list = kept.get(mem.memberId) ?? [];
    list.splice(quota.get(mem.memberId) ?? 0);
    for (const [t, p] of list) taken.add(key(t, p));
  }
  const free = all.filter(([t, p]) => !taken.has(key(t, p)));
  for (const [topic, p] of free) {
    const open = sorted
      .filter(
        (mem) => mem.topics.includes(topic) && (kept.get(mem.memberId)?.length ?? 0) < (quota.get(mem.memberId) ?? 0),
      )
      .sort((a, b) => (kept.get(a.memberId)?.length ?? 0) - (kept.get(b.memberId)?.length ?? 0));
    // no member under quota subscribes the topic: the least loaded subscriber takes it
    const to =
      open[0] ??
      sorted
        .filter((mem) => mem.topics.includes(topic))
        .sort((a, b) => (kept.get(a.memberId)?.length ?? 0) - (kept.get(b.memberId)?.length ?? 0))[0];
    if (to) kept.get(to.memberId)?.push([topic, p]);
  }
  const out = new Map<string, TopicPartitions>();
  for (const mem of sorted) {
    const a: TopicPartitions = {};
    for (const [t, p] of kept.get(mem.memberId) ?? []) {
      a[t] ??= [];
      a[t].push(p);
    }
    for (const t of Object.keys(a)) a[t].sort((x, y) => x - y);
    out.set(mem.memberId, a);
  }
  return out;
}

export interface StickyAssigner {
  assigner: PartitionAssigner;
  /** The assignment this consumer received (GROUP_JOIN's memberAssignment): carried in its next join. */
  remember(assignment: TopicPartitions): void;
}

export function stickyAssigner(now: () => number = Date.now): StickyAssigner {
  let owned: TopicPartitions = {};
  let since = 0;
  const assigner: PartitionAssigner = ({ cluster }) => ({
    name: STICKY_ASSIGNER,
    version: 0,
    async assign({ members, topics }) {
      const claims: MemberClaims[] = members.map(({ memberId, memberMetadata }) => {
        const meta = AssignerProtocol.MemberMetadata.decode(memberMetadata);
        let data: UserData = {};
        try {
          data = meta?.userData?.length ? (JSON.parse(meta.userData.toString('utf8')) as UserData) : {};
        } catch {
          data = {}; // a member of another version: it claims nothing
        }
        return { memberId, topics: meta?.topics ?? topics, owned: data.owned ?? {}, since: data.since ?? 0 };
      });
      const partitions: TopicPartitions = {};
      for (const t of topics) partitions[t] = cluster.findTopicPartitionMetadata(t).map((x) => x.partitionId);
      const result = stickyAssign(claims, partitions);
      return [...result].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment,
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: STICKY_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: Buffer.from(JSON.stringify({ owned, since } satisfies UserData)),
        }),
      };
    },
  });
  return {
    assigner,
    remember(assignment) {
      owned = Object.fromEntries(Object.entries(assignment).map(([t, ps]) => [t, [...ps]]));
      since = now();
    },
  };
}

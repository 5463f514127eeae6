/**
 * One consumer group's membership state machine, after Kafka's GroupCoordinator/GroupMetadata:
 *
 *   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance --leader sync--> Stable
 *     ^                  ^   |                                         |                               |
 *     |                  |   +--(no member left)--> Empty              +-------- join/leave/expiry ----+
 *     +------------------+-------------------------------------------------------------------------------
 *
 * Behaviour:
 * - A JoinGroup is held until every known member has rejoined or the rebalance timeout (largest among members)
 *   passes; members that did not rejoin are removed. The first rebalance of an empty group waits
 *   `initialDelayMs`, extended while new members keep arriving (up to the rebalance timeout), so members that
 *   start together land in one generation.
 * - The leader (kept across generations while it stays) gets every member's metadata for the chosen protocol,
 *   followers an empty list; SyncGroup waits for the leader's assignment and hands each member its part.
 * - Each member has a session timer, restarted by every heartbeat, join and sync; on expiry the member is
 *   removed and the group rebalances. Members parked in a JoinGroup or SyncGroup are not expired.
 * - A member that does not send SyncGroup within the rebalance timeout after the join completed is removed.
 * - JoinGroup v4+ with an empty member id: the id is handed out with MEMBER_ID_REQUIRED and the member must
 *   rejoin with it within its session timeout (pending members hold up the join like Kafka's).
 * - snapshot() on settling (Stable or Empty) and restore() after a broker restart keep the generation, members
 *   and assignments, as Kafka keeps them in __consumer_offsets; restored members get a fresh session timer.
 * - Every timer is unref'ed and cleared by shutdown(); replies are callbacks, never polled.
 */
import { randomUUID } from 'node:crypto';
import { KafkaError } from '../protocol/error-codes.js';
import type { GroupSnapshot } from './log-records.js';
import {
  fromSnapshot,
  groupSnapshot,
  type JoinReply,
  type JoinRequest,
  joinError,
  type Member,
  type SyncReply,
} from './member.js';
import { sameProtocols, selectProtocol, supportsProtocols } from './protocols.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const timer = (ms: number, fn: () => void): NodeJS.Timeout => setTimeout(fn, ms).unref();

export interface GroupHooks {
  /** Every state change, with the reason (for logs). */
  onChange?: (g: Group, why: string) => void;
  /** The group settled into a generation worth keeping across restarts: Stable (leader assigned) or Empty. */
  onSettled?: (g: Group) => void;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, awaiting the member's rejoin. */
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private joinTimer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  /** During the initial delayed join: when it started and how many members had joined at the last check. */
  private initial: { startedAt: number; seen: number } | undefined;

  constructor(
    readonly id: string,
    private readonly initialDelayMs: number,
    private readonly hooks: GroupHooks = {},
  ) {}

  /** A group as last saved: Stable with its members (each with a fresh session timer), or Empty. */
  static restore(s: GroupSnapshot, initialDelayMs: number, hooks: GroupHooks = {}): Group {
    const g = new Group(s.groupId, initialDelayMs, hooks);
    g.generationId = s.generationId;
    g.protocolType = s.protocolType;
    g.protocolName = s.protocolName;
    for (const ms of s.members) g.members.set(ms.memberId, fromSnapshot(ms, s.protocolName ?? ''));
    g.leaderId =
      s.leaderId !== null && g.members.has(s.leaderId) ? s.leaderId : (g.members.keys().next().value ?? null);
    g.state = g.members.size > 0 ? 'Stable' : 'Empty';
    for (const m of g.members.values()) g.touch(m);
    return g;
  }

  snapshot(): GroupSnapshot {
    return groupSnapshot(this);
  }

  join(req: JoinRequest, reply: (r: JoinReply) => void) {
    if (this.state === 'Dead') return reply(joinError(KafkaError.COORDINATOR_NOT_AVAILABLE, req.memberId));
    const others = [...this.members.values()].filter((m) => m.id !== req.memberId);
    if (!supportsProtocols(this.protocolType, others, req.protocolType, req.protocols)) {
      return reply(joinError(KafkaError.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    }
    if (req.memberId === '') return this.joinNew(req, reply);
    if (this.pending.has(req.memberId)) {
      clearTimeout(this.pending.get(req.memberId));
      this.pending.delete(req.memberId);
      return this.addAndRebalance(req.memberId, req, reply);
    }
    const m = this.members.get(req.memberId);
    if (!m) return reply(joinError(KafkaError.UNKNOWN_MEMBER_ID, req.memberId));
    if (req.groupInstanceId !== null && m.groupInstanceId !== req.groupInstanceId) {
      return reply(joinError(KafkaError.FENCED_INSTANCE_ID, req.memberId));
    }
    const unchanged = sameProtocols(m.protocols, req.protocols);
    switch (this.state) {
      case 'PreparingRebalance':
        this.update(m, req, reply);
        return this.maybeCompleteJoin();
      case 'CompletingRebalance':
      case 'Stable':
        // A rejoin with nothing new (a lost JoinGroup response, or a follower re-checking) gets the current
        // generation back; the leader or changed metadata starts a new rebalance.
        if (unchanged && (this.state === 'CompletingRebalance' || m.id !== this.leaderId)) {
          this.touch(m);
          return reply(this.joinReplyFor(m));
        }
        this.update(m, req, reply);
        return this.prepareRebalance(`member ${m.id} rejoined`);
      default:
        return reply(joinError(KafkaError.UNKNOWN_MEMBER_ID, req.memberId));
    }
  }

  sync(memberId: string, generationId: number, assignments: Map<string, Buffer> | null, reply: (r: SyncReply) => void) {
    const m = this.members.get(memberId);
    if (!m) return reply({ errorCode: KafkaError.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) });
    if (generationId !== this.generationId) {
      return reply({ errorCode: KafkaError.ILLEGAL_GENERATION, assignment: Buffer.alloc(0) });
    }
    switch (this.state) {
      case 'CompletingRebalance': {
        m.syncReply?.({ errorCode: KafkaError.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
        m.syncReply = reply;
        this.touch(m);
        if (m.id !== this.leaderId || !assignments) return;
        for (const member of this.members.values()) member.assignment = assignments.get(member.id) ?? Buffer.alloc(0);
        clearTimeout(this.syncTimer);
        this.state = 'Stable';
        this.hooks.onChange?.(this, 'leader assignment received');
        this.hooks.onSettled?.(this);
        for (const member of this.members.values()) {
          const r = member.syncReply;
          member.syncReply = undefined;
          r?.({ errorCode: KafkaError.NONE, assignment: member.assignment });
        }
        return;
      }
      case 'Stable':
        this.touch(m);
        return reply({ errorCode: KafkaError.NONE, assignment: m.assignment });
      case 'PreparingRebalance':
        return reply({ errorCode: KafkaError.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
      default:
        return reply({ errorCode: KafkaError.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) });
    }
  }

  heartbeat(memberId: string, generationId: number): number {
    const m = this.members.get(memberId);
    if (!m || this.state === 'Empty' || this.state === 'Dead') return KafkaError.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return KafkaError.ILLEGAL_GENERATION;
    this.touch(m);
    return this.state === 'PreparingRebalance' ? KafkaError.REBALANCE_IN_PROGRESS : KafkaError.NONE;
  }

  leave(memberId: string, groupInstanceId: string | null): number {
    if (this.pending.has(memberId)) {
      clearTimeout(this.pending.get(memberId));
      this.pending.delete(memberId);
      this.maybeCompleteJoin();
      return KafkaError.NONE;
    }
    let m = this.members.get(memberId);
    if (groupInstanceId !== null) {
      const byInstance = this.memberByInstance(groupInstanceId);
      if (byInstance && memberId !== '' && byInstance.id !== memberId) return KafkaError.FENCED_INSTANCE_ID;
      m = byInstance;
    }
    if (!m) return KafkaError.UNKNOWN_MEMBER_ID;
    this.remove(m, 'left the group');
    return KafkaError.NONE;
  }

  /** Whether a commit from this member and generation is acceptable (Kafka's validateOffsetCommit). */
  validateCommit(memberId: string, generationId: number): number {
    if (this.state === 'Dead') return KafkaError.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0 && this.state === 'Empty') return KafkaError.NONE;
    if (this.state === 'CompletingRebalance') return KafkaError.REBALANCE_IN_PROGRESS;
    if (!this.members.has(memberId)) return KafkaError.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return KafkaError.ILLEGAL_GENERATION;
    return KafkaError.NONE;
  }

  /** Drops every member and timer; parked requests are answered with NOT_COORDINATOR. */
  shutdown() {
    clearTimeout(this.joinTimer);
    clearTimeout(this.syncTimer);
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    for (const m of this.members.values()) this.dropMember(m, KafkaError.NOT_COORDINATOR);
    this.members.clear();
    this.state = 'Dead';
  }

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  private joinNew(req: JoinRequest, reply: (r: JoinReply) => void) {
    const memberId = `${req.clientId || 'member'}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      // Static membership: a known instance id takes over its old member's place; the old id is fenced.
      const old = this.memberByInstance(req.groupInstanceId);
      if (old) this.remove(old, `replaced by a new member with instance id ${req.groupInstanceId}`, true);
      return this.addAndRebalance(memberId, req, reply);
    }
    if (req.requireKnownMemberId) {
      this.pending.set(
        memberId,
        timer(req.sessionTimeoutMs, () => {
          this.pending.delete(memberId);
          this.maybeCompleteJoin();
        }),
      );
      return reply(joinError(KafkaError.MEMBER_ID_REQUIRED, memberId));
    }
    this.addAndRebalance(memberId, req, reply);
  }

  private addAndRebalance(memberId: string, req: JoinRequest, reply: (r: JoinReply) => void) {
    const m: Member = {
      id: memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocols: req.protocols,
      assignment: Buffer.alloc(0),
      joinReply: reply,
    };
    this.members.set(memberId, m);
    this.leaderId ??= memberId;
    if (this.members.size === 1) this.protocolType = req.protocolType;
    if (this.state === 'PreparingRebalance') this.maybeCompleteJoin();
    else this.prepareRebalance(`member ${memberId} joined`);
  }

  private update(m: Member, req: JoinRequest, reply: (r: JoinReply) => void) {
    m.protocols = req.protocols;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.clientId = req.clientId;
    m.clientHost = req.clientHost;
    m.joinReply?.(joinError(KafkaError.REBALANCE_IN_PROGRESS, m.id));
    m.joinReply = reply;
  }

  private prepareRebalance(why: string) {
    if (this.state === 'CompletingRebalance') {
      for (const m of this.members.values()) {
        m.assignment = Buffer.alloc(0);
        const r = m.syncReply;
        m.syncReply = undefined;
        r?.({ errorCode: KafkaError.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
      }
    }
    clearTimeout(this.syncTimer);
    clearTimeout(this.joinTimer);
    const wasEmpty = this.state === 'Empty';
    this.state = 'PreparingRebalance';
    this.hooks.onChange?.(this, `preparing rebalance: ${why}`);
    if (wasEmpty && this.initialDelayMs > 0) {
      this.initial = { startedAt: Date.now(), seen: this.members.size };
      this.joinTimer = timer(this.initialDelayMs, () => this.onInitialDelay());
      return;
    }
    this.initial = undefined;
    this.joinTimer = timer(this.rebalanceTimeoutMs(), () => this.completeJoin());
    this.maybeCompleteJoin();
  }

  private onInitialDelay() {
    const init = this.initial;
    if (!init || this.state !== 'PreparingRebalance') return;
    const left = this.rebalanceTimeoutMs() - (Date.now() - init.startedAt);
    if (this.members.size > init.seen && left > 0) {
      init.seen = this.members.size;
      this.joinTimer = timer(Math.min(this.initialDelayMs, left), () => this.onInitialDelay());
      return;
    }
    this.initial = undefined;
    this.completeJoin();
  }

  private maybeCompleteJoin() {
    if (this.state !== 'PreparingRebalance' || this.initial) return;
    for (const m of this.members.values()) if (!m.joinReply) return;
    if (this.pending.size > 0) return;
    this.completeJoin();
  }

  private completeJoin() {
    if (this.state !== 'PreparingRebalance') return;
    clearTimeout(this.joinTimer);
    this.initial = undefined;
    for (const m of [...this.members.values()]) {
      if (!m.joinReply) this.dropMember(m, KafkaError.UNKNOWN_MEMBER_ID);
    }
    this.generationId++;
    if (this.members.size === 0) {
      this.state = 'Empty';
      this.protocolName = null;
      this.leaderId = null;
      this.hooks.onChange?.(this, 'no members left');
      this.hooks.onSettled?.(this);
      return;
    }
    if (!this.leaderId || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value!;
    this.protocolName = selectProtocol([...this.members.values()]);
    this.state = 'CompletingRebalance';
    this.hooks.onChange?.(this, 'join complete');
    for (const m of this.members.values()) {
      const r = m.joinReply!;
      m.joinReply = undefined;
      this.touch(m);
      r(this.joinReplyFor(m));
    }
    const gen = this.generationId;
    this.syncTimer = timer(this.rebalanceTimeoutMs(), () => {
      if (this.state !== 'CompletingRebalance' || this.generationId !== gen) return;
      for (const m of [...this.members.values()]) if (!m.syncReply) this.dropMember(m, KafkaError.UNKNOWN_MEMBER_ID);
      this.prepareRebalance('members did not sync in time');
    });
  }

  private joinReplyFor(m: Member): JoinReply {
    const leader = m.id === this.leaderId;
    return {
      errorCode: KafkaError.NONE,
      generationId: this.generationId,
      protocolName: this.protocolName ?? '',
      leaderId: this.leaderId ?? '',
      memberId: m.id,
      members: leader
        ? [...this.members.values()].map((x) => ({
            memberId: x.id,
            groupInstanceId: x.groupInstanceId,
            metadata: x.protocols.find((p) => p.name === this.protocolName)?.metadata ?? Buffer.alloc(0),
          }))
        : [],
    };
  }

  /** Restarts the member's session timer. */
  private touch(m: Member) {
    clearTimeout(m.sessionTimer);
    m.sessionTimer = timer(m.sessionTimeoutMs, () => {
      if (this.members.get(m.id) !== m) return;
      if (m.joinReply || m.syncReply) return this.touch(m);
      this.remove(m, `session timeout (${m.sessionTimeoutMs} ms)`);
    });
  }

  private remove(m: Member, why: string, fenced = false) {
    this.dropMember(m, fenced ? KafkaError.FENCED_INSTANCE_ID : KafkaError.UNKNOWN_MEMBER_ID);
    this.hooks.onChange?.(this, `member ${m.id} removed: ${why}`);
    if (this.state === 'PreparingRebalance') this.maybeCompleteJoin();
    else if (this.state === 'Stable' || this.state === 'CompletingRebalance') this.prepareRebalance(why);
  }

  private dropMember(m: Member, errorCode: number) {
    clearTimeout(m.sessionTimer);
    this.members.delete(m.id);
    if (this.leaderId === m.id) this.leaderId = this.members.keys().next().value ?? null;
    const jr = m.joinReply;
    const sr = m.syncReply;
    m.joinReply = m.syncReply = undefined;
    jr?.(joinError(errorCode, m.id));
    sr?.({ errorCode, assignment: Buffer.alloc(0) });
  }

  private memberByInstance(instanceId: string): Member | undefined {
    for (const m of this.members.values()) if (m.groupInstanceId === instanceId) return m;
    return undefined;
  }

  private rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max || this.initialDelayMs || 1;
  }
}

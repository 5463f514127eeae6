/**
 * Consumer groups: membership, rebalances and generations (group.ts), committed offsets and each group's
 * settled membership persisted under `<dataDir>/groups` (group-log.ts). The API modules 08-16 decode requests
 * and call this class.
 *
 * Behaviour:
 * - A group exists once someone joins it or commits offsets for it; memory is bounded by groups, members and
 *   committed partitions, never by the number of commits.
 * - OffsetCommit is checked like Kafka's: generation -1 (simple/admin commit) only while the group is Empty;
 *   otherwise the member must be known (UNKNOWN_MEMBER_ID) and the generation current (ILLEGAL_GENERATION);
 *   REBALANCE_IN_PROGRESS while the group completes a rebalance. Unknown topics/partitions are refused
 *   per partition with UNKNOWN_TOPIC_OR_PARTITION, metadata above 4096 bytes with OFFSET_METADATA_TOO_LARGE.
 * - OffsetFetch answers -1 and "" for partitions without a committed offset; null topics means all of them.
 * - After a restart, groups come back as last settled (Stable with their members and assignments, or Empty), as
 *   Kafka reloads them from __consumer_offsets: running consumers keep heartbeating and committing; members that
 *   do not come back are evicted when their session times out.
 * - Session timeouts below MIN_SESSION_TIMEOUT_MS or above MAX_SESSION_TIMEOUT_MS get INVALID_SESSION_TIMEOUT.
 * - DeleteGroups and OffsetDelete (admin) forget a group or some of its offsets durably, as Kafka checks them.
 */
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import type { BrokerConfig } from '../context.js';
import type { TopicStore } from '../log/topic-store.js';
import { KafkaError } from '../protocol/error-codes.js';
import { Group, type GroupHooks, type GroupState } from './group.js';
import { GroupLog, type OffsetEntry } from './group-log.js';
import { type JoinReply, type JoinRequest, joinError, type SyncReply } from './member.js';
import { subscribedTopics } from './protocols.js';

/** Lower than Kafka's 6 s default so tests and local runs can use short sessions. */
export const MIN_SESSION_TIMEOUT_MS = 100;
export const MAX_SESSION_TIMEOUT_MS = 30 * 60_000;
export const MAX_METADATA_BYTES = 4096;

export interface CommitTopic {
  name: string;
  partitions: Array<{ partition: number; offset: number; leaderEpoch: number; metadata: string | null }>;
}
export interface CommitResult {
  name: string;
  partitions: Array<{ partition: number; errorCode: number }>;
}
export interface FetchedTopic {
  name: string;
  partitions: Array<{ partition: number; offset: number; leaderEpoch: number; metadata: string; errorCode: number }>;
}
export interface GroupDescription {
  errorCode: number;
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }>;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private closed = false;
  private readonly hooks: GroupHooks = {
    // Rebalances are rare and operators want to see them (Kafka logs them at INFO too).
    onChange: (g, why) => this.log.info({ group: g.id, state: g.state, generation: g.generationId }, why),
    onSettled: (g) => {
      // Not awaited: a crash before it lands only means members rejoin after the restart.
      this.store.saveGroup(g.snapshot()).catch((err) => this.log.error({ err, group: g.id }, 'group not saved'));
    },
  };

  private constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
    readonly topics: TopicStore,
    private readonly store: GroupLog,
  ) {
    for (const s of store.snapshots()) {
      this.groups.set(s.groupId, Group.restore(s, config.groupInitialRebalanceDelayMs, this.hooks));
    }
  }

  static async open(config: BrokerConfig, log: Logger, topics: TopicStore): Promise<GroupCoordinator> {
    const groupLog = await GroupLog.open(join(config.dataDir, 'groups'), config.fsync !== 'never', log);
    return new GroupCoordinator(config, log, topics, groupLog);
  }

  private group(groupId: string, create: boolean): Group | undefined {
    let g = this.groups.get(groupId);
    if (!g && create && !this.closed) {
      g = new Group(groupId, this.config.groupInitialRebalanceDelayMs, this.hooks);
      this.groups.set(groupId, g);
    }
    return g;
  }

  joinGroup(groupId: string, req: JoinRequest): Promise<JoinReply> {
    if (groupId === '') return Promise.resolve(joinError(KafkaError.INVALID_GROUP_ID, req.memberId));
    if (req.sessionTimeoutMs < MIN_SESSION_TIMEOUT_MS || req.sessionTimeoutMs > MAX_SESSION_TIMEOUT_MS) {
      return Promise.resolve(joinError(KafkaError.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    const g = this.group(groupId, req.memberId === '');
    if (!g) {
      const code = this.closed ? KafkaError.NOT_COORDINATOR : KafkaError.UNKNOWN_MEMBER_ID;
      return Promise.resolve(joinError(code, req.memberId));
    }
    return new Promise((resolve) => g.join(req, resolve));
  }

  syncGroup(
    groupId: string,
    memberId: string,
    generationId: number,
    assignments: Map<string, Buffer> | null,
  ): Promise<SyncReply> {
    const g = this.group(groupId, false);
    if (!g) return Promise.resolve({ errorCode: KafkaError.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) });
    return new Promise((resolve) => g.sync(memberId, generationId, assignments, resolve));
  }

  heartbeat(groupId: string, memberId: string, generationId: number): number {
    return this.group(groupId, false)?.heartbeat(memberId, generationId) ?? KafkaError.UNKNOWN_MEMBER_ID;
  }

  leaveGroup(groupId: string, members: Array<{ memberId: string; groupInstanceId: string | null }>): number[] {
    const g = this.group(groupId, false);
    return members.map((m) => g?.leave(m.memberId, m.groupInstanceId) ?? KafkaError.UNKNOWN_MEMBER_ID);
  }

  async commitOffsets(
    groupId: string,
    memberId: string,
    generationId: number,
    topics: CommitTopic[],
  ): Promise<CommitResult[]> {
    const all = (errorCode: number): CommitResult[] =>
      topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode })),
      }));
    if (groupId === '') return all(KafkaError.INVALID_GROUP_ID);
    if (this.closed) return all(KafkaError.NOT_COORDINATOR);
    const g = this.group(groupId, generationId < 0);
    const verdict = g ? g.validateCommit(memberId, generationId) : KafkaError.ILLEGAL_GENERATION;
    if (verdict !== KafkaError.NONE) return all(verdict);

    const now = Date.now();
    const accepted: OffsetEntry[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const count = this.topics.partitionCount(t.name);
        let errorCode: number = KafkaError.NONE;
        if (count === undefined || p.partition < 0 || p.partition >= count) {
          errorCode = KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
        } else if (p.metadata !== null && Buffer.byteLength(p.metadata) > MAX_METADATA_BYTES) {
          errorCode = KafkaError.OFFSET_METADATA_TOO_LARGE;
        } else {
          accepted.push({
            topic: t.name,
            partition: p.partition,
            offset: p.offset,
            leaderEpoch: p.leaderEpoch,
            metadata: p.metadata ?? '',
            commitTimestamp: now,
          });
        }
        return { partition: p.partition, errorCode };
      }),
    }));
    try {
      await this.store.commit(groupId, accepted);
    } catch (err) {
      this.log.error({ err, group: groupId }, 'offset commit failed');
      return all(KafkaError.COORDINATOR_NOT_AVAILABLE);
    }
    return results;
  }

  fetchOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }> | null): FetchedTopic[] {
    const committed = this.store.groupOffsets(groupId);
    const none = { offset: -1, leaderEpoch: -1, metadata: '', errorCode: KafkaError.NONE };
    if (topics === null) {
      return [...(committed ?? new Map()).entries()].map(([name, parts]) => ({
        name,
        partitions: [...parts.entries()].map(([partition, c]) => ({ partition, ...c, errorCode: KafkaError.NONE })),
      }));
    }
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partition) => {
        const c = committed?.get(t.name)?.get(partition);
        return c
          ? { partition, offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: 0 }
          : { partition, ...none };
      }),
    }));
  }

  describeGroup(groupId: string): GroupDescription {
    const g = this.groups.get(groupId);
    if (!g) {
      const known = this.store.groupOffsets(groupId) !== undefined;
      return {
        errorCode: KafkaError.NONE,
        groupId,
        state: known ? 'Empty' : 'Dead',
        protocolType: '',
        protocolName: '',
        members: [],
      };
    }
    // As Kafka: metadata and assignment only once the group is Stable.
    const stable = g.state === 'Stable';
    return {
      errorCode: KafkaError.NONE,
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocolName: stable ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.id,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable
          ? (m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? Buffer.alloc(0))
          : Buffer.alloc(0),
        assignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  listGroups(): Array<{ groupId: string; protocolType: string }> {
    const out = new Map<string, string>();
    for (const id of this.store.offsetGroups()) out.set(id, '');
    for (const g of this.groups.values()) out.set(g.id, g.protocolType ?? '');
    return [...out].map(([groupId, protocolType]) => ({ groupId, protocolType }));
  }

  /**
   * DeleteGroups: each group must exist (GROUP_ID_NOT_FOUND) and have no members (NON_EMPTY_GROUP); its
   * committed offsets and saved membership are then forgotten, durably, before the answer.
   */
  async deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const out: Array<{ groupId: string; errorCode: number }> = [];
    for (const groupId of groupIds) {
      let errorCode: number = KafkaError.NONE;
      const g = this.groups.get(groupId);
      if (groupId === '') errorCode = KafkaError.INVALID_GROUP_ID;
      else if (this.closed) errorCode = KafkaError.NOT_COORDINATOR;
      else if (g && (g.members.size > 0 || g.hasPending || g.state !== 'Empty')) errorCode = KafkaError.NON_EMPTY_GROUP;
      else if (!g && this.store.groupOffsets(groupId) === undefined) errorCode = KafkaError.GROUP_ID_NOT_FOUND;
      else {
        try {
          await this.store.deleteGroup(groupId);
          g?.shutdown();
          this.groups.delete(groupId);
          this.log.info({ group: groupId }, 'group deleted');
        } catch (err) {
          this.log.error({ err, group: groupId }, 'group deletion failed');
          errorCode = KafkaError.COORDINATOR_NOT_AVAILABLE;
        }
      }
      out.push({ groupId, errorCode });
    }
    return out;
  }

  /**
   * OffsetDelete: forgets a group's committed offsets of some partitions. The group must exist
   * (GROUP_ID_NOT_FOUND, for the whole request); a topic that a member of the group (consumer protocol) is
   * subscribed to is refused per partition with GROUP_SUBSCRIBED_TO_TOPIC, an unknown partition with
   * UNKNOWN_TOPIC_OR_PARTITION. Partitions without a committed offset are simply answered without error.
   */
  async deleteOffsets(
    groupId: string,
    topics: Array<{ name: string; partitions: number[] }>,
  ): Promise<{ errorCode: number; topics: CommitResult[] }> {
    const none = { errorCode: KafkaError.NONE, topics: [] as CommitResult[] };
    if (groupId === '') return { ...none, errorCode: KafkaError.INVALID_GROUP_ID };
    if (this.closed) return { ...none, errorCode: KafkaError.NOT_COORDINATOR };
    const g = this.groups.get(groupId);
    if ((!g || g.state === 'Dead') && this.store.groupOffsets(groupId) === undefined) {
      return { ...none, errorCode: KafkaError.GROUP_ID_NOT_FOUND };
    }
    const subscribed = (topic: string): boolean => {
      if (!g || g.members.size === 0) return false;
      return [...g.members.values()].some((m) => {
        const meta = m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? m.protocols[0]?.metadata;
        const subs = g.protocolType === 'consumer' && meta ? subscribedTopics(meta) : null;
        return subs === null || subs.includes(topic);
      });
    };
    const drop: Array<{ topic: string; partition: number }> = [];
    const results = topics.map((t) => {
      const count = this.topics.partitionCount(t.name);
      const busy = subscribed(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((partition) => {
          let errorCode: number = KafkaError.NONE;
          if (count === undefined || partition < 0 || partition >= count)
            errorCode = KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
          else if (busy) errorCode = KafkaError.GROUP_SUBSCRIBED_TO_TOPIC;
          else drop.push({ topic: t.name, partition });
          return { partition, errorCode };
        }),
      };
    });
    try {
      await this.store.deleteOffsets(groupId, drop);
    } catch (err) {
      this.log.error({ err, group: groupId }, 'offset deletion failed');
      return { ...none, errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE };
    }
    return { errorCode: KafkaError.NONE, topics: results };
  }

  /** For DeleteTopics: forgets every group's committed offsets of the topic, durably. */
  async topicDeleted(topic: string): Promise<void> {
    await this.store.topicDeleted(topic);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const g of this.groups.values()) g.shutdown();
    this.groups.clear();
    await this.store.close();
  }
}

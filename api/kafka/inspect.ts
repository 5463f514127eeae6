/**
 * What the #/kafka page shows, through kafkajs's admin client (so a real cluster answers the same way): topics with
 * their partitions (leader, replicas, low and high watermarks, messages = high − low) and configs; consumer groups
 * with their state, members (client, host, assigned partitions) and committed offsets with the lag per partition.
 * Internal topics (`__consumer_offsets`) are left out.
 */
import { AssignerProtocol } from '../../core/kafkajs.js';

/** kafkajs's ConfigResourceTypes.TOPIC (not a named ESM export of kafkajs under every loader). */
const TOPIC_RESOURCE = 2;

import type { KafkaPageClient } from './client.js';

export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  low: number;
  high: number;
  messages: number;
}

export interface TopicInfo {
  name: string;
  partitions: PartitionInfo[];
  messages: number;
}

export async function listTopics(k: KafkaPageClient): Promise<TopicInfo[]> {
  const names = (await k.call('list topics', (a) => a.listTopics())).filter((n) => !n.startsWith('__')).sort();
  if (names.length === 0) return [];
  const meta = await k.call('describe topics', (a) => a.fetchTopicMetadata({ topics: names }));
  const out: TopicInfo[] = [];
  for (const t of meta.topics) {
    const offsets = await k.call(`offsets of ${t.name}`, (a) => a.fetchTopicOffsets(t.name));
    const byP = new Map(offsets.map((o) => [o.partition, o]));
    const partitions = t.partitions
      .map((p): PartitionInfo => {
        const o = byP.get(p.partitionId);
        const low = Number(o?.low ?? 0);
        const high = Number(o?.high ?? 0);
        return {
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          low,
          high,
          messages: Math.max(0, high - low),
        };
      })
      .sort((a, b) => a.partition - b.partition);
    out.push({ name: t.name, partitions, messages: partitions.reduce((n, p) => n + p.messages, 0) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  isDefault: boolean;
  readOnly: boolean;
  source: number | null;
}

/** A topic's configs (DescribeConfigs); `error` when the cluster cannot say (an older embedded broker). */
export async function topicConfigs(
  k: KafkaPageClient,
  topic: string,
): Promise<{ configs: ConfigEntry[]; error?: string }> {
  try {
    const r = await k.call(`describe configs of ${topic}`, (a) =>
      a.describeConfigs({ resources: [{ type: TOPIC_RESOURCE, name: topic }], includeSynonyms: false }),
    );
    const entries = r.resources[0]?.configEntries ?? [];
    return {
      configs: entries
        .map((e) => ({
          name: e.configName,
          value: e.isSensitive ? '(sensitive)' : e.configValue,
          isDefault: e.isDefault,
          readOnly: e.readOnly,
          source: (e as { configSource?: number }).configSource ?? null,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  } catch (e) {
    return { configs: [], error: (e as Error).message };
  }
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  assignment: { topic: string; partitions: number[] }[];
}

export interface GroupOffset {
  topic: string;
  partition: number;
  /** Committed offset (null: none committed). */
  offset: number | null;
  high: number;
  /** high − committed (all of the partition when nothing is committed). */
  lag: number;
}

export interface GroupInfo {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMember[];
  offsets: GroupOffset[];
  lag: number;
}

export async function listGroups(k: KafkaPageClient): Promise<GroupInfo[]> {
  const { groups } = await k.call('list groups', (a) => a.listGroups());
  const ids = groups.map((g) => g.groupId).sort();
  return ids.length ? describeGroups(k, ids) : [];
}

export async function describeGroups(k: KafkaPageClient, ids: string[]): Promise<GroupInfo[]> {
  const described = await k.call('describe groups', (a) => a.describeGroups(ids));
  const highs = new Map<string, Map<number, number>>();
  const highOf = async (topic: string) => {
    let m = highs.get(topic);
    if (!m) {
      const o = await k.call(`offsets of ${topic}`, (a) => a.fetchTopicOffsets(topic)).catch(() => []);
      m = new Map(o.map((x) => [x.partition, Number(x.high)]));
      highs.set(topic, m);
    }
    return m;
  };
  const out: GroupInfo[] = [];
  for (const g of described.groups) {
    const members = g.members.map((m): GroupMember => {
      let assignment: GroupMember['assignment'] = [];
      if (g.protocolType === 'consumer' && m.memberAssignment?.length) {
        const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
        assignment = Object.entries(a?.assignment ?? {}).map(([topic, partitions]) => ({
          topic,
          partitions: [...(partitions as number[])].sort((x, y) => x - y),
        }));
      }
      return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment };
    });
    const committed = await k.call(`offsets of group ${g.groupId}`, (a) => a.fetchOffsets({ groupId: g.groupId }));
    const offsets: GroupOffset[] = [];
    for (const t of committed) {
      const h = await highOf(t.topic);
      for (const p of t.partitions) {
        const off = Number(p.offset);
        const high = h.get(p.partition) ?? 0;
        const has = Number.isFinite(off) && off >= 0;
        offsets.push({
          topic: t.topic,
          partition: p.partition,
          offset: has ? off : null,
          high,
          lag: Math.max(0, high - (has ? off : 0)),
        });
      }
    }
    offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    out.push({
      groupId: g.groupId,
      state: g.state,
      protocolType: g.protocolType,
      protocol: g.protocol,
      members,
      offsets: offsets.filter(
        (o) => o.offset !== null || members.some((m) => m.assignment.some((x) => x.topic === o.topic)),
      ),
      lag: offsets.reduce((n, o) => n + (o.offset === null ? 0 : o.lag), 0),
    });
  }
  return out;
}

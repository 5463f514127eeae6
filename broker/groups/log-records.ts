/**
 * The records of the groups log (`<dataDir>/groups/groups.log`), framed as `int32 length, int32 crc32(payload),
 * payload`. The payload starts with a kind byte:
 *
 *   0 offsets => group [topic partition offset leader_epoch commit_timestamp metadata]
 *   1 group   => group generation protocol_type? protocol_name? leader?
 *                [member_id instance_id? client_id client_host session_ms rebalance_ms metadata assignment]
 *   2 topic deleted => topic   (every group's committed offsets of the topic are dropped)
 *   3 group deleted => group   (DeleteGroups: the group's offsets and membership are dropped)
 *   4 offsets deleted => group [topic partition]   (OffsetDelete)
 *
 * (strings int16-prefixed, `?` nullable, arrays int32-counted, bytes int32-prefixed: the Kafka primitives.)
 * A group record is the membership of the group's last Stable (or Empty) generation, as Kafka keeps it in
 * __consumer_offsets, so members carry on across a broker restart.
 */
import { crc32 } from 'node:zlib';
import { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
}

export interface OffsetEntry extends CommittedOffset {
  topic: string;
  partition: number;
}

export interface MemberSnapshot {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** Metadata for the group's chosen protocol only. */
  metadata: Buffer;
  assignment: Buffer;
}

export interface GroupSnapshot {
  groupId: string;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: MemberSnapshot[];
}

export type LogRecord =
  | { kind: 'offsets'; group: string; entries: OffsetEntry[] }
  | { kind: 'group'; snapshot: GroupSnapshot }
  | { kind: 'topic-deleted'; topic: string }
  | { kind: 'group-deleted'; group: string }
  | { kind: 'offsets-deleted'; group: string; partitions: Array<{ topic: string; partition: number }> };

const OFFSETS = 0;
const GROUP = 1;
const TOPIC_DELETED = 2;
const GROUP_DELETED = 3;
const OFFSETS_DELETED = 4;

export function encodeRecord(w: Writer, rec: LogRecord): void {
  const lenAt = w.reserveInt32();
  const crcAt = w.reserveInt32();
  const start = w.offset;
  if (rec.kind === 'offsets') {
    w.int8(OFFSETS).string(rec.group);
    w.array(rec.entries, (x, e) => {
      x.string(e.topic).int32(e.partition).int64(e.offset).int32(e.leaderEpoch).int64(e.commitTimestamp);
      x.string(e.metadata);
    });
  } else if (rec.kind === 'topic-deleted') {
    w.int8(TOPIC_DELETED).string(rec.topic);
  } else if (rec.kind === 'group-deleted') {
    w.int8(GROUP_DELETED).string(rec.group);
  } else if (rec.kind === 'offsets-deleted') {
    w.int8(OFFSETS_DELETED).string(rec.group);
    w.array(rec.partitions, (x, p) => x.string(p.topic).int32(p.partition));
  } else {
    const g = rec.snapshot;
    w.int8(GROUP).string(g.groupId).int32(g.generationId);
    w.nullableString(g.protocolType).nullableString(g.protocolName).nullableString(g.leaderId);
    w.array(g.members, (x, m) => {
      x.string(m.memberId).nullableString(m.groupInstanceId).string(m.clientId).string(m.clientHost);
      x.int32(m.sessionTimeoutMs).int32(m.rebalanceTimeoutMs).bytes(m.metadata).bytes(m.assignment);
    });
  }
  w.setInt32(lenAt, w.offset - start);
  w.setInt32(crcAt, crc32(w.view().subarray(start)) | 0);
}

/** Throws ProtocolError (or Error for an unknown kind) when the payload is not a whole record. */
export function decodeRecord(payload: Buffer): LogRecord {
  const r = new Reader(payload);
  const kind = r.int8();
  let rec: LogRecord;
  if (kind === OFFSETS) {
    const group = r.string();
    const entries = r.array((x) => ({
      topic: x.string(),
      partition: x.int32(),
      offset: x.int64n(),
      leaderEpoch: x.int32(),
      commitTimestamp: x.int64n(),
      metadata: x.string(),
    }));
    rec = { kind: 'offsets', group, entries };
  } else if (kind === GROUP) {
    const snapshot: GroupSnapshot = {
      groupId: r.string(),
      generationId: r.int32(),
      protocolType: r.nullableString(),
      protocolName: r.nullableString(),
      leaderId: r.nullableString(),
      members: r.array((x) => ({
        memberId: x.string(),
        groupInstanceId: x.nullableString(),
        clientId: x.string(),
        clientHost: x.string(),
        sessionTimeoutMs: x.int32(),
        rebalanceTimeoutMs: x.int32(),
        metadata: Buffer.from(x.bytes()),
        assignment: Buffer.from(x.bytes()),
      })),
    };
    rec = { kind: 'group', snapshot };
  } else if (kind === TOPIC_DELETED) {
    rec = { kind: 'topic-deleted', topic: r.string() };
  } else if (kind === GROUP_DELETED) {
    rec = { kind: 'group-deleted', group: r.string() };
  } else if (kind === OFFSETS_DELETED) {
    const group = r.string();
    rec = { kind: 'offsets-deleted', group, partitions: r.array((x) => ({ topic: x.string(), partition: x.int32() })) };
  } else {
    throw new Error(`unknown record kind ${kind}`);
  }
  if (r.remaining !== 0) throw new Error(`${r.remaining} bytes after the record`);
  return rec;
}

/** Reads the framed record at `at`: the record and the next position, or why it is unreadable. */
export function readRecordAt(buf: Buffer, at: number): { rec: LogRecord; next: number } | string {
  if (buf.length - at < 8) return 'truncated header';
  const len = buf.readInt32BE(at);
  if (len < 0 || len > buf.length - at - 8) return `bad length ${len}`;
  const payload = buf.subarray(at + 8, at + 8 + len);
  if ((crc32(payload) | 0) !== buf.readInt32BE(at + 4)) return 'crc mismatch';
  try {
    return { rec: decodeRecord(payload), next: at + 8 + len };
  } catch (err) {
    return (err as Error).message;
  }
}

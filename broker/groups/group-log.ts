/**
 * The durable state of consumer groups: committed offsets and each group's last Stable/Empty membership,
 * in one append-only file `<dataDir>/groups/groups.log` (record format: log-records.ts).
 *
 * Behaviour:
 * - One OffsetCommit request is one record, appended and (unless fsync is off) fdatasync'ed before the commit
 *   becomes visible and is acknowledged. Concurrent appends are written together (group commit), so the fsync
 *   count follows the write rate, not the commit count.
 * - On open the log is replayed up to the first torn or corrupt record (a crash mid-append loses only that
 *   unacknowledged record), then rewritten as a snapshot holding one offsets record and at most one group
 *   record per group (tmp file, fsync, rename, fsync of the directory), so a crash during compaction leaves
 *   the old file whole.
 * - The same compaction runs when the appended bytes outgrow the last snapshot, so disk and memory are bounded
 *   by groups x (partitions + members), never by the number of commits or rebalances.
 * - Metadata is stored as a string: a null committed metadata comes back as "", as in Kafka.
 */
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { tlError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { Writer } from '../protocol/writer.js';
import {
  type CommittedOffset,
  encodeRecord,
  type GroupSnapshot,
  type LogRecord,
  type OffsetEntry,
  readRecordAt,
} from './log-records.js';

export type { CommittedOffset, GroupSnapshot, OffsetEntry };

/** topic -> partition -> committed offset */
export type GroupOffsets = Map<string, Map<number, CommittedOffset>>;

interface PendingAppend {
  rec: LogRecord;
  resolve: () => void;
  reject: (err: Error) => void;
}

const FILE = 'groups.log';
const MIN_COMPACT_BYTES = 4 * 1024 * 1024;

export class GroupLog {
  private readonly offsets = new Map<string, GroupOffsets>();
  private readonly groups = new Map<string, GroupSnapshot>();
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private size = 0;
  private snapshotSize = 0;
  private closed = false;
  private fh: FileHandle | null = null;

  private constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
    private readonly log: Logger,
  ) {}

  static async open(dir: string, fsync: boolean, log: Logger): Promise<GroupLog> {
    await mkdir(dir, { recursive: true });
    const store = new GroupLog(dir, fsync, log);
    await store.replay();
    await store.compact();
    return store;
  }

  /** The committed offsets of a group (do not mutate). */
  groupOffsets(group: string): GroupOffsets | undefined {
    return this.offsets.get(group);
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(topic)?.get(partition);
  }

  /** Groups with committed offsets. */
  offsetGroups(): IterableIterator<string> {
    return this.offsets.keys();
  }

  /** The last saved membership of every group, as found at open and saved since. */
  snapshots(): IterableIterator<GroupSnapshot> {
    return this.groups.values();
  }

  /** Resolves once the commit is durable (and visible to get()). */
  commit(group: string, entries: OffsetEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.append({ kind: 'offsets', group, entries });
  }

  /** Resolves once the group's membership is durable. */
  saveGroup(snapshot: GroupSnapshot): Promise<void> {
    return this.append({ kind: 'group', snapshot });
  }

  /** Drops every group's committed offsets of a deleted topic (durably: a re-created topic starts clean). */
  topicDeleted(topic: string): Promise<void> {
    return this.append({ kind: 'topic-deleted', topic });
  }

  /** DeleteGroups: forgets the group's committed offsets and membership, durably. */
  deleteGroup(group: string): Promise<void> {
    return this.append({ kind: 'group-deleted', group });
  }

  /** OffsetDelete: forgets the group's committed offsets of these partitions, durably. */
  deleteOffsets(group: string, partitions: Array<{ topic: string; partition: number }>): Promise<void> {
    if (partitions.length === 0) return Promise.resolve();
    return this.append({ kind: 'offsets-deleted', group, partitions });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.fh?.close();
    this.fh = null;
  }

  private get path(): string {
    return join(this.dir, FILE);
  }

  private append(rec: LogRecord): Promise<void> {
    if (this.closed) return Promise.reject(tlError('TL_BROKER_IO', { file: this.path, reason: 'store closed' }));
    return new Promise((resolve, reject) => {
      this.queue.push({ rec, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private apply(rec: LogRecord): void {
    if (rec.kind === 'group') {
      this.groups.set(rec.snapshot.groupId, rec.snapshot);
      return;
    }
    if (rec.kind === 'group-deleted') {
      this.offsets.delete(rec.group);
      this.groups.delete(rec.group);
      return;
    }
    if (rec.kind === 'offsets-deleted') {
      const topics = this.offsets.get(rec.group);
      for (const p of rec.partitions) {
        const parts = topics?.get(p.topic);
        parts?.delete(p.partition);
        if (parts?.size === 0) topics!.delete(p.topic);
      }
      if (topics?.size === 0) this.offsets.delete(rec.group);
      return;
    }
    if (rec.kind === 'topic-deleted') {
      for (const [group, topics] of this.offsets) {
        topics.delete(rec.topic);
        if (topics.size === 0) this.offsets.delete(group);
      }
      return;
    }
    let topics = this.offsets.get(rec.group);
    if (!topics) {
      topics = new Map();
      this.offsets.set(rec.group, topics);
    }
    for (const e of rec.entries) {
      let parts = topics.get(e.topic);
      if (!parts) {
        parts = new Map();
        topics.set(e.topic, parts);
      }
      const { offset, leaderEpoch, metadata, commitTimestamp } = e;
      parts.set(e.partition, { offset, leaderEpoch, metadata, commitTimestamp });
    }
  }

  private async replay(): Promise<void> {
    let buf: Buffer;
    try {
      buf = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw tlError('TL_BROKER_IO', { file: this.path, reason: (err as Error).message }, err);
    }
    let at = 0;
    let records = 0;
    while (at < buf.length) {
      const got = readRecordAt(buf, at);
      if (typeof got === 'string') {
        this.log.warn(
          { file: this.path, position: at, dropped: buf.length - at, reason: got },
          'groups log: torn tail',
        );
        break;
      }
      this.apply(got.rec);
      at = got.next;
      records++;
    }
    this.log.debug({ file: this.path, records, groups: this.offsets.size }, 'groups log replayed');
  }

  /** Rewrites the log from memory, atomically, and reopens it for appending. */
  private async compact(): Promise<void> {
    const w = new Writer(64 * 1024);
    for (const snapshot of this.groups.values()) encodeRecord(w, { kind: 'group', snapshot });
    for (const [group, topics] of this.offsets) {
      const entries: OffsetEntry[] = [];
      for (const [topic, parts] of topics) for (const [partition, c] of parts) entries.push({ topic, partition, ...c });
      encodeRecord(w, { kind: 'offsets', group, entries });
    }
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile(w.view());
      await out.sync();
    } finally {
      await out.close();
    }
    // Renaming over the open file is safe: the old handle keeps the old inode until it is swapped below.
    await rename(tmp, this.path);
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    const next = await open(this.path, 'a');
    await this.fh?.close();
    this.fh = next;
    this.size = this.snapshotSize = w.offset;
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const w = new Writer(4096);
        for (const a of batch) encodeRecord(w, a.rec);
        try {
          if (!this.fh) throw new Error('groups log is not open');
          await this.fh.appendFile(w.view());
          if (this.fsync) await this.fh.datasync();
        } catch (err) {
          const e = tlError('TL_BROKER_IO', { file: this.path, reason: (err as Error).message }, err);
          this.log.error({ err }, 'groups log append failed');
          // Cut a partial append so later records are not hidden behind it at the next replay.
          await this.fh?.truncate(this.size).catch(() => {});
          for (const a of batch) a.reject(e);
          continue;
        }
        this.size += w.offset;
        for (const a of batch) {
          this.apply(a.rec);
          a.resolve();
        }
        if (this.size - this.snapshotSize > Math.max(MIN_COMPACT_BYTES, this.snapshotSize)) {
          await this.compact().catch((err) => this.log.error({ err }, 'groups log compaction failed'));
        }
      }
    } finally {
      this.flushing = null;
    }
  }
}

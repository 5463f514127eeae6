/**
 * Committed consumer-group offsets, durable under `<dataDir>/groups/offsets.log`.
 *
 * Behaviour:
 * - One OffsetCommit request is one record: `int32 length, uint32 crc32(payload), payload`, appended and (unless
 *   fsync is off) fdatasync'ed before the commit becomes visible and is acknowledged. Concurrent commits are
 *   written together (group commit), so the fsync count follows the write rate, not the commit count.
 * - On open the log is replayed up to the first torn or corrupt record (a crash mid-append loses only that
 *   unacknowledged commit), then rewritten as a snapshot with one record per group (tmp file, fsync, rename,
 *   fsync of the directory), so a crash during compaction leaves the old file whole.
 * - The same compaction runs when the appended bytes outgrow the last snapshot, so disk and memory are bounded
 *   by groups x partitions, never by the number of commits.
 * - Metadata is stored as a string: a null committed metadata comes back as "", as in Kafka.
 */

import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { tlError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';

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

/** topic -> partition -> committed offset */
export type GroupOffsets = Map<string, Map<number, CommittedOffset>>;

interface PendingCommit {
  group: string;
  entries: OffsetEntry[];
  resolve: () => void;
  reject: (err: Error) => void;
}

const FILE = 'offsets.log';
const MIN_COMPACT_BYTES = 4 * 1024 * 1024;

function encodeRecord(w: Writer, group: string, entries: Iterable<OffsetEntry>, count: number): void {
  const lenAt = w.reserveInt32();
  const crcAt = w.reserveInt32();
  const start = w.offset;
  w.string(group).int32(count);
  for (const e of entries) {
    w.string(e.topic).int32(e.partition).int64(e.offset).int32(e.leaderEpoch).int64(e.commitTimestamp);
    w.string(e.metadata);
  }
  w.setInt32(lenAt, w.offset - start);
  w.setInt32(crcAt, crc32(w.view().subarray(start)) | 0);
}

function decodeRecord(payload: Buffer): { group: string; entries: OffsetEntry[] } {
  const r = new Reader(payload);
  const group = r.string();
  const entries = r.array((x) => ({
    topic: x.string(),
    partition: x.int32(),
    offset: x.int64n(),
    leaderEpoch: x.int32(),
    commitTimestamp: x.int64n(),
    metadata: x.string(),
  }));
  return { group, entries };
}

export class OffsetStore {
  private readonly byGroup = new Map<string, GroupOffsets>();
  private queue: PendingCommit[] = [];
  private flushing: Promise<void> | null = null;
  private size = 0;
  private snapshotSize = 0;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
    private readonly log: Logger,
    private fh: FileHandle | null = null,
  ) {}

  static async open(dir: string, fsync: boolean, log: Logger): Promise<OffsetStore> {
    await mkdir(dir, { recursive: true });
    const store = new OffsetStore(dir, fsync, log);
    await store.replay();
    await store.compact();
    return store;
  }

  /** The committed offsets of a group (do not mutate). */
  group(group: string): GroupOffsets | undefined {
    return this.byGroup.get(group);
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  groups(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  /** Resolves once the commit is durable (and visible to get()). */
  commit(group: string, entries: OffsetEntry[]): Promise<void> {
    if (this.closed) return Promise.reject(tlError('TL_BROKER_IO', { file: this.path, reason: 'store closed' }));
    if (entries.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ group, entries, resolve, reject });
      this.flushing ??= this.flush();
    });
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

  private apply(group: string, entries: readonly OffsetEntry[]): void {
    let topics = this.byGroup.get(group);
    if (!topics) {
      topics = new Map();
      this.byGroup.set(group, topics);
    }
    for (const e of entries) {
      let parts = topics.get(e.topic);
      if (!parts) {
        parts = new Map();
        topics.set(e.topic, parts);
      }
      parts.set(e.partition, {
        offset: e.offset,
        leaderEpoch: e.leaderEpoch,
        metadata: e.metadata,
        commitTimestamp: e.commitTimestamp,
      });
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
      const why = this.readRecordAt(buf, at);
      if (typeof why === 'string') {
        this.log.warn(
          { file: this.path, position: at, dropped: buf.length - at, reason: why },
          'offsets log: torn tail',
        );
        break;
      }
      at = why;
      records++;
    }
    this.log.debug({ file: this.path, records, groups: this.byGroup.size }, 'offsets log replayed');
  }

  /** Applies the record at `at` and returns the next position, or the reason it is unreadable. */
  private readRecordAt(buf: Buffer, at: number): number | string {
    if (buf.length - at < 8) return 'truncated header';
    const len = buf.readInt32BE(at);
    if (len < 0 || len > buf.length - at - 8) return `bad length ${len}`;
    const payload = buf.subarray(at + 8, at + 8 + len);
    if ((crc32(payload) | 0) !== buf.readInt32BE(at + 4)) return 'crc mismatch';
    try {
      const { group, entries } = decodeRecord(payload);
      this.apply(group, entries);
    } catch (err) {
      return (err as Error).message;
    }
    return at + 8 + len;
  }

  /** Rewrites the log as one record per group, atomically, and reopens it for appending. */
  private async compact(): Promise<void> {
    const w = new Writer(64 * 1024);
    for (const [group, topics] of this.byGroup) {
      let count = 0;
      for (const parts of topics.values()) count += parts.size;
      const entries = function* () {
        for (const [topic, parts] of topics) for (const [partition, c] of parts) yield { topic, partition, ...c };
      };
      encodeRecord(w, group, entries(), count);
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
        for (const c of batch) encodeRecord(w, c.group, c.entries, c.entries.length);
        try {
          if (!this.fh) throw new Error('offsets log is not open');
          await this.fh.appendFile(w.view());
          if (this.fsync) await this.fh.datasync();
        } catch (err) {
          const e = tlError('TL_BROKER_IO', { file: this.path, reason: (err as Error).message }, err);
          this.log.error({ err }, 'offset commit not written');
          // Cut a partial append so later records are not hidden behind it at the next replay.
          await this.fh?.truncate(this.size).catch(() => {});
          for (const c of batch) c.reject(e);
          continue;
        }
        this.size += w.offset;
        for (const c of batch) {
          this.apply(c.group, c.entries);
          c.resolve();
        }
        if (this.size - this.snapshotSize > Math.max(MIN_COMPACT_BYTES, this.snapshotSize)) {
          await this.compact().catch((err) => this.log.error({ err }, 'offsets log compaction failed'));
        }
      }
    } finally {
      this.flushing = null;
    }
  }
}

/**
 * The durable log of one partition: a directory `<topic>-<partition>` of segments (see segment.ts).
 *
 * Behaviour:
 * - Appends assign offsets by rewriting each batch's base offset and write the request's bytes unchanged
 *   otherwise (compressed batches stay compressed). One write per append, synchronous, so offsets and file
 *   order cannot interleave.
 * - An append is two steps (prepare: write; then commit or abort), so that a Produce request touching several
 *   partitions appends to all or to none. Nothing changes before the write succeeded: a failed write (a full
 *   disk) is cut off the file again and leaves offsets, the idempotent-producer state, the tail cache and
 *   waiting fetches as they were; the caller answers KAFKA_STORAGE_ERROR and the client's retry is a new
 *   append, never taken for a duplicate of one that was not stored.
 * - fsync: `sync()` coalesces every append made so far into one fdatasync (group commit); the Produce handler
 *   awaits it for acks=-1 (policy acks-all) or for every append (policy always).
 * - Rolls to a new segment when the active one reaches segment.bytes; a producer-state snapshot is written then.
 * - Reads return whole batches only (log-read.ts). Reads near the end are served from a bounded in-memory copy
 *   of the newest appends (tail-cache.ts), others from the file.
 * - Retention (cleanup.policy delete) deletes whole closed segments older than retention.ms or beyond
 *   retention.bytes. DeleteRecords moves the log start offset to any offset (persisted in `log-start-offset`)
 *   and deletes the segments wholly below it. Compaction (cleaner.ts) swaps segments for compacted copies.
 * - On open (partition-files.ts), leftovers of an interrupted compaction are removed and the active segment is
 *   scanned with CRC checks; a torn tail is truncated.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crashPoint } from '../../core/crash-points.js';
import type { Logger } from '../../core/log.js';
import { KafkaError } from '../protocol/error-codes.js';
import type { BatchInfo } from '../protocol/record-batch.js';
import { renameDurably, unlinkDurably, writeFileAtomic } from './atomic-file.js';
import { offsetForTime, readFrom } from './log-read.js';
import { loadPartition, writeCleanerCheckpoint, writeLogStartOffset } from './partition-files.js';
import { ProducerState, type SequenceVerdict } from './producer-state.js';
import { Segment, segmentName } from './segment.js';
import { TAIL_CACHE_BYTES, type TailBudget, TailCache } from './tail-cache.js';
import type { LogSettings } from './topic-config.js';

export type { LogSettings };

export type AppendResult = { errorCode: 0; baseOffset: number; duplicate: boolean } | { errorCode: number };

/** A written, not yet committed append (see prepare). */
export interface PreparedAppend {
  log: PartitionLog;
  segment: Segment;
  records: Buffer;
  batches: BatchInfo[];
  first: number;
  next: number;
  maxTimestamp: number;
}

/** Index positions are int32 (as in Kafka): a segment may exceed its limit by one append, so keep well below 2 GiB. */
export const MAX_SEGMENT_BYTES = 1024 ** 3;

export class PartitionLog {
  private segments: Segment[] = [];
  producers = new ProducerState();
  private readonly waiters = new Set<() => void>();
  private writeSeq = 0;
  private syncedSeq = 0;
  private syncing: Promise<void> | null = null;
  private closed = false;
  private readonly tail: TailCache;
  private startOffset = 0;
  private checkpoint = 0;
  /** Unknown after a start (no checkpoint yet): due, so that one pass finds out. */
  private tombstoneDue = 0;
  private prepared: PreparedAppend | null = null;
  /** Bumped whenever segments are swapped or deleted, so a read that raced with it is tried again. */
  private generation = 0;
  /** Set while the cleaner works on this partition; close() waits for it. */
  cleaning: Promise<unknown> | null = null;

  private constructor(
    readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    /** The topic's effective settings: one object per topic, updated in place by AlterConfigs. */
    readonly settings: LogSettings,
    private readonly log: Logger,
    tailBudget?: TailBudget,
  ) {
    this.tail = new TailCache(TAIL_CACHE_BYTES, tailBudget);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }
  get logStartOffset(): number {
    return Math.max(this.startOffset, this.segments[0].baseOffset);
  }
  /** Log end offset; with no replicas and no transactions it is also the high watermark and the LSO. */
  get highWatermark(): number {
    return this.active.nextOffset;
  }
  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** The offset below which the log is compacted. */
  get cleanerCheckpoint(): number {
    return this.checkpoint;
  }
  /** When tombstones kept by the last cleaner pass may be removed (Infinity: none kept). */
  get tombstonesDueAt(): number {
    return this.tombstoneDue;
  }

  static async open(
    dataDir: string,
    topic: string,
    partition: number,
    settings: LogSettings,
    log: Logger,
    /** The memory all of the broker's partitions share for their tail caches; without one, only this partition's. */
    tailBudget?: TailBudget,
  ): Promise<PartitionLog> {
    const dir = join(dataDir, 'topics', `${topic}-${partition}`);
    mkdirSync(dir, { recursive: true });
    const p = new PartitionLog(dir, topic, partition, settings, log, tailBudget);
    await p.load();
    return p;
  }

  private async load(): Promise<void> {
    const loaded = await loadPartition(this.dir, this.log);
    this.segments = loaded.segments;
    this.producers = loaded.producers;
    this.startOffset = loaded.startOffset;
    this.checkpoint = loaded.checkpoint;
    this.tombstoneDue = loaded.tombstoneDue;
  }

  /** What appending these batches would mean for idempotence, without appending. */
  checkSequence(b: BatchInfo): SequenceVerdict {
    return this.producers.check(b);
  }

  /**
   * Checks and writes the batches of one Produce request for this partition (a view into the request; base
   * offsets are rewritten in place), without making them visible: commit() does that, abort() takes the
   * bytes back. A duplicate or a sequence error is answered here and writes nothing. A failed write (ENOSPC,
   * EIO) is cut off the file again and answered KAFKA_STORAGE_ERROR.
   */
  prepare(records: Buffer, batches: BatchInfo[]): PreparedAppend | AppendResult {
    if (this.closed) return { errorCode: KafkaError.KAFKA_STORAGE_ERROR };
    if (this.prepared) throw new Error(`${this.dir}: an append is already prepared`);
    if (batches.length === 1) {
      const v = this.producers.check(batches[0]);
      if (v.kind === 'duplicate') return { errorCode: 0, baseOffset: v.baseOffset, duplicate: true };
      if (v.kind === 'error') return { errorCode: v.code };
    } else {
      // Several batches for one partition (rare): all must be new and in sequence, checked on a scratch copy.
      const scratch = ProducerState.fromJSON(this.producers.toJSON());
      for (const b of batches) {
        const v = scratch.check(b);
        if (v.kind !== 'append')
          return { errorCode: v.kind === 'error' ? v.code : KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER };
        scratch.record(b, 0);
      }
    }
    try {
      const segmentBytes = Math.min(this.settings.segmentBytes, MAX_SEGMENT_BYTES);
      if (this.active.size > 0 && this.active.size + records.length > segmentBytes) {
        this.roll();
        this.applyRetention();
      }
      const first = this.active.nextOffset;
      let next = first;
      let maxTimestamp = -1;
      for (const b of batches) {
        setBaseOffsetOf(records, b, next);
        next += b.lastOffsetDelta + 1;
        if (b.maxTimestamp > maxTimestamp) maxTimestamp = b.maxTimestamp;
      }
      this.active.write(records);
      crashPoint('append-written');
      this.prepared = { log: this, segment: this.active, records, batches, first, next, maxTimestamp };
      return this.prepared;
    } catch (err) {
      this.storageFailure(err, 'append failed');
      return { errorCode: KafkaError.KAFKA_STORAGE_ERROR };
    }
  }

  /** Makes a prepared append visible: offsets, index, producer state, tail cache, waiting fetches. */
  commit(p: PreparedAppend): AppendResult {
    if (this.prepared !== p) throw new Error(`${this.dir}: commit of an append that is not prepared`);
    this.prepared = null;
    p.segment.commitWrite(p.records.length, p.batches, p.next, p.maxTimestamp);
    for (const b of p.batches) this.producers.record(b, b.baseOffset);
    this.tail.add(
      p.first,
      p.next,
      p.records,
      p.batches.map((b) => b.size),
    );
    this.writeSeq++;
    this.wake();
    return { errorCode: 0, baseOffset: p.first, duplicate: false };
  }

  /** Takes a prepared append's bytes off the file again (another partition of the request failed). */
  abort(p: PreparedAppend): void {
    if (this.prepared !== p) return;
    this.prepared = null;
    try {
      p.segment.discardWrite();
    } catch (err) {
      this.storageFailure(err, 'could not take back an aborted append');
    }
  }

  /** prepare + commit: appends the batches of one partition of a Produce request. */
  append(records: Buffer, batches: BatchInfo[]): AppendResult {
    const p = this.prepare(records, batches);
    return 'segment' in p ? this.commit(p) : p;
  }

  private storageFailure(err: unknown, what: string): void {
    const code = 'TL_BROKER_IO';
    this.log.error({ code, dir: this.dir, err: (err as Error).message }, `broker storage: ${what}`);
  }

  /** Resolves when everything appended so far is on disk; concurrent callers share one fdatasync. */
  async sync(): Promise<void> {
    const target = this.writeSeq;
    while (this.syncedSeq < target && !this.closed) {
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      const upTo = this.writeSeq;
      const seg = this.active;
      this.syncing = seg.sync().finally(() => {
        this.syncing = null;
      });
      await this.syncing;
      this.syncedSeq = Math.max(this.syncedSeq, upTo);
    }
  }

  /**
   * Closes the active segment and starts a new one. Everything that can fail on a full disk happens before the
   * switch, and what it left is removed, so a failed roll leaves the log as it was.
   */
  private roll(): void {
    const old = this.active;
    const base = old.nextOffset;
    // Synchronously and before the new file exists, once per segment: recovery scans only the last segment,
    // and a later sync() only covers the new active one.
    old.syncNow();
    const snap = join(this.dir, segmentName(base, 'snapshot'));
    let seg: Segment | undefined;
    try {
      // The snapshot describes producer state as of the new segment's base offset (written before the switch).
      writeFileAtomic(snap, JSON.stringify(this.producers.toJSON()), false);
      old.flushIndex();
      seg = Segment.create(this.dir, base);
    } catch (err) {
      rmSync(snap, { force: true });
      throw err;
    }
    seg.nextOffset = base;
    this.segments.push(seg);
  }

  /** Closed segments, oldest first (for the cleaner). */
  closedSegments(): readonly Segment[] {
    return this.segments.slice(0, -1);
  }

  /**
   * The cleaner's swap of a segment for its compacted copy `cleanedPath` (written and fsynced): the old index is
   * deleted, then the copy renamed over the segment, each step made durable, so that a crash leaves either the
   * old segment or the new one, and a missing index is rebuilt on start. False when the segment went away
   * meanwhile (retention, DeleteRecords, topic deletion).
   */
  swapCleaned(
    old: Segment,
    cleanedPath: string,
    size: number,
    batches: ReadonlyArray<{ baseOffset: number; position: number; size: number }>,
  ): boolean {
    const i = this.segments.indexOf(old);
    if (this.closed || i < 0 || i === this.segments.length - 1) return false;
    unlinkDurably(old.indexPath);
    crashPoint('cleaner-mid-swap');
    renameDurably(cleanedPath, old.logPath);
    crashPoint('cleaner-after-swap');
    const seg = Segment.fromCleaned(this.dir, old.baseOffset, old.nextOffset, size, old.lastModifiedMs, batches);
    seg.maxTimestamp = old.maxTimestamp;
    seg.flushIndex();
    old.retire();
    this.segments[i] = seg;
    this.generation++;
    // The tail cache may hold copies of what was compacted away.
    this.tail.dropBelow(this.active.baseOffset);
    return true;
  }

  /** Records a finished cleaner pass: compacted up to `offset`; kept tombstones may go from `tombstonesDueAt`. */
  setCleanerCheckpoint(offset: number, tombstonesDueAt: number): void {
    writeCleanerCheckpoint(this.dir, offset, tombstonesDueAt);
    this.checkpoint = offset;
    this.tombstoneDue = tombstonesDueAt;
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (at most the high watermark), durably, and deletes
   * the segments wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): number {
    const target = Math.min(offset, this.highWatermark);
    if (target <= this.logStartOffset) return this.logStartOffset;
    writeLogStartOffset(this.dir, target);
    this.startOffset = target;
    let deleted = 0;
    while (this.segments.length > 1 && this.segments[1].baseOffset <= target) {
      this.removeOldest();
      deleted++;
    }
    this.tail.dropBelow(target);
    this.producers.expire(this.logStartOffset);
    this.log.info({ dir: this.dir, logStartOffset: target, segments: deleted }, 'records deleted');
    return this.logStartOffset;
  }

  private removeOldest(): void {
    const oldest = this.segments.shift()!;
    oldest.remove();
    rmSync(join(this.dir, segmentName(oldest.baseOffset, 'snapshot')), { force: true });
    this.generation++;
  }

  /** Deletes whole closed segments beyond the retention limits; returns how many were deleted. */
  applyRetention(now = Date.now()): number {
    const { retentionBytes, retentionMs, deleteRetention, compact } = this.settings;
    if (!deleteRetention) {
      this.producers.expire(this.logStartOffset, now);
      return 0;
    }
    // An active segment that has seen no append for the whole retention time is rolled, so that it can go too
    // (not on a compacted topic: the log end must stay on a record, see log-read.ts).
    if (!compact && retentionMs >= 0 && this.active.size > 0 && now - this.active.lastModifiedMs > retentionMs) {
      try {
        this.roll();
      } catch (err) {
        this.storageFailure(err, 'roll failed');
      }
    }
    let total = this.sizeBytes;
    let deleted = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0];
      const tooBig = retentionBytes >= 0 && total - oldest.size >= retentionBytes;
      const tooOld = retentionMs >= 0 && now - oldest.lastModifiedMs > retentionMs;
      if (!tooBig && !tooOld) break;
      this.removeOldest();
      total -= oldest.size;
      deleted++;
    }
    this.producers.expire(this.logStartOffset, now);
    if (deleted > 0) {
      this.tail.dropBelow(this.logStartOffset);
      this.log.info({ dir: this.dir, segments: deleted, logStartOffset: this.logStartOffset }, 'retention');
    }
    return deleted;
  }

  /**
   * Whole batches starting with the one that holds `offset` (or the first after it, across a compaction gap),
   * about maxBytes long (at least one batch). Returns null when offset is outside [log start, log end).
   */
  async read(offset: number, maxBytes: number): Promise<Buffer | null> {
    if (offset < this.logStartOffset || offset >= this.highWatermark) return null;
    const cached = this.tail.read(offset, maxBytes);
    if (cached) return cached;
    for (let attempt = 0; ; attempt++) {
      const generation = this.generation;
      try {
        return await readFrom(this.segments, offset, maxBytes);
      } catch (err) {
        // Retention, DeleteRecords, compaction or a topic deletion replaced the segment mid-read: read again
        // from the current segments (or, when the offset is gone, return nothing: the next fetch sees why).
        if (this.closed || offset < this.logStartOffset) return null;
        if (generation === this.generation || attempt >= 2) throw err;
      }
    }
  }

  /** First offset whose batch has a timestamp at or after ts (ListOffsets by time), or the log end. */
  offsetForTime(ts: number): Promise<number> {
    return offsetForTime(this.segments, ts, this.highWatermark);
  }

  /** Calls fn once, on the next append (or when the log closes). */
  onAppend(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  private wake(): void {
    if (this.waiters.size === 0) return;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.syncing) await this.syncing.catch(() => {});
    if (this.cleaning) await this.cleaning.catch(() => {});
    for (const s of this.segments) s.close();
    // its share of the broker's tail budget goes back (a deleted topic's logs are closed, then dropped)
    this.tail.clear();
    this.wake();
  }

  /** Closes and removes the partition's directory. */
  async destroy(): Promise<void> {
    await this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function setBaseOffsetOf(records: Buffer, b: BatchInfo, offset: number): void {
  records.writeBigInt64BE(BigInt(offset), b.position);
  b.baseOffset = offset;
}

/**
 * The durable log of one partition: a directory `<topic>-<partition>` of segments (see segment.ts).
 *
 * Behaviour:
 * - Appends assign offsets by rewriting each batch's base offset and write the request's bytes unchanged
 *   otherwise (compressed batches stay compressed). One write per append, synchronous, so offsets and file
 *   order cannot interleave.
 * - fsync: `sync()` coalesces every append made so far into one fdatasync (group commit); the Produce handler
 *   awaits it for acks=-1 (policy acks-all) or for every append (policy always).
 * - Rolls to a new segment when the active one reaches segmentBytes; a producer-state snapshot is written then.
 * - Reads return whole batches only: at least the first batch even when it exceeds maxBytes. Reads near the
 *   end are served from a bounded in-memory copy of the newest appends (tail-cache.ts), others from the file.
 * - Retention deletes whole closed segments older than retentionMs or beyond retentionBytes; the log start
 *   offset moves to the first remaining segment.
 * - On open, the active segment is scanned with CRC checks and a torn tail is truncated.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import { type BatchInfo, batchSizeAt, readBatchInfo, setBaseOffset } from '../protocol/record-batch.js';
import { ProducerState, type SequenceVerdict } from './producer-state.js';
import { Segment, segmentName } from './segment.js';
import { TailCache } from './tail-cache.js';

export interface LogSettings {
  segmentBytes: number;
  retentionBytes: number;
  retentionMs: number;
}

export type AppendResult = { errorCode: 0; baseOffset: number; duplicate: boolean } | { errorCode: number };

const SEGMENT_FILE = /^(\d{20})\.log$/;
/** Index positions are int32 (as in Kafka): a segment may exceed its limit by one append, so keep well below 2 GiB. */
const MAX_SEGMENT_BYTES = 1024 ** 3;
const SCAN_STEP = 64 * 1024;

export class PartitionLog {
  private segments: Segment[] = [];
  producers = new ProducerState();
  private readonly waiters = new Set<() => void>();
  private writeSeq = 0;
  private syncedSeq = 0;
  private syncing: Promise<void> | null = null;
  private closed = false;
  private readonly tail = new TailCache();

  private constructor(
    readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    private readonly settings: LogSettings,
    private readonly log: Logger,
  ) {}

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }
  get logStartOffset(): number {
    return this.segments[0].baseOffset;
  }
  /** Log end offset; with no replicas and no transactions it is also the high watermark and the LSO. */
  get highWatermark(): number {
    return this.active.nextOffset;
  }
  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  static async open(
    dataDir: string,
    topic: string,
    partition: number,
    settings: LogSettings,
    log: Logger,
  ): Promise<PartitionLog> {
    const dir = join(dataDir, 'topics', `${topic}-${partition}`);
    mkdirSync(dir, { recursive: true });
    const p = new PartitionLog(dir, topic, partition, settings, log);
    await p.load();
    return p;
  }

  private async load(): Promise<void> {
    const bases = readdirSync(this.dir)
      .map((f) => SEGMENT_FILE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    if (bases.length === 0) {
      this.segments.push(Segment.create(this.dir, 0));
      return;
    }
    for (let i = 0; i < bases.length; i++) {
      const st = statSync(join(this.dir, segmentName(bases[i], 'log')));
      const seg = Segment.openExisting(this.dir, bases[i], st.size, st.mtimeMs);
      this.segments.push(seg);
      if (i < bases.length - 1) {
        seg.nextOffset = bases[i + 1];
        if (!seg.loadIndex()) {
          this.log.warn({ file: seg.indexPath }, 'rebuilding a stale offset index');
          await seg.recover(false, () => {});
          seg.nextOffset = bases[i + 1];
          seg.flushIndex();
        }
      }
    }
    // Producer state: the snapshot taken when the active segment was created, then the active segment's batches.
    const active = this.active;
    const snapshot = join(this.dir, segmentName(active.baseOffset, 'snapshot'));
    try {
      this.producers = ProducerState.fromJSON(JSON.parse(readFileSync(snapshot, 'utf8')));
    } catch {
      if (this.segments.length > 1) {
        this.log.warn({ dir: this.dir }, 'no producer snapshot; replaying closed segments');
        for (const seg of this.segments.slice(0, -1)) await this.replayProducers(seg);
      }
    }
    const cut = await active.recover(true, (b) => this.producers.record(b, b.baseOffset));
    if (cut > 0) {
      const code = 'TL_BROKER_CORRUPT_LOG';
      this.log.warn({ code, file: active.logPath, bytes: cut, size: active.size }, 'truncated a torn tail of the log');
    }
  }

  private async replayProducers(seg: Segment): Promise<void> {
    let pos = 0;
    while (pos < seg.size) {
      const head = await seg.read(pos, Math.min(SCAN_STEP, seg.size - pos));
      let at = 0;
      while (head.length - at >= 61) {
        const size = batchSizeAt(head, at);
        if (size < 0) return;
        const b = readBatchInfo(head, at, size);
        this.producers.record(b, b.baseOffset);
        at += size;
      }
      if (at === 0) return;
      pos += at;
    }
  }

  /** What appending these batches would mean for idempotence, without appending. */
  checkSequence(b: BatchInfo): SequenceVerdict {
    return this.producers.check(b);
  }

  /**
   * Appends the checked batches of one Produce request (a view into the request; base offsets are rewritten
   * in place). Returns the first offset assigned.
   */
  append(records: Buffer, batches: BatchInfo[]): AppendResult {
    if (batches.length === 1) {
      const v = this.producers.check(batches[0]);
      if (v.kind === 'duplicate') return { errorCode: 0, baseOffset: v.baseOffset, duplicate: true };
      if (v.kind === 'error') return { errorCode: v.code };
    } else {
      // Several batches for one partition (rare): all must be new and in sequence, checked on a scratch copy.
      const scratch = ProducerState.fromJSON(this.producers.toJSON());
      for (const b of batches) {
        const v = scratch.check(b);
        if (v.kind !== 'append') return { errorCode: v.kind === 'error' ? v.code : 45 };
        scratch.record(b, 0);
      }
    }
    const segmentBytes = Math.min(this.settings.segmentBytes, MAX_SEGMENT_BYTES);
    if (this.active.size > 0 && this.active.size + records.length > segmentBytes) {
      this.roll();
      this.applyRetention();
    }
    const first = this.active.nextOffset;
    let next = first;
    let maxTs = -1;
    for (const b of batches) {
      setBaseOffset(records, b.position, next);
      b.baseOffset = next;
      this.producers.record(b, next);
      next += b.lastOffsetDelta + 1;
      if (b.maxTimestamp > maxTs) maxTs = b.maxTimestamp;
    }
    this.active.append(records, batches, next, maxTs);
    this.tail.add(
      first,
      next,
      records,
      batches.map((b) => b.size),
    );
    this.writeSeq++;
    this.wake();
    return { errorCode: 0, baseOffset: first, duplicate: false };
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

  private roll(): void {
    const old = this.active;
    // Synchronously and before the new file exists, once per segment: recovery scans only the last segment,
    // and a later sync() only covers the new active one.
    old.syncNow();
    const seg = Segment.create(this.dir, old.nextOffset);
    seg.nextOffset = old.nextOffset;
    // The snapshot describes producer state as of the new segment's base offset (written before the switch).
    const snap = join(this.dir, segmentName(seg.baseOffset, 'snapshot'));
    writeFileSync(`${snap}.tmp`, JSON.stringify(this.producers.toJSON()));
    renameSync(`${snap}.tmp`, snap);
    old.flushIndex();
    this.segments.push(seg);
  }

  /** Deletes whole closed segments beyond the retention limits; returns how many were deleted. */
  applyRetention(now = Date.now()): number {
    const { retentionBytes, retentionMs } = this.settings;
    // An active segment that has seen no append for the whole retention time is rolled, so that it can go too.
    if (retentionMs > 0 && this.active.size > 0 && now - this.active.lastModifiedMs > retentionMs) this.roll();
    let total = this.sizeBytes;
    let deleted = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0];
      const tooBig = retentionBytes > 0 && total - oldest.size >= retentionBytes;
      const tooOld = retentionMs > 0 && now - oldest.lastModifiedMs > retentionMs;
      if (!tooBig && !tooOld) break;
      this.segments.shift();
      total -= oldest.size;
      oldest.remove();
      rmSync(join(this.dir, segmentName(oldest.baseOffset, 'snapshot')), { force: true });
      deleted++;
    }
    this.producers.expire(this.logStartOffset, now);
    if (deleted > 0) this.tail.dropBelow(this.logStartOffset);
    if (deleted > 0) {
      this.log.info({ dir: this.dir, segments: deleted, logStartOffset: this.logStartOffset }, 'retention');
    }
    return deleted;
  }

  /**
   * Whole batches starting with the one that holds `offset`, about maxBytes long (at least one batch).
   * Returns null when offset is outside [log start, log end).
   */
  async read(offset: number, maxBytes: number): Promise<Buffer | null> {
    if (offset < this.logStartOffset || offset >= this.highWatermark) return null;
    const cached = this.tail.read(offset, maxBytes);
    if (cached) return cached;
    try {
      return await this.readFrom(offset, maxBytes);
    } catch (err) {
      // Retention or a topic deletion removed the segment mid-read: nothing to return; the next fetch sees
      // the new log start (OFFSET_OUT_OF_RANGE) or the missing topic.
      if (this.closed || !this.segments.some((s) => s.baseOffset <= offset && offset < s.nextOffset)) return null;
      throw err;
    }
  }

  private async readFrom(offset: number, maxBytes: number): Promise<Buffer | null> {
    let i = this.segments.length - 1;
    while (i > 0 && this.segments[i].baseOffset > offset) i--;
    for (; i < this.segments.length; i++) {
      const seg = this.segments[i];
      if (offset >= seg.nextOffset) continue;
      const end = seg.size;
      let pos = seg.lookup(offset);
      // Find the batch containing offset by walking headers from the indexed position.
      for (;;) {
        if (pos >= end) break;
        const head = await seg.read(pos, Math.min(SCAN_STEP, end - pos));
        let at = 0;
        let found = -1;
        let firstSize = 0;
        while (head.length - at >= 27) {
          const size = batchSizeAt(head, at);
          if (size < 0) return null;
          const last = Number(head.readBigInt64BE(at)) + head.readInt32BE(at + 23);
          if (last >= offset) {
            found = pos + at;
            firstSize = size;
            break;
          }
          at += size;
        }
        if (found < 0) {
          if (at === 0) return null;
          pos += at;
          continue;
        }
        const want = Math.min(end - found, Math.max(maxBytes, firstSize));
        const data = await seg.read(found, want);
        return wholeBatches(data, firstSize);
      }
    }
    return null;
  }

  /** First offset whose batch has a timestamp at or after ts (ListOffsets by time), or the log end. */
  async offsetForTime(ts: number): Promise<number> {
    for (const seg of this.segments) {
      if (seg.maxTimestamp >= 0 && seg.maxTimestamp < ts && seg !== this.active) continue;
      let pos = 0;
      let max = -1;
      while (pos < seg.size) {
        const head = await seg.read(pos, Math.min(SCAN_STEP, seg.size - pos));
        let at = 0;
        while (head.length - at >= 61) {
          const size = batchSizeAt(head, at);
          if (size < 0) break;
          const b = readBatchInfo(head, at, size);
          if (b.maxTimestamp >= ts) return b.baseOffset;
          if (b.maxTimestamp > max) max = b.maxTimestamp;
          at += size;
        }
        if (at === 0) break;
        pos += at;
      }
      // Scanned whole: remember its largest timestamp so the next lookup can skip it.
      if (seg !== this.active) seg.maxTimestamp = max;
    }
    return this.highWatermark;
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
    if (this.syncing) await this.syncing.catch(() => {});
    this.closed = true;
    for (const s of this.segments) s.close();
    this.wake();
  }

  /** Closes and removes the partition's directory. */
  async destroy(): Promise<void> {
    await this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Cuts a read at the last complete batch (keeping at least the first one, of firstSize bytes). */
function wholeBatches(data: Buffer, firstSize: number): Buffer {
  let at = firstSize;
  while (at < data.length) {
    const size = batchSizeAt(data, at);
    if (size < 0 || at + size > data.length) break;
    at += size;
  }
  return at >= data.length ? data : data.subarray(0, Math.min(at, data.length));
}

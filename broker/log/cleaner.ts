/**
 * Log compaction for topics with cleanup.policy=compact: keeps the latest record per key of each partition,
 * in the background, crash-safe, with bounded memory.
 *
 * Behaviour (as Kafka's log cleaner, simplified):
 * - Only closed segments are compacted; the active segment is left alone. A segment whose last append is
 *   younger than min.compaction.lag.ms, and everything after it, waits for a later pass.
 * - The part of the log above the cleaner checkpoint is "dirty". A pass starts when the dirty share of the
 *   closed segments' bytes reaches min.cleanable.dirty.ratio. It maps each key of the dirty part to its latest
 *   offset (offset-map.ts: a fixed buffer; when full, the pass stops at the last batch mapped and the rest
 *   waits for the next pass), then rewrites every closed segment from the log start up to there, keeping a
 *   record when no later record of its key exists, and dropping a tombstone (null value) once the segment
 *   holding it was last written more than delete.retention.ms ago. Records without a key are kept.
 * - A tombstone kept because its delete.retention.ms has not run out makes the partition due for another pass
 *   once it has (kept in the checkpoint file), even without new data.
 * - Offsets never change: a batch that loses records keeps its base offset and last offset delta, so fetches
 *   see gaps, as from Kafka. Batches that lose nothing are copied byte for byte; a compressed batch that loses
 *   some is rewritten gzip-compressed; a batch that loses all is dropped. A batch whose records cannot be read
 *   (an unknown codec, a corrupt record) is kept whole and none of its keys is taken as superseding.
 * - Crash safety: a segment is rewritten into `<base>.cleaned` (fsynced, mtime kept), then its index is
 *   deleted and the file renamed over the segment (each step fsynced; see PartitionLog.swapCleaned). Segments
 *   are rewritten oldest first, so at any moment every key's latest record is on disk: a record is only
 *   dropped when a later record of its key exists, and that one sits later in the same segment (rewritten in
 *   the same atomic rename) or in a later segment (not yet rewritten).
 *   Leftover `.cleaned` files are deleted on start; the checkpoint is written after the pass, and a pass cut
 *   short by a crash is simply done again.
 * - The pass yields to the event loop every few milliseconds, so produce and fetch keep flowing.
 */
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crashPoint } from '../../core/crash-points.js';
import type { Logger } from '../../core/log.js';
import { parseRecords, type RecordRef, rebuildBatch, recordsSection } from '../protocol/records.js';
import { OffsetMap } from './offset-map.js';
import type { PartitionLog } from './partition-log.js';
import { type Segment, segmentName } from './segment.js';

/** Largest decompressed records section the cleaner reads (a batch above it is kept whole). */
const MAX_SECTION_BYTES = 256 * 1024 * 1024;
const WRITE_CHUNK = 1024 * 1024;
const YIELD_EVERY_MS = 5;

export interface CleanResult {
  /** Offset up to which the log is now compacted (the new checkpoint). */
  cleanedTo: number;
  segmentsRewritten: number;
  bytesBefore: number;
  bytesAfter: number;
}

interface Parsed {
  base: number;
  section: Buffer;
  records: RecordRef[];
}

function parseBatch(data: Buffer): Parsed | null {
  try {
    const section = recordsSection(data, 0, data.length, MAX_SECTION_BYTES);
    return { base: Number(data.readBigInt64BE(0)), section, records: parseRecords(section, data.readInt32BE(57)) };
  } catch {
    return null;
  }
}

export class LogCleaner {
  private readonly map: OffsetMap;
  private lastYield = performance.now();
  /** While a pass runs: the earliest time a tombstone it kept may go. */
  private nextTombstoneDue = Number.POSITIVE_INFINITY;

  constructor(
    bufferBytes: number,
    private readonly log: Logger,
  ) {
    this.map = new OffsetMap(bufferBytes);
  }

  /** Keys the map can hold in one pass. */
  get capacity(): number {
    return Math.floor(this.map.slots * 0.9);
  }

  private async maybeYield(): Promise<void> {
    if (performance.now() - this.lastYield < YIELD_EVERY_MS) return;
    await new Promise((r) => setImmediate(r));
    this.lastYield = performance.now();
  }

  /**
   * One compaction pass over a partition, when it is due (or always with `force`, which ignores the dirty
   * ratio but not the compaction lag). Resolves to what it did, or null when there was nothing to do.
   */
  async clean(p: PartitionLog, now = Date.now(), force = false): Promise<CleanResult | null> {
    const s = p.settings;
    if (!s.compact) return null;
    const closed = p.closedSegments();
    const firstDirty = Math.max(p.cleanerCheckpoint, p.logStartOffset);
    // Dirty: closed segments above the checkpoint, up to the first one still within the compaction lag.
    const dirty: Segment[] = [];
    let cleanBytes = 0;
    for (const seg of closed) {
      if (seg.nextOffset <= firstDirty) {
        cleanBytes += seg.size;
        continue;
      }
      if (now - seg.lastModifiedMs < s.minCompactionLagMs) break;
      dirty.push(seg);
    }
    const dirtyBytes = dirty.reduce((n, seg) => n + seg.size, 0);
    const dirtyDue = dirtyBytes > 0 && (force || dirtyBytes / (cleanBytes + dirtyBytes) >= s.minCleanableDirtyRatio);
    // Tombstones kept by an earlier pass whose delete.retention.ms has run out: a pass just to drop them.
    const tombstonesDue = p.tombstonesDueAt <= now && cleanBytes > 0;
    if (!dirtyDue && !tombstonesDue) return null;

    let end = firstDirty;
    if (dirtyDue) {
      end = await this.buildMap(p, dirty, firstDirty);
      if (end <= firstDirty) {
        const offset = firstDirty;
        this.log.warn({ dir: p.dir, offset }, 'log cleaner: one batch has more keys than the offset map holds');
        return null;
      }
    } else {
      this.map.clear();
    }
    const result: CleanResult = { cleanedTo: end, segmentsRewritten: 0, bytesBefore: 0, bytesAfter: 0 };
    this.nextTombstoneDue = Number.POSITIVE_INFINITY;
    for (const seg of p.closedSegments()) {
      if (seg.baseOffset >= end) break;
      if (p.isClosed) return null;
      const size = await this.rewrite(p, seg, end, now - s.deleteRetentionMs, s.deleteRetentionMs);
      if (size === undefined) continue;
      if (size < 0) return null; // the segment went away (retention, deletion): try again next time
      result.segmentsRewritten++;
      result.bytesBefore += seg.size;
      result.bytesAfter += size;
    }
    crashPoint('cleaner-before-checkpoint');
    p.setCleanerCheckpoint(end, this.nextTombstoneDue);
    return result;
  }

  /** Maps each key of the dirty segments to its latest offset; returns the offset up to which all are mapped. */
  private async buildMap(p: PartitionLog, dirty: Segment[], firstDirty: number): Promise<number> {
    this.map.clear();
    let end = firstDirty;
    for (const seg of dirty) {
      for await (const { data } of seg.batches(seg.lookup(firstDirty))) {
        if (p.isClosed) return firstDirty;
        const base = Number(data.readBigInt64BE(0));
        const last = base + data.readInt32BE(23);
        if (last < firstDirty) continue;
        const parsed = parseBatch(data);
        if (parsed) {
          // Whole batches only: a batch is either mapped entirely or left for the next pass.
          const newKeys = parsed.records.filter((r) => r.key !== null).length;
          if (this.map.size + newKeys > this.capacity) return end;
          for (const r of parsed.records) {
            if (r.key !== null) this.map.put(OffsetMap.hash(r.key), base + r.offsetDelta);
          }
        }
        end = last + 1;
        await this.maybeYield();
      }
    }
    return end;
  }

  /**
   * Rewrites one segment keeping what survives; resolves to the new size, undefined when nothing changed
   * (no rewrite), or -1 when the segment is gone.
   */
  private async rewrite(
    p: PartitionLog,
    seg: Segment,
    end: number,
    horizon: number,
    deleteRetentionMs: number,
  ): Promise<number | undefined> {
    const tombstonesExpire = seg.lastModifiedMs < horizon;
    const out: Buffer[] = [];
    let pending = 0;
    let size = 0;
    let changed = false;
    const kept: Array<{ baseOffset: number; position: number; size: number }> = [];
    const cleanedPath = join(p.dir, `${segmentName(seg.baseOffset, 'log')}.cleaned`);
    const fh = await open(cleanedPath, 'w');
    let written = 0;
    const flush = async () => {
      if (pending === 0) return;
      const buf = Buffer.concat(out, pending);
      out.length = 0;
      pending = 0;
      await fh.write(buf, 0, buf.length, written);
      written += buf.length;
      crashPoint('cleaner-mid-write');
    };
    try {
      try {
        for await (const { data } of seg.batches()) {
          const base = Number(data.readBigInt64BE(0));
          let batch: Buffer | null = data;
          if (base < end) {
            const parsed = parseBatch(data);
            if (parsed) {
              const keep = parsed.records.filter((r) => {
                if (r.key === null) return true;
                const offset = base + r.offsetDelta;
                if (this.map.get(OffsetMap.hash(r.key)) > offset) return false; // a later record of the key exists
                if (!r.tombstone) return true;
                if (tombstonesExpire) return false;
                this.nextTombstoneDue = Math.min(this.nextTombstoneDue, seg.lastModifiedMs + deleteRetentionMs + 1);
                return true;
              });
              if (keep.length === 0) batch = null;
              else if (keep.length < parsed.records.length) batch = rebuildBatch(data, 0, parsed.section, keep);
            }
          }
          if (batch !== data) changed = true;
          if (batch) {
            kept.push({ baseOffset: base, position: size, size: batch.length });
            out.push(batch);
            pending += batch.length;
            size += batch.length;
            if (pending >= WRITE_CHUNK) await flush();
          }
          await this.maybeYield();
        }
      } catch (err) {
        if (p.isClosed || !p.closedSegments().includes(seg)) return -1;
        throw err;
      }
      if (!changed) return undefined;
      await flush();
      await fh.sync();
      const mtime = new Date(seg.lastModifiedMs);
      await fh.utimes(mtime, mtime);
    } finally {
      await fh.close();
      if (!changed) await rmQuiet(cleanedPath);
    }
    crashPoint('cleaner-before-swap');
    if (!p.swapCleaned(seg, cleanedPath, size, kept)) {
      await rmQuiet(cleanedPath);
      return -1;
    }
    return size;
  }
}

function rmQuiet(path: string): Promise<void> {
  return rm(path, { force: true });
}

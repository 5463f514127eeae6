/**
 * Reading a partition's segments: whole batches from the one holding an offset (Fetch), and the first offset
 * at or after a timestamp (ListOffsets). Offsets may have gaps (compaction drops records and whole batches):
 * a read at an offset in a gap returns the batches after it.
 */
import { batchSizeAt, readBatchInfo } from '../protocol/record-batch.js';
import type { Segment } from './segment.js';

const SCAN_STEP = 64 * 1024;

/** Whole batches starting with the first one whose last offset is at or after `offset`; null when none. */
export async function readFrom(segments: readonly Segment[], offset: number, maxBytes: number): Promise<Buffer | null> {
  let i = segments.length - 1;
  while (i > 0 && segments[i].baseOffset > offset) i--;
  for (; i < segments.length; i++) {
    const seg = segments[i];
    if (offset >= seg.nextOffset) continue;
    const end = seg.size;
    let pos = seg.lookup(offset);
    // Find the batch containing offset (or the first after it) by walking headers from the indexed position.
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

/** First offset whose batch has a timestamp at or after ts, or `end` when none has. */
export async function offsetForTime(segments: readonly Segment[], ts: number, end: number): Promise<number> {
  const active = segments[segments.length - 1];
  for (const seg of segments) {
    if (seg.maxTimestamp >= 0 && seg.maxTimestamp < ts && seg !== active) continue;
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
    if (seg !== active) seg.maxTimestamp = max;
  }
  return end;
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

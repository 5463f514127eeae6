/**
 * The newest bytes of one partition's log kept in memory (a copy of each append, whole batches), so that
 * consumers reading at the tail — the common case — are served without a file read. Bounded per partition:
 * the oldest appends are dropped first, and an append larger than the bound is not cached at all. The bound is of
 * memory, not only of data: each entry owns exactly its bytes (broker/test/tail-cache.test.ts).
 */

interface Entry {
  baseOffset: number;
  /** Offset after the entry's last record. */
  nextOffset: number;
  data: Buffer;
  /** Sizes of the batches in data, in order, so a read can stop at a batch boundary. */
  batchSizes: number[];
}

export const TAIL_CACHE_BYTES = 1024 * 1024;

export class TailCache {
  private entries: Entry[] = [];
  private bytes = 0;

  constructor(private readonly limit = TAIL_CACHE_BYTES) {}

  add(baseOffset: number, nextOffset: number, data: Buffer, batchSizes: number[]): void {
    if (data.length > this.limit) {
      this.clear();
      return;
    }
    // A copy in memory of its own: Buffer.from would take a small one from Node's shared 8 KiB pool, and a cached
    // copy would keep its whole slab alive (about 8 KiB for an append of a few hundred bytes, ~20 times the bound).
    const copy = Buffer.allocUnsafeSlow(data.length);
    data.copy(copy);
    this.entries.push({ baseOffset, nextOffset, data: copy, batchSizes });
    this.bytes += data.length;
    while (this.bytes > this.limit) this.bytes -= this.entries.shift()!.data.length;
  }

  /** Whole batches from the one holding `offset`, up to maxBytes (at least one batch); undefined on a miss. */
  read(offset: number, maxBytes: number): Buffer | undefined {
    const es = this.entries;
    if (es.length === 0 || offset < es[0].baseOffset || offset >= es[es.length - 1].nextOffset) return undefined;
    let i = es.length - 1;
    while (es[i].baseOffset > offset) i--;
    const parts: Buffer[] = [];
    let total = 0;
    let full = false;
    for (; i < es.length && !full; i++) {
      const e = es[i];
      let pos = 0;
      let start = -1;
      let end = 0;
      for (const size of e.batchSizes) {
        if (start < 0) {
          const last = Number(e.data.readBigInt64BE(pos)) + e.data.readInt32BE(pos + 23);
          if (last < offset) {
            pos += size;
            continue;
          }
          start = pos;
        }
        const taken = total + (pos - start);
        if (taken > 0 && taken + size > maxBytes) {
          full = true;
          break;
        }
        pos += size;
        end = pos;
      }
      if (start >= 0 && end > start) {
        parts.push(e.data.subarray(start, end));
        total += end - start;
      }
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
  }

  /** Drops entries that start below the log start offset (retention removed their segments). */
  dropBelow(offset: number): void {
    while (this.entries.length > 0 && this.entries[0].baseOffset < offset) {
      this.bytes -= this.entries.shift()!.data.length;
    }
  }

  clear(): void {
    this.entries = [];
    this.bytes = 0;
  }
}

/**
 * A segment's sparse offset index in memory: (offset relative to the segment's base, file position) pairs in one
 * Int32Array, 8 bytes an entry as in the `.index` file. It grows by doubling while the segment is active and is cut
 * to its exact length when the segment closes (fit), so a broker keeps 8 bytes for every ~4 KiB of its retained
 * log: two JavaScript arrays took 16 and up to half as much again in spare capacity, inside V8's heap.
 */
export class SegmentIndex {
  private pairs = new Int32Array(0);
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Bytes held, for tests. */
  get byteLength(): number {
    return this.pairs.byteLength;
  }

  push(rel: number, position: number): void {
    if (this.count * 2 === this.pairs.length) {
      const grown = new Int32Array(Math.max(32, this.pairs.length * 2));
      grown.set(this.pairs);
      this.pairs = grown;
    }
    this.pairs[this.count * 2] = rel;
    this.pairs[this.count * 2 + 1] = position;
    this.count++;
  }

  /** Position of the last entry whose offset is at or before `rel` (0 when none). */
  lookup(rel: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.pairs[mid * 2] <= rel) {
        found = this.pairs[mid * 2 + 1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  clear(): void {
    this.count = 0;
    this.pairs = new Int32Array(0);
  }

  /** Drops the spare capacity (the segment will not grow any more, or not soon). */
  fit(): void {
    if (this.pairs.length > this.count * 2) this.pairs = this.pairs.slice(0, this.count * 2);
  }

  /** The `.index` file's bytes: big-endian int32 pairs. */
  toFile(): Buffer {
    const buf = Buffer.allocUnsafe(this.count * 8);
    for (let i = 0; i < this.count * 2; i++) buf.writeInt32BE(this.pairs[i], i * 4);
    return buf;
  }
}

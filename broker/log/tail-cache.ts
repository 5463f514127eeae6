/**
 * The newest bytes of one partition's log kept in memory (a copy of each append, whole batches), so that
 * consumers reading at the tail — the common case — are served without a file read. Bounded twice: per partition
 * (TAIL_CACHE_BYTES, the oldest appends dropped first; an append larger than the bound is not cached at all) and,
 * through a TailBudget shared by all of a broker's partitions, in all (the broker's --tail-cache): over it the
 * oldest appends of any partition go first, so a broker with thousands of partitions holds the budget, not a MiB
 * each. The bounds are of memory, not only of data: each entry owns exactly its bytes
 * (broker/test/tail-cache.test.ts).
 */

interface Entry {
  baseOffset: number;
  /** Offset after the entry's last record. */
  nextOffset: number;
  data: Buffer;
  /** Sizes of the batches in data, in order, so a read can stop at a batch boundary. */
  batchSizes: number[];
  owner: TailCache;
  /** False once dropped from its cache; the budget's queue may still hold it, without its bytes. */
  live: boolean;
}

export const TAIL_CACHE_BYTES = 1024 * 1024;
const NO_BYTES = Buffer.alloc(0);

/**
 * The memory all tail caches of one broker share: every cached append in the order appended, across partitions. An
 * append's own cache drops its oldest entries first and so does the budget, so the oldest live entry of the budget's
 * queue is always the first entry of its cache. Entries a cache dropped itself stay in the queue as empty markers
 * until the queue is compacted (when they outnumber the live ones), so the queue is bounded by what is cached.
 */
export class TailBudget {
  private queue: (Entry | undefined)[] = [];
  private head = 0;
  private dead = 0;
  private used = 0;

  constructor(readonly limit: number) {}

  /** Bytes of data cached by all partitions. */
  get bytes(): number {
    return this.used;
  }

  /** Places in the queue, live entries and empty markers (bounded: about twice the live entries, or 1,024). */
  get queued(): number {
    return this.queue.length - this.head;
  }

  admit(e: Entry): void {
    this.queue.push(e);
    this.used += e.data.length;
    while (this.used > this.limit) {
      const oldest = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (!oldest) continue;
      if (!oldest.live) {
        this.dead--;
        continue;
      }
      oldest.owner.dropOldest(oldest);
      this.forget(oldest);
    }
    this.compact();
  }

  /** An entry its own cache dropped: its bytes no longer count, its place in the queue is left empty. */
  release(e: Entry): void {
    this.forget(e);
    this.dead++;
    this.compact();
  }

  private forget(e: Entry): void {
    e.live = false;
    this.used -= e.data.length;
    e.data = NO_BYTES;
  }

  private compact(): void {
    const pending = this.queue.length - this.head;
    if (this.dead > 1024 && this.dead * 2 > pending) {
      this.queue = this.queue.slice(this.head).filter((e) => e?.live);
      this.head = 0;
      this.dead = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

export class TailCache {
  private entries: Entry[] = [];
  private bytes = 0;

  /** `limit`: this partition's bound; `budget`: the bound of all partitions together, when shared. */
  constructor(
    private readonly limit = TAIL_CACHE_BYTES,
    private readonly budget?: TailBudget,
  ) {}

  add(baseOffset: number, nextOffset: number, data: Buffer, batchSizes: number[]): void {
    if (data.length > this.limit || (this.budget && data.length > this.budget.limit)) {
      this.clear();
      return;
    }
    // A copy in memory of its own: Buffer.from would take a small one from Node's shared 8 KiB pool, and a cached
    // copy would keep its whole slab alive (about 8 KiB for an append of a few hundred bytes, ~20 times the bound).
    const copy = Buffer.allocUnsafeSlow(data.length);
    data.copy(copy);
    const entry: Entry = { baseOffset, nextOffset, data: copy, batchSizes, owner: this, live: true };
    this.entries.push(entry);
    this.bytes += data.length;
    while (this.bytes > this.limit) this.drop();
    // last: the budget may take this cache's oldest entries, the new one too when nothing else is left
    this.budget?.admit(entry);
  }

  /** Drops the oldest entry, which must be `expected` (the budget's check that its order and ours agree). */
  dropOldest(expected: Entry): void {
    const e = this.entries.shift();
    if (e !== expected) throw new Error('tail cache: the budget and the cache disagree on the oldest entry');
    this.bytes -= e.data.length;
  }

  /** Drops the oldest entry on this cache's own account (its bound, retention, compaction). */
  private drop(): void {
    const e = this.entries.shift()!;
    this.bytes -= e.data.length;
    this.budget?.release(e);
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
    while (this.entries.length > 0 && this.entries[0].baseOffset < offset) this.drop();
  }

  clear(): void {
    if (this.budget) for (const e of this.entries) this.budget.release(e);
    this.entries = [];
    this.bytes = 0;
  }
}

/** The partition's in-memory tail: what its bound means in memory, not only in bytes of data. */
import { describe, expect, it } from 'vitest';
import { measureFresh } from '../../test/helpers/fresh-process.js';
import { TailBudget, TailCache } from '../log/tail-cache.js';

describe('TailCache: memory', () => {
  it('holds about its bound in ArrayBuffers when its appends are small and other small Buffers come and go between them', async () => {
    // A running broker appends a few hundred bytes at a time (an exchange's produce, a transaction marker) while the
    // same process makes and drops thousands of other small Buffers (requests, responses, kafkajs's encoders), all
    // from Node's shared 8 KiB pool. A cached copy taken from that pool keeps its whole 8 KiB slab alive: a heap
    // snapshot of `ticklake start` found a tick partition's 1 MiB cache holding 11 MiB of slabs in 2,225 entries.
    // ArrayBuffer bytes after a full collection, with the cache full.
    const { held, hit } = await measureFresh<{ held: number; hit: number }>(
      `const { TailCache } = await import('./broker/log/tail-cache.ts');
      globalThis.gc();
      const before = process.memoryUsage().arrayBuffers;
      const cache = new TailCache(1024 * 1024);
      let offset = 0;
      let churn = 0;
      for (let i = 0; i < 20000; i++) {
        const size = 200 + (i % 7) * 50;
        const frame = Buffer.from('x'.repeat(size)); // a request's records, from the pool like a decoded frame
        cache.add(offset, offset + 1, frame, [size]);
        offset++;
        // what else the process allocates and drops before the next append
        for (let j = 0; j < 24; j++) churn += Buffer.from('y'.repeat(300 + j)).length;
      }
      globalThis.gc(); globalThis.gc();
      const held = process.memoryUsage().arrayBuffers - before;
      console.log(JSON.stringify({ held, churn, hit: cache.read(offset - 1, 1 << 20)?.length ?? 0 }));`,
    );
    expect(hit).toBeGreaterThan(0); // the newest append is served from the cache
    // its bound is 1 MiB of data; one pool slab of slack for whatever the process itself still holds
    expect(held, `${(held / 1024 / 1024).toFixed(2)} MiB of ArrayBuffers for a 1 MiB tail cache`).toBeLessThan(
      1024 * 1024 + 64 * 1024,
    );
  });
});

/** A reference model of one partition's appends: every batch ever appended, by offset. */
interface Appended {
  base: number;
  next: number;
  data: Buffer;
}

/** What a read at `offset` may return: the bytes of whole batches from the one holding `offset`, in order. */
function expectedPrefix(log: Appended[], offset: number, got: Buffer): Buffer {
  const i = log.findIndex((a) => offset >= a.base && offset < a.next);
  if (i < 0) throw new Error(`no batch holds offset ${offset}`);
  return Buffer.concat(log.slice(i).map((a) => a.data)).subarray(0, got.length);
}

describe('TailBudget: the tail caches of all partitions together', () => {
  it('keeps every read right while the budget takes the oldest appends of any partition', () => {
    // 40 partitions appending batches of 1–20 KiB in a random order to caches of 64 KiB each, sharing 256 KiB: the
    // budget evicts all the time. Each read that the cache serves must be the log's bytes from the batch holding the
    // offset (a miss is allowed: the broker reads the file then); the budget's count must equal the caches' data.
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const budget = new TailBudget(256 * 1024);
    const caches = Array.from({ length: 40 }, () => new TailCache(64 * 1024, budget));
    const logs: Appended[][] = caches.map(() => []);
    let hits = 0;
    let misses = 0;
    for (let step = 0; step < 6000; step++) {
      const p = Math.floor(rand() * rand() * caches.length); // some partitions far busier than others
      const log = logs[p];
      const base = log.at(-1)?.next ?? 0;
      const size = 1024 + Math.floor(rand() * 19 * 1024);
      const records = 1 + Math.floor(rand() * 5);
      const data = Buffer.alloc(size, step % 251);
      data.writeBigInt64BE(BigInt(base), 0); // a batch's base offset and last offset delta, where reads look
      data.writeInt32BE(records - 1, 23);
      caches[p].add(base, base + records, data, [size]);
      log.push({ base, next: base + records, data });
      if (step % 500 === 499) caches[Math.floor(rand() * caches.length)].clear(); // a partition closed
      // read a random partition at a random recent offset
      const q = Math.floor(rand() * caches.length);
      const qlog = logs[q];
      if (qlog.length === 0) continue;
      const at = qlog[Math.max(0, qlog.length - 1 - Math.floor(rand() * 8))];
      const offset = at.base + Math.floor(rand() * (at.next - at.base));
      const got = caches[q].read(offset, 48 * 1024);
      if (got === undefined) {
        misses++;
        continue;
      }
      hits++;
      expect(got.equals(expectedPrefix(qlog, offset, got))).toBe(true);
    }
    expect(budget.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(hits, 'the cache served reads').toBeGreaterThan(200);
    expect(misses, 'the budget made the oldest partitions miss').toBeGreaterThan(100);
    // the budget counts exactly what the caches hold: clearing them all leaves 0
    for (const c of caches) c.clear();
    expect(budget.bytes).toBe(0);
  });

  it("does not grow its queue with appends that a partition's own bound dropped", () => {
    // One busy partition under a budget it never reaches: its own 64 KiB bound drops its oldest appends, which stay
    // in the budget's queue as empty markers until compacted. 200,000 appends must not leave 200,000 places.
    const budget = new TailBudget(64 * 1024 * 1024);
    const cache = new TailCache(64 * 1024, budget);
    const data = Buffer.alloc(300);
    data.writeInt32BE(0, 23);
    for (let i = 0; i < 200_000; i++) {
      data.writeBigInt64BE(BigInt(i), 0);
      cache.add(i, i + 1, data, [300]);
    }
    const live = Math.floor((64 * 1024) / 300);
    expect(budget.bytes).toBe(live * 300);
    expect(budget.queued, `${budget.queued} places for ${live} cached appends`).toBeLessThanOrEqual(2 * live + 1025);
  });

  it('holds its budget in memory however many partitions write, not a MiB each', async () => {
    // 200 partitions each appending 1 MiB (their own bound) under a 16 MiB budget: without one they would hold
    // 200 MiB. ArrayBuffers after full collections, every cache full.
    const { held, budgetBytes } = await measureFresh<{ held: number; budgetBytes: number }>(
      `const { TailBudget, TailCache } = await import('./broker/log/tail-cache.ts');
      globalThis.gc();
      const before = process.memoryUsage().arrayBuffers;
      const budget = new TailBudget(16 * 1024 * 1024);
      const caches = Array.from({ length: 200 }, () => new TailCache(1024 * 1024, budget));
      const chunk = Buffer.alloc(32 * 1024);
      for (let round = 0; round < 32; round++)
        for (const c of caches) {
          chunk.writeBigInt64BE(BigInt(round), 0);
          c.add(round, round + 1, chunk, [chunk.length]);
        }
      globalThis.gc(); globalThis.gc();
      console.log(JSON.stringify({ held: process.memoryUsage().arrayBuffers - before, budgetBytes: budget.bytes }));`,
    );
    expect(budgetBytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(held, `${(held / 1024 / 1024).toFixed(1)} MiB of ArrayBuffers under a 16 MiB budget`).toBeLessThan(
      16 * 1024 * 1024 + 256 * 1024,
    );
  });
});

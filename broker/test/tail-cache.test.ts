/** The partition's in-memory tail: what its bound means in memory, not only in bytes of data. */
import { describe, expect, it } from 'vitest';
import { measureFresh } from '../../test/helpers/fresh-process.js';

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

/** A segment's offset index in memory: its lookups, its file format, and what it costs a broker per GiB of log. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureFresh } from '../../test/helpers/fresh-process.js';
import { SegmentIndex } from '../log/segment-index.js';

describe('SegmentIndex', () => {
  it('finds the last entry at or before an offset, as a scan of the pairs does, and writes the file format', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const idx = new SegmentIndex();
    const pairs: Array<[number, number]> = [];
    let rel = 0;
    let pos = 0;
    for (let i = 0; i < 5000; i++) {
      rel += 1 + Math.floor(rnd() * 40);
      pos += 4096 + Math.floor(rnd() * 9000);
      idx.push(rel, pos);
      pairs.push([rel, pos]);
      if (i === 2500) idx.fit(); // cut to length mid-way: pushing after it grows again
    }
    const scan = (r: number) => pairs.filter(([o]) => o <= r).at(-1)?.[1] ?? 0;
    for (let i = 0; i < 3000; i++) {
      const probe = Math.floor(rnd() * (rel + 50)) - 5;
      expect(idx.lookup(probe)).toBe(scan(probe));
    }
    const file = idx.toFile();
    expect(file.length).toBe(pairs.length * 8);
    for (const i of [0, 1, 2499, 2500, 4999]) {
      expect([file.readInt32BE(i * 8), file.readInt32BE(i * 8 + 4)]).toEqual(pairs[i]);
    }
    idx.fit();
    expect(idx.byteLength).toBe(pairs.length * 8);
  });

  it('holds a reopened partition’s indexes in ~8 bytes an entry', async () => {
    // 50 MiB of log in batches of a little over 4 KiB (one index entry each) and 8 MiB segments: 12,288 entries.
    // In a fresh process: written, closed, opened twice to compile what opening runs, then opened four times at
    // once; what the four hold beyond the moment before is their segments and their indexes. Two JavaScript arrays
    // per segment took 17-21 bytes an entry (measured on the code before).
    const dir = mkdtempSync(join(tmpdir(), 'tl-segidx-'));
    try {
      const { bytes, segments, hw } = await measureFresh<{ bytes: number; segments: number; hw: number }>(
        `const { PartitionLog } = await import('./broker/log/partition-log.ts');
        const { splitBatches } = await import('./broker/protocol/record-batch.ts');
        const { buildBatch } = await import('./broker/test/batch-builder.ts');
        const { logger } = await import('./core/log.ts');
        const dataDir = ${JSON.stringify(dir)};
        const log = logger('test');
        const settings = { segmentBytes: 8 * 1024 * 1024, retentionBytes: -1, retentionMs: -1, deleteRetention: true,
          compact: false, deleteRetentionMs: 86400000, minCompactionLagMs: 0, minCleanableDirtyRatio: 0.5 };
        const settle = async () => {
          for (let i = 0; i < 3; i++) { await new Promise((r) => setTimeout(r, 20)); globalThis.gc(); }
        };
        const value = 'v'.repeat(4100);
        const p = await PartitionLog.open(dataDir, 't', 0, settings, log);
        for (let i = 0; i < 48 * 256; i++) {
          const b = buildBatch([value]);
          const r = p.append(b, splitBatches(b));
          if (r.errorCode !== 0) throw new Error('append ' + r.errorCode);
        }
        await p.close();
        for (let i = 0; i < 2; i++) await (await PartitionLog.open(dataDir, 't', 0, settings, log)).close();
        await settle();
        const m0 = process.memoryUsage();
        const open = [];
        for (let i = 0; i < 4; i++) open.push(await PartitionLog.open(dataDir, 't', 0, settings, log));
        await settle();
        const m1 = process.memoryUsage();
        const bytes = m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers;
        console.log(JSON.stringify({ bytes, segments: open[0].closedSegments().length + 1, hw: open[3].highWatermark }));`,
      );
      expect(hw).toBe(48 * 256);
      expect(segments).toBeGreaterThanOrEqual(6);
      const perEntry = bytes / (4 * 48 * 256);
      expect(perEntry, `${bytes} bytes for four opens of ${segments} segments`).toBeLessThan(12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

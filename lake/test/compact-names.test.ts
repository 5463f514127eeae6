import { describe, expect, it } from 'vitest';
import { measureFresh } from '../../test/helpers/fresh-process.js';
import { dayOfTickNames } from '../../test/helpers/tick-day.js';
import { manifestText, parseManifest } from '../compact-manifest.js';
import { SourceSet } from '../compact-names.js';
import { planMerges, type TierOptions, tierOf } from '../compact-plan.js';

/** Deterministic pseudo-random numbers (LCG), so a failing case can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('SourceSet: exact and compact', () => {
  it('contiguous batch ids become one span; tick files that continue each other one chain', () => {
    const names = [
      ...Array.from({ length: 1000 }, (_, i) => `b${i + 7}.parquet`),
      // partition 0: offsets 0-99, 100-249, 250-250, 251-400; partition 1: 5-9 then a gap, 20-29
      'p0-0-99.parquet',
      'p0-100-249.parquet',
      'p0-250-250.parquet',
      'p0-251-400.parquet',
      'p1-5-9.parquet',
      'p1-20-29.parquet',
      'c-0123456789abcdef.parquet',
      'b007.parquet', // a leading zero: not the same name as b7.parquet, kept as it is
    ];
    const json = SourceSet.of(names).toJSON();
    expect(json).toEqual({
      names: ['b007.parquet', 'c-0123456789abcdef.parquet'],
      spans: [{ prefix: 'b', suffix: '.parquet', spans: '7-1006' }],
      chains: [
        // offsets 0-99, 100-249, 250-250, 251-400: start 0, then how far each file's last offset moves on
        { prefix: 'p0-', suffix: '.parquet', chains: '0,99,150,1,150' },
        { prefix: 'p1-', suffix: '.parquet', chains: '5,4;20,9' },
      ],
    });
    const set = SourceSet.fromJSON(JSON.parse(JSON.stringify(json)));
    for (const n of names) expect(set.has(n)).toBe(true);
    for (const n of [
      'b6.parquet',
      'b1007.parquet',
      'b07.parquet',
      'p0-0-98.parquet',
      'p0-100-250.parquet',
      'p0-99-249.parquet',
      'p1-10-19.parquet',
      'p2-0-99.parquet',
      'b7.parquet.tmp',
      'c-0123456789abcdee.parquet',
    ]) {
      expect(set.has(n)).toBe(false);
    }
    expect(new Set(set.names())).toEqual(new Set(names));
  });

  it('decode(encode(S)) = S on random sets mixing every shape', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const names = new Set<string>();
      let off = Math.floor(r() * 1000);
      for (let i = 0; i < 300; i++) {
        const x = r();
        if (x < 0.3) names.add(`b${Math.floor(r() * 400)}.parquet`);
        else if (x < 0.7) {
          const lo = r() < 0.8 ? off : off + Math.floor(r() * 5); // mostly continuing, sometimes a gap
          const hi = lo + Math.floor(r() * 50);
          names.add(`p${Math.floor(r() * 3)}-${lo}-${hi}.parquet`);
          off = hi + 1;
        } else if (x < 0.8) names.add(`p0-${Math.floor(r() * 500)}-${Math.floor(r() * 500)}.parquet`);
        else if (x < 0.9) names.add(`c-${Math.floor(r() * 1e9).toString(16)}.parquet`);
        else names.add(`weird${Math.floor(r() * 20)}x${Math.floor(r() * 20)}.parquet`);
      }
      const set = SourceSet.fromJSON(JSON.parse(JSON.stringify(SourceSet.of(names).toJSON())));
      expect(new Set(set.names())).toEqual(names);
      for (const n of names) expect(set.has(n)).toBe(true);
      // near misses are not members unless they were added
      for (const n of names) {
        const miss = n.replace(/(\d+)\.parquet$/, (_m, d) => `${Number(d) + 1}.parquet`);
        expect(set.has(miss)).toBe(names.has(miss));
      }
    }
  });

  it('a day of tick and result files at the start-mode rate is a small manifest; version 1 still reads', () => {
    // ~140k files a day: 3 partitions of contiguous tick files (every batch continues the last) and batch ids.
    const names = dayOfTickNames(47_000);
    const v1 = `${JSON.stringify({ version: 1, merged: { 'c-x.parquet': names } }, null, 1)}\n`;
    const v2 = manifestText({ version: 2, merged: { 'c-x.parquet': SourceSet.of(names) } });
    // 47k names of ~20 characters: v1 spends ~25 bytes a name; v2 the offset count (2 digits here) + a comma.
    expect(v1.length).toBeGreaterThan(47_000 * 20);
    expect(v2.length).toBeLessThan(47_000 * 3 + 400); // + the JSON around three chains
    const doc = parseManifest(v1, 'v1');
    expect(doc.merged['c-x.parquet'].has(names[12_345])).toBe(true);
    expect(manifestText(doc)).toBe(v2);
    // result files of one table: consecutive outbox batch ids are one span whatever the day's length
    const batches = manifestText({
      version: 2,
      merged: { 'c-y.parquet': SourceSet.of(Array.from({ length: 47_000 }, (_, i) => `b${i + 1}.parquet`)) },
    });
    expect(batches).toBe(
      '{"version":2,"merged":{"c-y.parquet":{"spans":[{"prefix":"b","suffix":".parquet","spans":"1-47000"}]}}}\n',
    );
  });
});

describe('SourceSet: the memory of a lookup', () => {
  it('answers has() with ~16 bytes a member, not a string per member (the writer keeps the day’s manifest)', async () => {
    // A day of tick files at start's rate (~140k, three partitions). The writer looks names up in the cached manifest
    // on every batch; the lookup's index is what stays in memory with it. Measured in a fresh process, so that the
    // heap before and after the first has() are both after a full collection.
    const { found, bytes } = await measureFresh<{ found: boolean; bytes: number }>(
      `const { SourceSet } = await import('./lake/compact-names.ts');
      const { dayOfTickNames } = await import('./test/helpers/tick-day.ts');
      const names = dayOfTickNames(140000);
      const set = SourceSet.of(names);
      const probe = names[77777];
      names.length = 0;
      globalThis.gc(); globalThis.gc();
      const before = process.memoryUsage();
      const found = set.has(probe);
      globalThis.gc(); globalThis.gc();
      const after = process.memoryUsage();
      console.log(JSON.stringify({ found, bytes: after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers }));`,
    );
    expect(found).toBe(true);
    // the probe's partition holds a third of the names; a Set of "lo,hi" strings took ~104 bytes a member
    const perMember = bytes / (140_000 / 3);
    expect(perMember, `${bytes} bytes for the index`).toBeLessThan(32);
  });
});

describe('planMerges: size tiers', () => {
  const KiB = 1024;
  const opts: TierOptions = { settleMs: 120_000, maxFileBytes: 16 * 1024 * KiB, minFiles: 8, tierBaseBytes: 64 * KiB };
  const NOW = 1_000_000_000;
  const f = (name: string, size: number, ageMs = 600_000) => ({ name, size, mtimeMs: NOW - ageMs });

  it('tiers: <64 KiB, <512 KiB, <4 MiB, <32 MiB', () => {
    expect(
      [0, 64 * KiB - 1, 64 * KiB, 512 * KiB - 1, 512 * KiB, 4096 * KiB - 1, 4096 * KiB].map((s) => tierOf(s, opts)),
    ).toEqual([0, 0, 1, 1, 2, 2, 3]);
  });

  it('merges a tier once it has 8 settled files; young, big and lone files wait', () => {
    const small = Array.from({ length: 7 }, (_, i) => f(`b${i}.parquet`, 10 * KiB));
    expect(planMerges(small, new Set(), NOW, opts)).toEqual([]);
    const young = f('b7.parquet', 10 * KiB, 60_000);
    expect(planMerges([...small, young], new Set(), NOW, opts)).toEqual([]);
    const settled = f('b8.parquet', 10 * KiB);
    const big = f('b9.parquet', 16 * 1024 * KiB);
    const mid = Array.from({ length: 7 }, (_, i) => f(`c-${i}.parquet`, 100 * KiB, 0)); // tier 1, compaction's own
    expect(planMerges([...small, young, settled, big, ...mid], new Set(mid.map((m) => m.name)), NOW, opts)).toEqual([
      [...small.map((s) => s.name), 'b8.parquet'].sort(),
    ]);
    // an 8th tier-1 file: that tier is merged too (compaction's own files need not settle)
    const mid8 = [...mid, f('c-7.parquet', 100 * KiB, 0)];
    expect(planMerges(mid8, new Set(mid8.map((m) => m.name)), NOW, opts)).toEqual([mid8.map((m) => m.name).sort()]);
  });

  it('a merge reads at most maxFileBytes: a backlog is cut into several merges, a short remainder waits', () => {
    // 20 settled files of 3 MiB (tier 2): 5 fit in 16 MiB, so groups of 5, 5, 5, 5; but 5 < 8 files: nothing
    const files = Array.from({ length: 20 }, (_, i) => f(`b${i}.parquet`, 3 * 1024 * KiB, 600_000 - i));
    expect(planMerges(files, new Set(), NOW, opts)).toEqual([]);
    // 100 files of 1 MiB (tier 2): groups of 16 oldest first, 6 merges, 4 files left
    const many = Array.from({ length: 100 }, (_, i) => f(`b${i}.parquet`, 1024 * KiB, 600_000 - i));
    const groups = planMerges(many, new Set(), NOW, opts);
    expect(groups.map((g) => g.length)).toEqual([16, 16, 16, 16, 16, 16]);
    expect(groups[0]).toEqual(Array.from({ length: 16 }, (_, i) => `b${i}.parquet`).sort());
  });

  it('closed date (final): every file below maxFileBytes, any age, two suffice; big ones stay', () => {
    const files = [f('b1.parquet', 10 * KiB, 0), f('c-1.parquet', 5 * 1024 * KiB), f('c-2.parquet', 20 * 1024 * KiB)];
    expect(planMerges(files, new Set(), NOW, opts, true)).toEqual([['b1.parquet', 'c-1.parquet']]);
    expect(planMerges(files.slice(0, 1), new Set(), NOW, opts, true)).toEqual([]);
  });
});

// bench:soak's slopes (bench/soak-slopes.ts), which its result and bench:soak:report share, on series whose slopes are
// known by construction.
import { describe, expect, it } from 'vitest';
import { type Sample, summarize } from '../soak.bench.js';
import { type SoakSample, windowSlope } from '../soak-slopes.js';

/** A sample at `s` seconds: start's V8 heap grows 10 MiB/h, its rest 2 MiB/h, mariadbd is flat at 100 MiB. */
function sample(s: number, extra = 0, parts = true): Sample {
  const h = s / 3600;
  const heapTotal = 100 + 10 * h;
  const start = heapTotal + 40 + 50 + 20 + (300 + 2 * h) + extra;
  return {
    s,
    rssMiB: start + 100,
    byName: {},
    byRole: { start, mariadbd: 100 },
    ticks: s * 2000,
    batches: s * 3,
    lag: 0,
    load1: 0,
    parts: parts ? { heapTotal, heapUsed: heapTotal / 2, threadHeaps: 40, external: 50, duckdb: { core: 20 } } : null,
  };
}

const every5s = (fromS: number, toS: number, f: (s: number) => Sample) =>
  Array.from({ length: (toS - fromS) / 5 + 1 }, (_, i) => f(fromS + 5 * i));
const slopeOf = (w: { slopes: { part: string; slope: number | null }[] }, part: string) =>
  w.slopes.find((x) => x.part === part)?.slope;

describe('soak slopes', () => {
  it('gives each part its own slope, in MB per hour, over the window asked', () => {
    const w = windowSlope(every5s(0, 7200, sample), 30, 120);
    // tree = 510 + 12 h MiB: 10 (V8) + 2 (the rest)
    expect(slopeOf(w, 'tree')).toBeCloseTo(12, 9);
    expect(slopeOf(w, 'tree, floor of each minute')).toBeCloseTo(12, 9);
    expect(slopeOf(w, 'start: V8 heap (total)')).toBeCloseTo(10, 9);
    expect(slopeOf(w, 'start: the rest (RSS − heaps − Buffers − DuckDB)')).toBeCloseTo(2, 9);
    expect(slopeOf(w, 'RSS of mariadbd')).toBeCloseTo(0, 9);
    expect(w.slopes[0].twoSe).toBeCloseTo(0, 6);
    expect(w.batches).toEqual([1800 * 3, 7200 * 3]);
  });

  it("takes each minute's lowest sample for the floor: garbage on all the others does not lift it", () => {
    // +80 MiB on every sample but the first of each minute: the floor stays on the line, the tree's slope moves off it
    const xs = every5s(0, 7200, (s) => sample(s, s % 60 === 0 ? 0 : 80 * ((s % 60) / 60)));
    const w = windowSlope(xs, 0, 120);
    expect(slopeOf(w, 'tree, floor of each minute')).toBeCloseTo(12, 9);
    expect(w.slopes[0].twoSe).toBeGreaterThan(0);
  });

  it("keeps the parts' slopes when one sample's /metrics read failed", () => {
    const xs = every5s(0, 3600, (s) => sample(s, 0, s !== 1800));
    const w = windowSlope(xs, 0, 60);
    expect(slopeOf(w, 'start: the rest (RSS − heaps − Buffers − DuckDB)')).toBeCloseTo(2, 9);
    expect(slopeOf(w, 'tree')).toBeCloseTo(12, 9);
  });

  it('states no slope from fewer than 3 points', () => {
    const xs: SoakSample[] = every5s(0, 600, sample);
    const two = windowSlope(xs, 0, 5 / 60);
    expect(two.slopes[0]).toMatchObject({ part: 'tree', slope: null, points: 2 });
    expect(windowSlope(xs, 0, 10 / 60).slopes[0].slope).toBeCloseTo(12, 9);
  });

  it('a checkpoint written just after the warm-up passes no slope target', () => {
    // the default warm-up is 2 minutes: two samples after it, each in the same minute. The twenty-second stop's
    // checkpoint at minute 150.7 wrote a floor slope of 0 ± 0 from one point, marked as met.
    const { figures } = summarize(every5s(0, 125, (s) => sample(s, 1000 * (s / 3600))));
    const slopes = figures.filter((f) => f.target === '< 5 MB/h');
    expect(slopes).toHaveLength(2);
    for (const f of slopes) expect(f).toMatchObject({ value: null, pass: false });
    expect(slopes[0].metric).toContain('not yet: 2 points after the warm-up');
  });
});

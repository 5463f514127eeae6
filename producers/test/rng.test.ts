import { describe, expect, it } from 'vitest';
import { fnv1a32, Rng } from '../rng.js';
import { moments } from './fixtures.js';

/** xoshiro128** written again from the reference C code (Blackman & Vigna), in BigInt, as an independent check. */
function referenceXoshiro128ss(state: [number, number, number, number], count: number): number[] {
  const M = 0xffffffffn;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  const s = state.map((v) => BigInt(v >>> 0));
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const result = (rotl((s[1] * 5n) & M, 7n) * 9n) & M;
    const t = (s[1] << 9n) & M;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    out.push(Number(result));
  }
  return out;
}

describe('Rng', () => {
  it('xoshiro128** matches an independent BigInt implementation of the reference algorithm', () => {
    const state: [number, number, number, number] = [0x12345678, 0x9abcdef0, 0xdeadbeef, 0x0badf00d];
    const rng = Rng.fromState(...state);
    const ours = Array.from({ length: 1000 }, () => rng.nextUint32());
    expect(ours).toEqual(referenceXoshiro128ss(state, 1000));
  });

  it('FNV-1a-32 matches the published test vectors', () => {
    // from the FNV reference test suite (isthe.com/chongo/tech/comp/fnv)
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('streams depend only on (seed, symbol)', () => {
    const draw = (seed: number | string, sym: string) => {
      const r = Rng.forSymbol(seed, sym);
      return Array.from({ length: 8 }, () => r.nextUint32());
    };
    expect(draw(7, 'AAPL')).toEqual(draw('7', 'AAPL'));
    expect(draw(7, 'AAPL')).not.toEqual(draw(8, 'AAPL'));
    expect(draw(7, 'AAPL')).not.toEqual(draw(7, 'MSFT'));
  });

  it('uniforms pass a chi-square test over 50 bins', () => {
    const rng = Rng.forSymbol(1, 'U');
    const n = 200_000;
    const bins = new Array(50).fill(0);
    for (let i = 0; i < n; i++) bins[Math.floor(rng.uniform() * 50)]++;
    const e = n / 50;
    const chi2 = bins.reduce((a, o) => a + ((o - e) * (o - e)) / e, 0);
    // chi-square with 49 degrees of freedom: mean 49, sd sqrt(98) ≈ 9.9; 4 sd above the mean
    expect(chi2).toBeLessThan(49 + 4 * Math.sqrt(98));
  });

  it('normals have mean 0, variance 1, skewness 0 and kurtosis 3 within 4 standard errors', () => {
    const rng = Rng.forSymbol(3, 'N');
    const n = 200_000;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = rng.normal();
    const m = moments(xs);
    expect(Math.abs(m.mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(m.variance - 1)).toBeLessThan(4 * Math.sqrt(2 / (n - 1)));
    expect(Math.abs(m.m3)).toBeLessThan(4 * Math.sqrt(6 / n));
    expect(Math.abs(m.m4 - 3)).toBeLessThan(4 * Math.sqrt(24 / n));
  });

  it('two symbols’ normal streams are uncorrelated', () => {
    const a = Rng.forSymbol(5, 'AAA');
    const b = Rng.forSymbol(5, 'AAB');
    const n = 100_000;
    let sxy = 0;
    for (let i = 0; i < n; i++) sxy += a.normal() * b.normal();
    // correlation of independent standard normals has standard error 1/sqrt(n)
    expect(Math.abs(sxy / n)).toBeLessThan(4 / Math.sqrt(n));
  });

  it('poisson counts have mean and variance equal to the rate', () => {
    const rng = Rng.forSymbol(9, 'P');
    const n = 100_000;
    const rate = 0.7;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = rng.poisson(rate);
    const m = moments(xs);
    expect(Math.abs(m.mean - rate)).toBeLessThan(4 * Math.sqrt(rate / n));
    // variance of the sample variance of a Poisson: (mu4 - sigma^4)/n with mu4 = rate(1 + 3 rate)
    expect(Math.abs(m.variance - rate)).toBeLessThan(4 * Math.sqrt((rate * (1 + 3 * rate) - rate * rate) / n));
  });
});

/**
 * Seeded random numbers for the simulator: one independent stream per symbol.
 *
 * - Generator: xoshiro128** (Blackman and Vigna, 2018), 32-bit state words, fast in JavaScript's int32 arithmetic.
 * - Seeding: the stream of symbol S under run seed K is seeded from FNV-1a-32 of the UTF-8 text `K\u0000S`, expanded
 *   to 128 bits by splitmix32. A symbol's numbers therefore depend only on (seed, symbol): adding, removing or
 *   reordering other symbols does not change them.
 * - Uniforms have 32 bits of resolution; normals come from the Box–Muller transform (both values of a pair are used).
 */

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32 step: returns [next state, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [s, z >>> 0];
}

const TWO_POW_32 = 4294967296;
const TWO_PI = 2 * Math.PI;

/** xoshiro128** words a..d, then the spare normal of Box–Muller and whether it is pending. */
export type RngSnapshot = [number, number, number, number, number, boolean];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0;
  private hasSpare = false;

  /** A stream seeded from a 32-bit integer. */
  constructor(seed32: number) {
    let s = seed32 | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(s);
      s = next;
      words.push(out | 0);
    }
    this.a = words[0];
    this.b = words[1];
    this.c = words[2];
    this.d = words[3];
    // xoshiro must not start from the all-zero state
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A stream from explicit xoshiro128** state words (for reference-vector tests). */
  static fromState(a: number, b: number, c: number, d: number): Rng {
    const r = new Rng(0);
    r.a = a | 0;
    r.b = b | 0;
    r.c = c | 0;
    r.d = d | 0;
    return r;
  }

  /** The whole generator state (to resume a stream exactly, e.g. a live exchange after a restart). */
  snapshot(): RngSnapshot {
    return [this.a, this.b, this.c, this.d, this.spare, this.hasSpare];
  }

  /** Continues the stream from a `snapshot()`. */
  restore(s: RngSnapshot): void {
    [this.a, this.b, this.c, this.d, this.spare, this.hasSpare] = s;
  }

  /** The stream of one symbol under one run seed. */
  static forSymbol(seed: number | string, symbol: string): Rng {
    return new Rng(fnv1a32(`${seed}\u0000${symbol}`));
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const b = this.b;
    let r = Math.imul(b, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = (this.d << 11) | (this.d >>> 21);
    return r >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in (0, 1]: safe for log(). */
  uniformPositive(): number {
    return (this.nextUint32() + 1) / TWO_POW_32;
  }

  /** Standard normal (mean 0, variance 1) by Box–Muller. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniformPositive()));
    const theta = TWO_PI * this.uniform();
    this.spare = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }

  /** Poisson(mean) by inversion; meant for the small means of jumps per step. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.uniformPositive();
    while (p > limit) {
      k++;
      p *= this.uniformPositive();
    }
    return k;
  }
}

/**
 * An exact, compact set of lake file names: what `.compacted.json` stores for each merged file (the names whose rows
 * it holds), so that the manifest of a long-running day stays small and cheap to read on every write.
 *
 * The writer's names follow two shapes, and each compresses to ranges without losing a name:
 *
 * - `<prefix><n><suffix>` (results: `b<outboxBatchId>.parquet`): per (prefix, suffix), the numbers as sorted
 *   disjoint spans `5-9,12` = {5,6,7,8,9,12}. Consecutive batch ids of a day become one span.
 * - `<prefix><lo>-<hi><suffix>` (ticks: `p<partition>-<firstOffset>-<lastOffset>.parquet`): per (prefix, suffix),
 *   chains of files that continue each other's offsets, {(x,y1), (y1+1,y2), (y2+1,y3)}, written `x,d1,d2,d3` with
 *   y1 = x + d1 and yk = y(k-1) + dk: each file costs the digits of its offset count plus a comma.
 *
 * Anything else (leading zeros, numbers beyond 2^53, other shapes) is kept as a plain name. Membership is exact: a
 * name is in the set iff it was added (decode(encode(S)) = S, tested on random sets in compact-names.test.ts).
 */

export interface SourceSetJson {
  /** Names stored as they are. */
  names?: string[];
  /** `<prefix><n><suffix>`: spans of n, "a-b,c". */
  spans?: { prefix: string; suffix: string; spans: string }[];
  /** `<prefix><lo>-<hi><suffix>`: chains "x,d1,d2;x',d1'" (y1 = x + d1, yk = y(k-1) + dk). */
  chains?: { prefix: string; suffix: string; chains: string }[];
}

type Parsed =
  | { kind: 'plain'; name: string }
  | { kind: 'span'; key: string; prefix: string; suffix: string; n: number }
  | { kind: 'chain'; key: string; prefix: string; suffix: string; lo: number; hi: number };

const NUM = '(0|[1-9]\\d{0,14})';
const CHAIN_RE = new RegExp(`^(.*?\\D|)${NUM}-${NUM}(\\.parquet)$`);
const SPAN_RE = new RegExp(`^(.*?\\D|)${NUM}(\\.parquet)$`);

/** How many of the flattened pairs sorted by their first number start at or before `x` (a binary search). */
function pairsStartingUpTo(pairs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = pairs.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pairs[2 * mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The members of chains as flattened (lo, hi) pairs sorted by lo, then hi. */
function chainIndex(chains: number[][]): Float64Array {
  const pairs: [number, number][] = [];
  for (const c of chains) {
    pairs.push([c[0], c[1]]);
    for (let i = 2; i < c.length; i++) pairs.push([c[i - 1] + 1, c[i]]);
  }
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = new Float64Array(pairs.length * 2);
  pairs.forEach(([lo, hi], i) => {
    out[2 * i] = lo;
    out[2 * i + 1] = hi;
  });
  return out;
}

function parse(name: string): Parsed {
  const c = CHAIN_RE.exec(name);
  if (c) {
    const lo = Number(c[2]);
    const hi = Number(c[3]);
    if (hi >= lo) return { kind: 'chain', key: `${c[1]}\0${c[4]}`, prefix: c[1], suffix: c[4], lo, hi };
  }
  const s = SPAN_RE.exec(name);
  if (s) return { kind: 'span', key: `${s[1]}\0${s[3]}`, prefix: s[1], suffix: s[3], n: Number(s[2]) };
  return { kind: 'plain', name };
}

interface SpanGroup {
  prefix: string;
  suffix: string;
  /** Sorted disjoint inclusive [a, b] pairs, flattened. */
  bounds: number[];
}
interface ChainGroup {
  prefix: string;
  suffix: string;
  /** Each chain: [x, y1, y2, ...]; y strictly increasing after y1, y1 >= x. */
  chains: number[][];
  /**
   * Every member (lo, hi) as flattened pairs sorted by lo then hi, built lazily for lookups: 16 bytes a member. (A
   * Set of "lo,hi" strings cost ~27 times the manifest's bytes on disk, and the writer's cached manifest of the day's
   * ticks grew by it with every merged file: bench/HISTORY.md, eighteenth stop.)
   */
  index?: Float64Array;
}

export class SourceSet {
  private readonly plain = new Set<string>();
  private readonly spans = new Map<string, SpanGroup>();
  private readonly chains = new Map<string, ChainGroup>();

  static of(names: Iterable<string>): SourceSet {
    const set = new SourceSet();
    const spanNums = new Map<string, { prefix: string; suffix: string; ns: number[] }>();
    const chainPairs = new Map<string, { prefix: string; suffix: string; pairs: [number, number][] }>();
    for (const name of names) {
      const p = parse(name);
      if (p.kind === 'plain') set.plain.add(p.name);
      else if (p.kind === 'span') {
        const g = spanNums.get(p.key) ?? { prefix: p.prefix, suffix: p.suffix, ns: [] };
        g.ns.push(p.n);
        spanNums.set(p.key, g);
      } else {
        const g = chainPairs.get(p.key) ?? { prefix: p.prefix, suffix: p.suffix, pairs: [] };
        g.pairs.push([p.lo, p.hi]);
        chainPairs.set(p.key, g);
      }
    }
    for (const [key, g] of spanNums) {
      const ns = [...new Set(g.ns)].sort((a, b) => a - b);
      const bounds: number[] = [];
      for (const n of ns) {
        if (bounds.length > 0 && bounds[bounds.length - 1] === n - 1) bounds[bounds.length - 1] = n;
        else bounds.push(n, n);
      }
      set.spans.set(key, { prefix: g.prefix, suffix: g.suffix, bounds });
    }
    for (const [key, g] of chainPairs) {
      const seen = new Set<string>();
      const pairs = g.pairs
        .filter(([lo, hi]) => !seen.has(`${lo},${hi}`) && seen.add(`${lo},${hi}`))
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      // Greedy: append a pair to an open chain that ends at lo - 1, else start a new chain.
      const chains: number[][] = [];
      const openByEnd = new Map<number, number[]>();
      for (const [lo, hi] of pairs) {
        const chain = openByEnd.get(lo - 1);
        if (chain) {
          openByEnd.delete(lo - 1);
          chain.push(hi);
          if (!openByEnd.has(hi)) openByEnd.set(hi, chain);
        } else {
          const fresh = [lo, hi];
          chains.push(fresh);
          if (!openByEnd.has(hi)) openByEnd.set(hi, fresh);
        }
      }
      set.chains.set(key, { prefix: g.prefix, suffix: g.suffix, chains });
    }
    return set;
  }

  static fromJSON(doc: SourceSetJson | string[]): SourceSet {
    if (Array.isArray(doc)) return SourceSet.of(doc); // version 1 manifests: plain name lists
    const set = new SourceSet();
    for (const n of doc.names ?? []) set.plain.add(n);
    for (const g of doc.spans ?? []) {
      const bounds: number[] = [];
      for (const part of g.spans.split(',')) {
        const [a, b = a] = part.split('-');
        bounds.push(Number(a), Number(b));
      }
      set.spans.set(`${g.prefix}\0${g.suffix}`, { prefix: g.prefix, suffix: g.suffix, bounds });
    }
    for (const g of doc.chains ?? []) {
      const chains = g.chains.split(';').map((c) => {
        const nums = c.split(',').map(Number);
        for (let i = 1; i < nums.length; i++) nums[i] += nums[i - 1];
        return nums;
      });
      set.chains.set(`${g.prefix}\0${g.suffix}`, { prefix: g.prefix, suffix: g.suffix, chains });
    }
    return set;
  }

  toJSON(): SourceSetJson {
    const out: SourceSetJson = {};
    if (this.plain.size > 0) out.names = [...this.plain].sort();
    if (this.spans.size > 0) {
      out.spans = [...this.spans.values()].map((g) => {
        const parts: string[] = [];
        for (let i = 0; i < g.bounds.length; i += 2) {
          parts.push(g.bounds[i] === g.bounds[i + 1] ? `${g.bounds[i]}` : `${g.bounds[i]}-${g.bounds[i + 1]}`);
        }
        return { prefix: g.prefix, suffix: g.suffix, spans: parts.join(',') };
      });
    }
    if (this.chains.size > 0) {
      out.chains = [...this.chains.values()].map((g) => ({
        prefix: g.prefix,
        suffix: g.suffix,
        chains: g.chains.map((c) => c.map((v, i) => (i === 0 ? v : v - c[i - 1])).join(',')).join(';'),
      }));
    }
    return out;
  }

  has(name: string): boolean {
    const p = parse(name);
    if (p.kind === 'plain') return this.plain.has(p.name);
    if (p.kind === 'span') {
      const b = this.spans.get(p.key)?.bounds;
      if (!b) return false;
      // the last span starting at or before n
      const i = pairsStartingUpTo(b, p.n) - 1;
      return i >= 0 && p.n <= b[2 * i + 1];
    }
    const g = this.chains.get(p.key);
    if (!g) return false;
    g.index ??= chainIndex(g.chains);
    const ix = g.index;
    // the members sharing p.lo follow every member starting before it (offsets are integers)
    for (let i = pairsStartingUpTo(ix, p.lo - 1); i < ix.length / 2 && ix[2 * i] === p.lo; i++)
      if (ix[2 * i + 1] === p.hi) return true;
    return false;
  }

  /** Every name, in no particular order (compaction only, when it unions the sets of merged files). */
  *names(): Generator<string> {
    yield* this.plain;
    for (const g of this.spans.values()) {
      for (let i = 0; i < g.bounds.length; i += 2) {
        for (let n = g.bounds[i]; n <= g.bounds[i + 1]; n++) yield `${g.prefix}${n}${g.suffix}`;
      }
    }
    for (const g of this.chains.values()) {
      for (const c of g.chains) {
        yield `${g.prefix}${c[0]}-${c[1]}${g.suffix}`;
        for (let i = 2; i < c.length; i++) yield `${g.prefix}${c[i - 1] + 1}-${c[i]}${g.suffix}`;
      }
    }
  }
}

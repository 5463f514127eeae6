/**
 * The slopes of a soak's samples (bench:soak's figures and every bench:soak:report window): a least-squares line
 * through the process tree's RSS, through each minute's lowest sample, and through each part of the start process's
 * memory, in MB per hour with 2 standard errors. One place, so the result a run writes and a report read from it
 * later agree.
 */

/** One sample of a soak, as bench:soak writes it (MiB; `parts` null when the /metrics read failed). */
export type SoakSample = {
  s: number;
  rssMiB: number;
  batches: number | null;
  byRole: Record<string, number>;
  parts: { heapTotal: number; threadHeaps?: number; external: number; duckdb: Record<string, number> } | null;
};

/** Least-squares slope of y over x, and its standard error (0 under 3 points). */
export function slope(xs: number[], ys: number[]): { slope: number; stderr: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  const b = den === 0 ? 0 : num / den;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - my - b * (xs[i] - mx)) ** 2;
  return { slope: b, stderr: n < 3 || den === 0 ? 0 : Math.sqrt(sse / (n - 2) / den) };
}

/**
 * The floor of a sawtooth: the lowest sample of each `seconds`-long bucket (garbage not yet collected and
 * allocator caches make RSS swing by ±100 MB within a minute; a leak lifts the floor).
 */
export function floors<T extends { s: number; rssMiB: number }>(samples: T[], seconds: number): T[] {
  const by = new Map<number, T>();
  for (const x of samples) {
    const k = Math.floor(x.s / seconds);
    const cur = by.get(k);
    if (!cur || x.rssMiB < cur.rssMiB) by.set(k, x);
  }
  return [...by.values()].sort((a, b) => a.s - b.s);
}

/** A sample whose /metrics read succeeded: its parts are known. */
export type MeasuredSample = Pick<SoakSample, 's' | 'byRole'> & { parts: NonNullable<SoakSample['parts']> };

/** Whether the sample's /metrics read succeeded (a failed one has no parts, or a zero heap from an empty answer). */
export function isMeasured<T extends Pick<SoakSample, 'parts'>>(x: T): x is T & MeasuredSample {
  return (x.parts?.heapTotal ?? 0) > 0;
}

/**
 * Each part's series (MiB) over the samples: the processes by role, and inside the start process V8's heap, Buffers,
 * the worker threads' heaps, DuckDB, and the rest (its RSS minus those: code, thread stacks, DuckDB's memory outside
 * its buffer manager, what the allocator keeps).
 */
export function breakdown(samples: Omit<MeasuredSample, 's'>[]): [part: string, ys: number[]][] {
  const roles = [...new Set(samples.flatMap((x) => Object.keys(x.byRole)))];
  const out: [string, number[]][] = roles.map((r) => [`RSS of ${r}`, samples.map((x) => x.byRole[r] ?? 0)]);
  const duck = (x: Omit<MeasuredSample, 's'>) => Object.values(x.parts.duckdb).reduce((a, b) => a + b, 0);
  out.push(['start: V8 heap (total)', samples.map((x) => x.parts.heapTotal)]);
  out.push(["start: worker threads' V8 heaps", samples.map((x) => x.parts.threadHeaps ?? 0)]);
  out.push(['start: Buffers outside the heaps', samples.map((x) => x.parts.external)]);
  out.push(['start: DuckDB buffer managers', samples.map(duck)]);
  out.push([
    'start: the rest (RSS − heaps − Buffers − DuckDB)',
    samples.map(
      (x) => (x.byRole.start ?? 0) - x.parts.heapTotal - (x.parts.threadHeaps ?? 0) - x.parts.external - duck(x),
    ),
  ]);
  return out;
}

/** A slope over a window: MB/h and 2 standard errors, or null for both when fewer than 3 points lie in it. */
export interface PartSlope {
  part: string;
  slope: number | null;
  twoSe: number | null;
  points: number;
}

export interface WindowSlope {
  from: number;
  to: number;
  batches: [number | null, number | null];
  /** `tree` (every sample), `tree, floor of each minute`, then each part of the breakdown. */
  slopes: PartSlope[];
}

function lineOf(part: string, xs: { s: number }[], ys: number[]): PartSlope {
  if (xs.length < 3) return { part, slope: null, twoSe: null, points: xs.length };
  const b = slope(
    xs.map((x) => x.s / 3600),
    ys,
  );
  return { part, slope: b.slope, twoSe: 2 * b.stderr, points: xs.length };
}

/**
 * Slopes of the tree and each part over the samples within [from, to] minutes. A slope needs 3 points (a line through
 * two has no error to state: the checkpoint a run writes just after its warm-up must not pass on them). The tree's
 * slopes use every sample; the parts' use the samples whose /metrics read succeeded (one failed read does not lose
 * them for the whole window).
 */
export function windowSlope(samples: SoakSample[], from: number, to: number): WindowSlope {
  const within = samples.filter((x) => x.s >= from * 60 && x.s <= to * 60);
  // the floor: each minute's lowest sample, which V8's uncollected garbage does not lift
  const floor = floors(within, 60);
  const slopes: PartSlope[] = [
    lineOf(
      'tree',
      within,
      within.map((x) => x.rssMiB),
    ),
    lineOf(
      'tree, floor of each minute',
      floor,
      floor.map((x) => x.rssMiB),
    ),
  ];
  const measured = within.filter(isMeasured);
  if (measured.length >= 3) for (const [part, ys] of breakdown(measured)) slopes.push(lineOf(part, measured, ys));
  return { from, to, batches: [within[0]?.batches ?? null, within.at(-1)?.batches ?? null], slopes };
}

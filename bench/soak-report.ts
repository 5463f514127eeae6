/**
 * `npm run bench:soak:report -- <result.json> [from-to …]`: a bench:soak result read again, finished or a checkpoint
 * of a run still going (`partial: true`). For each window of minutes (default: from the end of the run's warm-up to
 * its last sample), the slope of the process tree's RSS (every sample, and each minute's lowest) and of each part
 * (bench:soak's breakdown: the processes by role; inside start V8's heap, Buffers, the worker threads' heaps, DuckDB's
 * buffer managers and the rest) in MB per hour ± 2 standard errors, with the batches committed at the window's ends;
 * then the 15-minute medians of the tree and the parts, which show where a growth levels off better than one slope
 * does. With the default window the first two slopes are bench:soak's own figures.
 *
 * Samples whose /metrics read failed (no V8 heap figure) count in the tree's slope but not in the parts'.
 */
import { readFileSync } from 'node:fs';
import { breakdown, isMeasured, type MeasuredSample, type SoakSample, windowSlope } from './soak-slopes.js';
import { median } from './stats.js';

/** Medians per block of `minutes` of the tree and each part; the batches committed by the block's last sample. */
export function blockMedians(
  samples: SoakSample[],
  minutes = 15,
): { from: number; batches: number | null; medians: [part: string, mib: number][] }[] {
  const blocks = new Map<number, (SoakSample & MeasuredSample)[]>();
  for (const x of samples) {
    if (!isMeasured(x)) continue;
    const k = Math.floor(x.s / (minutes * 60));
    const block = blocks.get(k);
    if (block) block.push(x);
    else blocks.set(k, [x]);
  }
  return [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([k, xs]) => ({
      from: k * minutes,
      batches: xs.at(-1)?.batches ?? null,
      medians: [['tree', median(xs.map((x) => x.rssMiB))], ...breakdown(xs).map(([p, ys]) => [p, median(ys)])] as [
        string,
        number,
      ][],
    }));
}

/** A part's name for a table column: `RSS of mariadbd` → `mariadbd`, `start: the rest (…)` → `rest`. */
function column(part: string): string {
  const name = part.replace(/^RSS of /, '').replace(/^start: /, '');
  const short: Record<string, string> = {
    'V8 heap (total)': 'V8',
    "worker threads' V8 heaps": 'threads',
    'Buffers outside the heaps': 'Buffers',
    'DuckDB buffer managers': 'DuckDB',
  };
  return short[name] ?? (name.startsWith('the rest') ? 'rest' : name);
}

function main(): void {
  const [file, ...windows] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: npm run bench:soak:report -- <bench/results/NAME.json> [FROM-TO minutes …]\n');
    process.exit(2);
  }
  const result = JSON.parse(readFileSync(file, 'utf8'));
  const details = result.details ?? {};
  const samples: SoakSample[] = details.samples ?? [];
  if (samples.length === 0) throw new Error(`${file}: no samples (is it a bench:soak result?)`);
  const last = (samples.at(-1)?.s ?? 0) / 60;
  const state = details.partial
    ? `a checkpoint of a run still going (${details.plannedMinutes} min planned)`
    : 'finished';
  process.stdout.write(
    `${file}: ${samples.length} samples over ${last.toFixed(1)} min, ${state}; warm-up ${details.warmupMinutes} min; ${JSON.stringify(details.env ?? {})}\n`,
  );
  const asked = windows.length ? windows : [`${details.warmupMinutes ?? 0}-${Math.ceil(last)}`];
  const r = (x: number) => x.toFixed(1);
  for (const w of asked) {
    const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(w);
    if (!m) throw new Error(`window ${JSON.stringify(w)}: expected FROM-TO in minutes, e.g. 150-360`);
    const slopes = windowSlope(samples, Number(m[1]), Number(m[2]));
    process.stdout.write(
      `\nminutes ${w} (batches ${slopes.batches[0] ?? '?'}–${slopes.batches[1] ?? '?'}), MB/h ± 2 s.e.:\n`,
    );
    for (const { part, slope, twoSe, points } of slopes.slopes)
      process.stdout.write(
        slope === null || twoSe === null
          ? `  ${part}: fewer than 3 points (${points})\n`
          : `  ${part}: ${r(slope)} ± ${r(twoSe)}\n`,
      );
  }
  const blocks = blockMedians(samples);
  if (blocks.length) {
    const parts = blocks[0].medians.map(([p]) => column(p));
    process.stdout.write(`\n15-minute medians (MiB):\n  minutes\tbatches\t${parts.join('\t')}\n`);
    for (const b of blocks)
      process.stdout.write(
        `  ${b.from}–${b.from + 15}\t${b.batches ?? '?'}\t${b.medians.map(([, v]) => Math.round(v)).join('\t')}\n`,
      );
  }
}

if (process.argv[1]?.endsWith('soak-report.ts')) main();

/**
 * The one format every benchmark writes to bench/results/<name>.json, so that `npm run bench` can put all
 * figures in one table (bench/results/summary.md). A figure is a measurement with, where the issue sets a
 * target, the baseline it is compared against (measured side by side in the same run) and the ratio.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { procStatus } from '../test/helpers/serve-process.js';

export interface BenchFigure {
  /** What was measured, e.g. `kcat produce`. */
  metric: string;
  /** null: not measurable yet (a soak's checkpoint taken before its warm-up ended has no slope). */
  value: number | null;
  unit: string;
  /** The side-by-side baseline, when the target is a ratio. */
  baseline?: { metric: string; value: number; unit: string };
  /** value / baseline (or as the target defines it). */
  ratio?: number;
  /** Human-readable target, e.g. `ratio >= 0.5`, `p99 < 2000 ms`. */
  target?: string;
  /** Whether the target is met; absent when the figure has no target. */
  pass?: boolean;
}

export interface BenchResult {
  name: string;
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string; platform: string };
  /** Peak resident set size of the benchmark process, MiB. */
  peakRssMiB: number;
  figures: BenchFigure[];
  /** Anything else worth keeping (method notes, raw samples). */
  details?: Record<string, unknown>;
}

export function machineInfo(): BenchResult['machine'] {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Peak RSS of this process so far, MiB (maxRSS is in KiB on Linux). */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Peak RSS (VmHWM) of a running process, MiB; null once it is gone. */
export function peakRssMiBOf(pid: number): number | null {
  const status = procStatus(pid);
  return status ? Math.round(status.peakRss / 1024 / 1024) : null;
}

export const RESULTS_DIR = new URL('./results/', import.meta.url);

/**
 * Starts a benchmark clock; `finish` writes bench/results/<name>.json and prints the figures. `checkpoint` writes the
 * same file without printing, for a long benchmark whose process may be killed before it finishes (bench:soak): the
 * last checkpoint is then its result. Both replace the file whole (a rename), so a kill never leaves half of one.
 */
export function startBench(name: string) {
  const startedAt = new Date();
  const write = (figures: BenchFigure[], details?: Record<string, unknown>): BenchResult => {
    const result: BenchResult = {
      name,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      machine: machineInfo(),
      peakRssMiB: peakRssMiB(),
      figures,
      ...(details ? { details } : {}),
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = new URL(`${name}.json`, RESULTS_DIR);
    const tmp = new URL(`${name}.json.tmp`, RESULTS_DIR);
    writeFileSync(tmp, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(tmp, file);
    return result;
  };
  return {
    checkpoint: write,
    finish(figures: BenchFigure[], details?: Record<string, unknown>): BenchResult {
      const result = write(figures, details);
      for (const f of figures) process.stdout.write(`${name}: ${formatFigure(f)}\n`);
      process.stdout.write(`${name}: peak RSS ${result.peakRssMiB} MiB\n`);
      return result;
    },
  };
}

export function formatFigure(f: BenchFigure): string {
  const v = `${fmt(f.value)} ${f.unit}`;
  const base = f.baseline ? ` vs ${f.baseline.metric} ${fmt(f.baseline.value)} ${f.baseline.unit}` : '';
  const ratio = f.ratio !== undefined ? ` = ratio ${f.ratio.toFixed(3)}` : '';
  const target = f.target ? ` (target ${f.target}: ${f.pass ? 'met' : 'NOT met'})` : '';
  return `${f.metric} ${v}${base}${ratio}${target}`;
}

export function fmt(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(4)).toString();
}

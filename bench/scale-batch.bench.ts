/**
 * bench:scale-batch: what one batch costs a `ticklake process --scale-out` instance whatever its size (the fixed
 * per-batch cost: per partition a commit entry, staged files, their renames, the entry's state; test/scale-out.test.ts
 * `MAX_BATCH`).
 *
 * The topic of test/scale-out.test.ts (seededRun(12): 10,450 ticks, each symbol on one of 6 partitions) is processed
 * to its end (`--until-idle`) by one `--scale-out` instance, under GNU time, at two batch sizes (`--max-batch`,
 * SCALE_BATCH_SIZES, default 250 and 2000). The commit entries of a run (one per partition batch, the final flushes
 * included) are counted from the lake's log; the fixed cost per entry is the slope between the two sizes,
 * (CPU(small) − CPU(large)) / (entries(small) − entries(large)), and the cost per `--max-batch` batch that
 * scale-out.test.ts's comment speaks of is the same slope over the number of batches, ⌈ticks / size⌉.
 *
 * The baseline is another commit of this repository (SCALE_BATCH_BASE, a git ref, default HEAD~: the commit before
 * the change being measured), extracted with `git archive` beside this checkout's node_modules and run the same way,
 * alternating A B A B (the order swapped every round), SCALE_BATCH_ROUNDS rounds (default 2, about two minutes; 3 for the figures of bench/HISTORY.md). Medians; the ratio is
 * this checkout's over the baseline's. SCALE_BATCH_BASE=none measures this checkout alone.
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onSymbolPartitions, seededRun } from '../processors/ticks/test/fixtures.js';
import { removeMirrorsOf } from '../test/helpers/checkout-copy.js';
import { produceAll } from '../test/helpers/processor-run.js';
import { startBrokerProcess } from './process-e2e.js';
import { type BenchFigure, peakRssMiB, startBench } from './result.js';
import { median } from './stats.js';
import { requireGnuTime, type TimedRun, timedTicklake } from './timed.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PARTITIONS = 6;
const ROUNDS = Number(process.env.SCALE_BATCH_ROUNDS ?? 2);
const SIZES = (process.env.SCALE_BATCH_SIZES ?? '250,2000').split(',').map(Number);
const BASE = process.env.SCALE_BATCH_BASE ?? 'HEAD~';

interface Run extends TimedRun {
  entries: number;
}

/** Commit entries the run created: per partition, the latest sequence (entries are numbered from 1). */
function entries(lake: string): number {
  let n = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const names = readdirSync(join(lake, '_commits', 'ticks', String(p))).filter((f) => /^\d{20}\.json$/.test(f));
    n += Math.max(0, ...names.map((f) => Number(f.slice(0, 20))));
  }
  return n;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  requireGnuTime('bench:scale-batch');
  const bench = startBench('scale-batch');
  const dir = mkdtempSync(join(tmpdir(), 'ticklake-bench-scale-batch-'));
  const roots: Record<string, string> = { subject: ROOT };
  let baseCommit: string | undefined;
  if (BASE !== 'none') {
    baseCommit = execFileSync('git', ['rev-parse', BASE], { cwd: ROOT, encoding: 'utf8' }).trim();
    const base = join(dir, 'base');
    mkdirSync(base);
    execSync(`git archive ${baseCommit} | tar -x -C ${base}`, { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(base, 'node_modules'));
    roots.base = base;
  }
  const [broker, run] = await Promise.all([
    startBrokerProcess(join(dir, 'broker'), PARTITIONS), // its own process: timedTicklake blocks this one
    seededRun(12),
  ]);
  try {
    const messages = onSymbolPartitions(run.log.messages, PARTITIONS);
    await produceAll([broker.address], 'ticks', messages, PARTITIONS);
    const ticks = messages.length;
    for (const root of Object.values(roots)) timedTicklake(root, ['--version']); // each mirror built before measuring
    const runs: Record<string, Record<number, Run[]>> = {};
    let n = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const kinds = Object.keys(roots);
      if (round % 2) kinds.reverse();
      for (const size of SIZES) {
        for (const kind of kinds) {
          const at = join(dir, `r${n++}`);
          const lake = join(at, 'lake');
          const t = timedTicklake(roots[kind], [
            'process',
            '--scale-out',
            '--until-idle',
            '--sources',
            'ticks',
            '--session-timeout',
            '3s',
            '--max-batch',
            String(size),
            '--brokers',
            broker.address,
            '--group',
            `g${n}`,
            '--lake-dir',
            lake,
            '--state-dir',
            join(at, 'state'),
          ]);
          const r = { ...t, entries: entries(lake) };
          runs[kind] ??= {};
          runs[kind][size] ??= [];
          runs[kind][size].push(r);
          process.stderr.write(
            `round ${round} ${kind} --max-batch ${size}: ${r.cpu.toFixed(2)} CPU-s, ${r.wall.toFixed(1)} s wall, ` +
              `${r.entries} entries, ${r.rssMiB} MiB\n`,
          );
          rmSync(at, { recursive: true, force: true });
        }
      }
    }
    const [small, large] = SIZES;
    const perKind = (kind: string) => {
      const cpuS = median(runs[kind][small].map((r) => r.cpu));
      const cpuL = median(runs[kind][large].map((r) => r.cpu));
      const entS = median(runs[kind][small].map((r) => r.entries));
      const entL = median(runs[kind][large].map((r) => r.entries));
      return {
        cpuSmall: cpuS,
        cpuLarge: cpuL,
        perEntry: (cpuS - cpuL) / (entS - entL),
        perBatch: (cpuS - cpuL) / (Math.ceil(ticks / small) - Math.ceil(ticks / large)),
        rss: median([...runs[kind][small], ...runs[kind][large]].map((r) => r.rssMiB)),
      };
    };
    const s = perKind('subject');
    const b = roots.base ? perKind('base') : undefined;
    const fig = (metric: string, value: number, unit: string, base?: number): BenchFigure => ({
      metric,
      value: r3(value),
      unit,
      ...(base === undefined
        ? {}
        : { baseline: { metric: `at ${baseCommit?.slice(0, 7)}`, value: r3(base), unit }, ratio: r3(value / base) }),
    });
    bench.finish(
      [
        fig('fixed CPU per commit entry (slope between the two sizes)', s.perEntry, 'CPU-s', b?.perEntry),
        fig(`fixed CPU per --max-batch batch (${small} vs ${large})`, s.perBatch, 'CPU-s', b?.perBatch),
        fig(`whole topic at --max-batch ${small}`, s.cpuSmall, 'CPU-s', b?.cpuSmall),
        fig(`whole topic at --max-batch ${large}`, s.cpuLarge, 'CPU-s', b?.cpuLarge),
        fig('peak RSS of the instance', s.rss, 'MiB', b?.rss),
      ],
      {
        ticks,
        partitions: PARTITIONS,
        sizes: SIZES,
        rounds: ROUNDS,
        baseCommit,
        benchPeakRssMiB: peakRssMiB(),
        runs,
        method:
          'one --scale-out instance, --until-idle, under GNU time (user + system); subject and baseline alternating, ' +
          'the order swapped every round; medians',
      },
    );
  } finally {
    await broker.stop();
    if (roots.base) removeMirrorsOf(roots.base);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * `npm run bench:idle-tables`: what the keyed-table engine costs `ticklake process --until-idle` over 2,000 ticks when
 * none of its sources' topics holds a message (the test suite's and a ticks-only user's case; startup.ts). Alternating
 * rounds, fresh group, lake and state each: `process` with every declared source against `process --sources ticks`
 * (the floor: no keyed-table engine), and, with `BASE_DIR=<a checkout of an older commit, with node_modules>`, the
 * same `process` from that checkout (to measure a change side by side). CPU seconds of each process (user + system,
 * all threads), wall time and peak RSS from GNU time; medians and their ratios. The machine's load is recorded: it is
 * shared, and only figures taken side by side mean anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrokerProcess } from './process-e2e.js';
import { type BenchFigure, startBench } from './result.js';
import { median } from './stats.js';
import { requireGnuTime, type TimedRun, timedTicklake } from './timed.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BASE = process.env.BASE_DIR;
const ROUNDS = Number(process.env.IDLE_TABLES_ROUNDS ?? 5);
requireGnuTime('bench:idle-tables');

const bench = startBench('idle-tables');
const dir = mkdtempSync(join(tmpdir(), 'ticklake-bench-idle-tables-'));
const broker = await startBrokerProcess(join(dir, 'broker'), 3);
try {
  timedTicklake(ROOT, ['produce', '--brokers', broker.address, '--count', '2000', '--seed', '7']);
  const variants: Record<string, { root: string; extra: string[] }> = {
    'every source': { root: ROOT, extra: [] },
    '--sources ticks': { root: ROOT, extra: ['--sources', 'ticks'] },
  };
  if (BASE) variants['every source, BASE_DIR'] = { root: BASE, extra: [] };
  for (const v of Object.values(variants)) timedTicklake(v.root, ['--version']); // each checkout's mirror exists before
  const runs: Record<string, TimedRun[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const loads: number[] = [];
  const names = Object.keys(variants);
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order, so that no variant always runs first
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const { root, extra } = variants[name];
      const run = join(dir, `r${round}-${names.indexOf(name)}`);
      loads.push(loadavg()[0]);
      runs[name].push(
        timedTicklake(root, [
          'process',
          '--brokers',
          broker.address,
          '--group',
          `g-${round}-${names.indexOf(name)}`,
          '--until-idle',
          '--lake-dir',
          join(run, 'lake'),
          '--state-dir',
          join(run, 'state'),
          ...extra,
        ]),
      );
      rmSync(run, { recursive: true, force: true });
    }
  }
  const subject = runs['every source'];
  const figures: BenchFigure[] = [];
  for (const base of names.slice(1)) {
    for (const [what, unit, of] of [
      ['CPU', 'CPU-s', (r: TimedRun) => r.cpu],
      ['wall', 's', (r: TimedRun) => r.wall],
      ['peak RSS', 'MiB', (r: TimedRun) => r.rssMiB],
    ] as const) {
      const a = median(subject.map(of));
      const b = median(runs[base].map(of));
      figures.push({
        metric: `process --until-idle (2,000 ticks), every source: ${what}`,
        value: a,
        unit,
        baseline: { metric: base, value: b, unit },
        ratio: a / b,
      });
    }
  }
  const base = BASE
    ? spawnSync('git', ['-C', BASE, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim()
    : undefined;
  bench.finish(figures, { rounds: ROUNDS, runs, loadAvg1m: { median: median(loads), max: Math.max(...loads) }, base });
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * `npm run bench:startup`: what starting a ticklake process costs, from the compiled mirror of the sources
 * (cli/compiled.js, the default) against the same sources through tsx's module hooks (TICKLAKE_COMPILE=0), run
 * alternately in the same run: `--help` (loads every command's module), `sql` on an empty lake (DuckDB and the lake
 * session), `process --until-idle` over 2,000 ticks in a fresh group (the consumer thread, the group, one batch).
 * CPU seconds of each process (user + system, all its threads), wall time and peak RSS, from GNU time (Debian's
 * `time` package). Also the mirror's first build: a copy of the repository started cold, then warm.
 *
 * The test suite starts about 380 such processes and is bound by CPU (bench:suite), which is why this matters.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyCheckout, removeMirrorsOf } from '../test/helpers/checkout-copy.js';
import { startBrokerProcess } from './process-e2e.js';
import { type BenchFigure, startBench } from './result.js';
import { median } from './stats.js';
import { requireGnuTime, type TimedRun, timedTicklake } from './timed.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.STARTUP_ROUNDS ?? 5);
requireGnuTime('bench:startup');

const bench = startBench('startup');
const dir = mkdtempSync(join(tmpdir(), 'ticklake-bench-startup-'));
// in its own process: the runs below block this one's event loop
const broker = await startBrokerProcess(join(dir, 'broker'), 3);
try {
  timedTicklake(ROOT, ['produce', '--brokers', broker.address, '--count', '2000', '--seed', '7']);
  mkdirSync(join(dir, 'empty-lake'));
  const commands: Record<string, (round: number, mode: string) => string[]> = {
    '--help': () => ['--help'],
    sql: () => ['sql', '--lake-dir', join(dir, 'empty-lake'), 'SELECT 42'],
    'process --until-idle (2,000 ticks)': (round, mode) => {
      const run = join(dir, `${mode}-${round}`);
      return ['process', '--brokers', broker.address, '--group', `g-${mode}-${round}`, '--until-idle'].concat([
        '--lake-dir',
        join(run, 'lake'),
        '--state-dir',
        join(run, 'state'),
      ]);
    },
  };
  const modes = { compiled: {}, tsx: { TICKLAKE_COMPILE: '0' } } as const;
  timedTicklake(ROOT, ['--version']); // the mirror of this checkout exists before the first measured run
  const runs: Record<string, Record<string, TimedRun[]>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    // alternate which mode goes first, so that neither always runs on a warmer page cache
    const order = round % 2 ? (['tsx', 'compiled'] as const) : (['compiled', 'tsx'] as const);
    for (const [name, args] of Object.entries(commands)) {
      for (const mode of order) {
        runs[name] ??= { compiled: [], tsx: [] };
        runs[name][mode].push(timedTicklake(ROOT, args(round, mode), modes[mode]));
      }
    }
  }

  // the first start after a change builds the mirror: a copy of the repository, cold then warm
  const copy = join(dir, 'copy');
  copyCheckout(copy);
  const cold = timedTicklake(copy, ['--version'], { TICKLAKE_COMPILE: '1' });
  const warm = timedTicklake(copy, ['--version'], { TICKLAKE_COMPILE: '1' });

  const figures: BenchFigure[] = [];
  for (const [name, byMode] of Object.entries(runs)) {
    const c = median(byMode.compiled.map((r) => r.cpu));
    const t = median(byMode.tsx.map((r) => r.cpu));
    figures.push({
      metric: `${name}: CPU per process, compiled`,
      value: c,
      unit: 'CPU-s',
      baseline: { metric: 'through tsx', value: t, unit: 'CPU-s' },
      ratio: c / t,
    });
    const rc = median(byMode.compiled.map((r) => r.rssMiB));
    const rt = median(byMode.tsx.map((r) => r.rssMiB));
    figures.push({
      metric: `${name}: peak RSS, compiled`,
      value: rc,
      unit: 'MiB',
      baseline: { metric: 'through tsx', value: rt, unit: 'MiB' },
      ratio: rc / rt,
    });
  }
  figures.push({
    metric: 'first start after a change (builds the mirror): --version',
    value: cold.cpu,
    unit: 'CPU-s',
    baseline: { metric: 'the next start', value: warm.cpu, unit: 'CPU-s' },
    ratio: cold.cpu / warm.cpu,
  });
  bench.finish(figures, { rounds: ROUNDS, runs, mirror: { cold, warm } });
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
  removeMirrorsOf(dir); // the copy's: its links would point at nothing
}

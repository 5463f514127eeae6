/**
 * `npm run bench:suite`: the whole test suite as `npm test` runs it (vitest.config.ts: forks, isolation), timed, with
 * the CPU each test file used (bench/suite/cpu-per-file.ts: its fork and the processes it started) and the machine's
 * CPU over the run (/proc/stat). It answers "why does the suite take this long": when the machine's cores were busy
 * nearly all the run, the suite is bound by CPU and more forks cannot help — only less CPU per file can; when they
 * were not, the files wait (rebalances, session timeouts) and more parallelism would.
 *
 * Target: the suite under 10 minutes (CONTRIBUTING.md). Writes bench/results/suite.json with every file's CPU and wall
 * time. Not part of `npm run bench` (it takes as long as the suite). Run it on a quiet machine: another load beside it
 * lengthens every wait and adds CPU to the files that run a pipeline for a stretch of wall time.
 * SUITE_FILES (space-separated) runs only those test files.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBench } from './result.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Busy and total CPU seconds of the whole machine since boot (/proc/stat, first line; ticks of 1/100 s). */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const first = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
  const v = first.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = v[3] + (v[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / 100, total: total / 100 };
}

interface FileCpu {
  file: string;
  cpuSelf: number;
  cpuChildren: number;
  wallSeconds: number;
}

const bench = startBench('suite');
const dir = await mkdtemp(join(tmpdir(), 'ticklake-bench-suite-'));
const out = join(dir, 'cpu.jsonl');
const files = (process.env.SUITE_FILES ?? '').split(/\s+/).filter(Boolean);
const cpu0 = await machineCpu();
const t0 = Date.now();
const code = await new Promise<number>((resolve) => {
  const child = spawn('npx', ['vitest', 'run', '--config', 'bench/suite/vitest.config.ts', ...files], {
    cwd: ROOT,
    env: { ...process.env, SUITE_CPU_OUT: out },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (c) => resolve(c ?? 1));
});
const wall = (Date.now() - t0) / 1000;
const cpu1 = await machineCpu();
const rows: FileCpu[] = (await readFile(out, 'utf8').catch(() => ''))
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as FileCpu)
  .map((r) => ({ ...r, file: relative(ROOT, r.file) }));
await rm(dir, { recursive: true, force: true });

const cores = cpus().length;
const busy = cpu1.busy - cpu0.busy;
const filesCpu = rows.reduce((a, r) => a + r.cpuSelf + r.cpuChildren, 0);
const byCpu = [...rows].sort((a, b) => b.cpuSelf + b.cpuChildren - (a.cpuSelf + a.cpuChildren));
const round = (v: number) => Math.round(v * 10) / 10;
bench.finish(
  [
    { metric: 'suite wall time', value: round(wall), unit: 's', target: '< 600 s', pass: wall < 600 },
    {
      metric: 'machine CPU busy during the run',
      value: round(busy),
      unit: 'CPU-s',
      baseline: { metric: `${cores} cores × wall`, value: round(cores * wall), unit: 'CPU-s' },
      ratio: busy / (cores * wall),
    },
    { metric: 'CPU of the test files (forks and their children)', value: round(filesCpu), unit: 'CPU-s' },
    {
      metric: 'the 10 files with the most CPU',
      value: round(byCpu.slice(0, 10).reduce((a, r) => a + r.cpuSelf + r.cpuChildren, 0)),
      unit: 'CPU-s',
      baseline: { metric: 'all files', value: round(filesCpu), unit: 'CPU-s' },
      ratio: filesCpu > 0 ? byCpu.slice(0, 10).reduce((a, r) => a + r.cpuSelf + r.cpuChildren, 0) / filesCpu : 0,
    },
  ],
  {
    vitestExitCode: code,
    files: rows.length,
    loadAverageAtEnd: loadavg().map(round),
    byCpu: byCpu.map((r) => ({ ...r, cpu: round(r.cpuSelf + r.cpuChildren) })),
  },
);
for (const r of byCpu.slice(0, 15)) {
  process.stdout.write(`  ${round(r.cpuSelf + r.cpuChildren)} CPU-s, ${round(r.wallSeconds)} s wall  ${r.file}\n`);
}
process.exitCode = code;

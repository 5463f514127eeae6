/**
 * `npm run bench:scheduler-memory`: does the scheduler keep memory from one hourly run to the next? A lake of
 * SCHED_MEM_HOURS hours (default 4) of tick files, SCHED_MEM_FILES a hour (default 2,000, of 500 ticks each: at
 * start's rate and batch pace the day's partition holds thousands of files before compaction's tiers merge them),
 * and the bundled SQL's scheduler ticking at the end of each hour, in a process of its own
 * (bench/scheduler-memory-child.ts), its resident memory after each tick:
 *
 * - `per-tick`: as ticklake runs it, the scheduler's DuckDB opened by a tick that runs something and closed at its
 *   end (scheduler/on-demand-session.ts);
 * - `kept`, the baseline: one session held across every tick, as the scheduler did before (and as the API's
 *   long-lived sessions do).
 *
 * Alternating runs (SCHED_MEM_ROUNDS, default 2); medians. Figures: resident memory after the last tick, its growth
 * from the first tick to the last, and the median tick time (the cost of opening a session per tick is in it).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { type BenchFigure, startBench } from './result.js';
import { median } from './stats.js';

const HOURS = Number(process.env.SCHED_MEM_HOURS ?? 4);
const FILES = Number(process.env.SCHED_MEM_FILES ?? 2000);
const ROWS = Number(process.env.SCHED_MEM_ROWS ?? 500);
const ROUNDS = Number(process.env.SCHED_MEM_ROUNDS ?? 2);
const DAY = '2026-12-07';
const T0 = Date.parse(`${DAY}T00:00:00Z`);
const child = fileURLToPath(new URL('./scheduler-memory-child.ts', import.meta.url));

/** Tick files as the processor names them (`p<partition>-<first>-<last>.parquet`), spread over each hour. */
async function writeLake(lakeDir: string): Promise<void> {
  const dir = join(lakeDir, 'ticks', `date=${DAY}`);
  mkdirSync(dir, { recursive: true });
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await inst.connect();
  try {
    for (let h = 0; h < HOURS; h++) {
      for (let f = 0; f < FILES; f++) {
        const p = f % 3;
        const lo = (h * FILES + f) * ROWS;
        const at = (T0 + h * 3_600_000 + Math.floor((f / FILES) * 3_600_000)) * 1000;
        await c.run(`copy (select 'S' || (r % 20) as symbol, 'X' as exchange, 'equity' as asset_class,
            make_timestamp(${at} + r * 1000) as ts, 100 + (r % 97) / 10.0 as price, 1.0 + r % 5 as size,
            ${p}::integer as kafka_partition, (${lo} + r)::bigint as kafka_offset, date '${DAY}' as date
          from range(${ROWS}) t(r))
          to '${join(dir, `p${p}-${lo}-${lo + ROWS - 1}.parquet`)}' (format parquet)`);
      }
    }
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

interface TickSample {
  hour: number;
  tickMs: number;
  rssMiB: number;
}

/** One scheduler's run over a lake of its own: the tick files hard-linked, no claims or results of another run. */
function runChild(ticksLake: string, mode: 'per-tick' | 'kept'): TickSample[] {
  const lakeDir = mkdtempSync(join(tmpdir(), 'ticklake-bench-schedmem-run-'));
  execFileSync('cp', ['-al', join(ticksLake, 'ticks'), join(lakeDir, 'ticks')]);
  try {
    return readSamples(lakeDir, mode);
  } finally {
    rmSync(lakeDir, { recursive: true, force: true });
  }
}

function readSamples(lakeDir: string, mode: 'per-tick' | 'kept'): TickSample[] {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', child, lakeDir, String(HOURS), mode, `${DAY}T00:00:00Z`],
    {
      encoding: 'utf8',
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as TickSample);
}

const bench = startBench('scheduler-memory');
const lakeDir = mkdtempSync(join(tmpdir(), 'ticklake-bench-schedmem-'));
try {
  await writeLake(lakeDir);
  const runs: Record<'per-tick' | 'kept', TickSample[][]> = { 'per-tick': [], kept: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 === 0 ? (['per-tick', 'kept'] as const) : (['kept', 'per-tick'] as const)) {
      const samples = runChild(lakeDir, mode);
      if (samples.length !== HOURS) throw new Error(`${mode}: ${samples.length} ticks reported, expected ${HOURS}`);
      runs[mode].push(samples);
      process.stdout.write(`${mode}: ${samples.map((s) => `${s.rssMiB} MiB`).join(', ')}\n`);
    }
  }
  const last = (m: 'per-tick' | 'kept') => median(runs[m].map((s) => s[s.length - 1].rssMiB));
  const growth = (m: 'per-tick' | 'kept') => median(runs[m].map((s) => s[s.length - 1].rssMiB - s[0].rssMiB));
  const tick = (m: 'per-tick' | 'kept') => median(runs[m].flatMap((s) => s.map((x) => x.tickMs)));
  const what = `${HOURS} hourly ticks of the bundled SQL over ${HOURS * FILES} tick files`;
  const figures: BenchFigure[] = [
    {
      metric: `resident memory after ${what}, a session per tick`,
      value: last('per-tick'),
      unit: 'MiB',
      baseline: { metric: 'one session kept across the ticks', value: last('kept'), unit: 'MiB' },
      ratio: Math.round((last('per-tick') / last('kept')) * 1000) / 1000,
    },
    {
      metric: 'resident memory growth from the first tick to the last, a session per tick',
      value: growth('per-tick'),
      unit: 'MiB',
      baseline: { metric: 'one session kept', value: growth('kept'), unit: 'MiB' },
    },
    {
      metric: 'median tick time, a session per tick (opening it included)',
      value: tick('per-tick'),
      unit: 'ms',
      baseline: { metric: 'one session kept', value: tick('kept'), unit: 'ms' },
      ratio: Math.round((tick('per-tick') / tick('kept')) * 1000) / 1000,
    },
  ];
  bench.finish(figures, { hours: HOURS, filesPerHour: FILES, rowsPerFile: ROWS, rounds: ROUNDS, runs });
} finally {
  rmSync(lakeDir, { recursive: true, force: true });
}

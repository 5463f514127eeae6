/**
 * `npm run bench:soak`: does a long run's memory stay flat? `ticklake start` (its own process, as a user runs it:
 * embedded broker, the exchanges, both engines, the compactor, the scheduler, the API, a private mariadbd when one
 * is installed) at a raised rate for a bounded time, the resident memory of its whole process tree sampled every few
 * seconds. After a warm-up: the slope of a least-squares line through every sample and through each minute's lowest
 * sample (the floor: a leak lifts it, uncollected garbage does not), in MB per hour with ± 2 standard errors, and the
 * peak, written to bench/results/<SOAK_NAME>.json with every sample. A slope passes (target < 5 MB/h) only when its
 * whole interval is under the target.
 *
 * Length: RSS swings by about ±40 MB (sd) within a minute (V8's heap, DuckDB's per-batch buffers), so 15 minutes
 * bound the slope to about ±130 MB/h only; telling 5 MB/h from 0 takes about two hours (SOAK_MINUTES=120). The
 * default, 15 minutes, is what a shared 2-core machine can give a run; it catches fast growth (a leak per batch),
 * not a slow one. bench/HISTORY.md ("Memory over hours") has the runs and what they showed.
 *
 * Windows: `10s,1m` by default, not start's `10s,1m,1h,1d`. The open 1h and 1d windows hold every tick since they
 * opened (their buffer is the processor's state and grows by design until the window closes, ~9 bytes a tick once
 * checkpointed: docs/processor.md), which would hide a leak behind legitimate growth; with windows that close within
 * the warm-up every byte that still grows is one nothing needs. SOAK_WINDOWS chooses others.
 *
 * Batches: the processor's DuckDB keeps a little memory per batch until its eviction queues reach their floor,
 * ~10,000 batches (bench:core-memory; docs/processor.md). `ticklake start` commits a batch every 2 s at most
 * (--batch-interval), ~0.5 a second, so at start's pace a window after that point begins ~6 hours in.
 * TICKLAKE_BATCH_INTERVAL=200ms ages a run faster: ~2.3 batches a second here, 10,000 within ~75 minutes, the same
 * ticks in smaller batches (recorded in the result's env, like every TICKLAKE_* setting).
 *
 * Dashboard: one subscriber of GET /api/live stays connected for the whole run (bench/dashboard-subscriber.ts), as
 * when a user keeps the dashboard open: the API's live poller then reads the newest lake files every second, which a
 * run without it never exercises (bench/HISTORY.md, nineteenth stop: the API's file cache grew only with it).
 * SOAK_DASHBOARD=0 runs without one.
 *
 * Stopping early: SIGINT or SIGTERM to the benchmark ends the run at the next sample and writes the result of what
 * was sampled (its `minutes` says how long that was), so a long run cut short is not lost. A run killed outright
 * (SIGKILL, a machine that goes away) leaves its last checkpoint: the result is written every
 * SOAK_CHECKPOINT_MINUTES (10) while the run goes on, marked `partial: true` (and its start, mariadbd and data
 * directory are left behind: `pkill -f 'ticklake-bench-soak-'` ends them).
 *
 * SOAK_MINUTES (default 15), SOAK_WARMUP_MINUTES (2), SOAK_RATE (ticks/s, 2000), SOAK_SAMPLE_SECONDS (5),
 * SOAK_WINDOWS, SOAK_DASHBOARD (1), SOAK_CHECKPOINT_MINUTES (10), SOAK_NAME (default soak). The allocator is the environment's: glibc's
 * MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ (or GLIBC_TUNABLES), or
 * LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 (Debian's libjemalloc2) apply to the whole tree and are
 * recorded in the result, with every TICKLAKE_* setting (TICKLAKE_RETENTION_BYTES=64MiB makes the broker's logs
 * reach their steady size within ~20 minutes instead of ~45 at start's 256MiB).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendants, procStatus } from '../test/helpers/serve-process.js';
import { openDashboardSubscriber } from './dashboard-subscriber.js';
import { type BenchFigure, startBench } from './result.js';
import { type PartSlope, windowSlope } from './soak-slopes.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 15);
const WARMUP_MINUTES = Number(process.env.SOAK_WARMUP_MINUTES ?? Math.min(2, MINUTES / 4));
const RATE = Number(process.env.SOAK_RATE ?? 2000);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 5);
const WINDOWS = process.env.SOAK_WINDOWS ?? '10s,1m';
const DASHBOARD = process.env.SOAK_DASHBOARD !== '0';
const CHECKPOINT_MINUTES = Number(process.env.SOAK_CHECKPOINT_MINUTES ?? 10);
const bin = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
const MiB = 1024 * 1024;

/**
 * Resident memory (bytes) of a process and every descendant, from /proc; per process name, and per role: `start`
 * (the root), `api-worker` (the API's query process), else the process name.
 */
export function treeRss(root: number): {
  total: number;
  byName: Record<string, number>;
  byRole: Record<string, number>;
} {
  let total = 0;
  const byName: Record<string, number> = {};
  const byRole: Record<string, number> = {};
  // the tree alone, not all of /proc for parent ids: a sample every 5 s for hours
  for (const pid of [root, ...descendants(root)]) {
    const status = procStatus(pid);
    if (!status) continue; // gone
    total += status.rss;
    byName[status.name] = (byName[status.name] ?? 0) + status.rss;
    const role = pid === root ? 'start' : roleOf(pid, status.name);
    byRole[role] = (byRole[role] ?? 0) + status.rss;
  }
  return { total, byName, byRole };
}

function roleOf(pid: number, name: string): string {
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-entry')) return 'api-worker';
  } catch {
    /* gone */
  }
  return name;
}

/** Every sample of a metric (all label sets) in exposition text. */
function samples(text: string, name: string): number[] {
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].map((m) => Number(m[1]));
}

/** The first sample of a metric; null when there is none. */
function metric(text: string, name: string): number | null {
  return samples(text, name)[0] ?? null;
}

/** The sum of every sample of a metric; null when there is none. */
function metricSum(text: string, name: string): number | null {
  const all = samples(text, name);
  return all.length ? all.reduce((a, b) => a + b, 0) : null;
}

/**
 * Where the start process's memory is, from its own /metrics (MiB): V8's heap of the main thread (total and used)
 * and of the worker threads (the consumer threads, ticklake_thread_heap_size_total_bytes), memory outside them that
 * V8 knows of (Buffers, all threads), and each DuckDB database's buffer manager (ticklake_duckdb_memory_bytes).
 */
function parts(text: string): {
  heapTotal: number;
  heapUsed: number;
  threadHeaps: number;
  external: number;
  duckdb: Record<string, number>;
} {
  const mib = (v: number | null) => Math.round(((v ?? 0) / MiB) * 10) / 10;
  const duckdb: Record<string, number> = {};
  for (const m of text.matchAll(/^ticklake_duckdb_memory_bytes\{database="([^"]+)",tag="[^"]+"\} (\S+)$/gm))
    duckdb[m[1]] = Math.round((duckdb[m[1]] ?? 0) + Number(m[2]) / MiB);
  return {
    heapTotal: mib(metric(text, 'ticklake_nodejs_heap_size_total_bytes')),
    heapUsed: mib(metric(text, 'ticklake_nodejs_heap_size_used_bytes')),
    threadHeaps: mib(metricSum(text, 'ticklake_thread_heap_size_total_bytes')),
    external: mib(
      (metric(text, 'ticklake_nodejs_external_memory_bytes') ?? 0) +
        (metricSum(text, 'ticklake_thread_external_memory_bytes') ?? 0),
    ),
    duckdb,
  };
}

export type Sample = {
  s: number;
  rssMiB: number;
  byName: Record<string, number>;
  byRole: Record<string, number>;
  ticks: number | null;
  batches: number | null;
  lag: number | null;
  load1: number;
  parts: ReturnType<typeof parts> | null;
};

/** The figures and details of a run from its samples so far (the final result and every checkpoint). */
export function summarize(samples: Sample[]): { figures: BenchFigure[]; details: Record<string, unknown> } {
  const runMinutes = Math.round(((samples.at(-1)?.s ?? 0) / 60) * 10) / 10;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  // the same slopes as `npm run bench:soak:report` over the window from the warm-up's end to the last sample
  const [all, fl, ...byPart] = windowSlope(samples, WARMUP_MINUTES, Number.POSITIVE_INFINITY).slopes;
  const interval = (b: PartSlope) =>
    b.slope === null || b.twoSe === null
      ? `not yet: ${b.points} points after the warm-up`
      : `± 2 standard errors ${r1(b.twoSe)}`;
  // met only when the whole 95 % interval is under the target: a short, noisy run proves nothing either way
  const under5 = (b: PartSlope) => b.slope !== null && b.twoSe !== null && b.slope + b.twoSe < 5;
  const value = (b: PartSlope) => (b.slope === null ? null : r1(b.slope));
  const peak = Math.max(...samples.map((x) => x.rssMiB));
  // per second from the first sample that has the counter to the last (the API answers a few seconds after start)
  const rate = (field: 'ticks' | 'batches'): number => {
    const first = samples.find((x) => x[field] !== null);
    const last = samples.at(-1);
    const [a, b] = [first?.[field], last?.[field]];
    return first && last && a != null && b != null && last.s > first.s ? (b - a) / (last.s - first.s) : 0;
  };
  const tickRate = rate('ticks');
  const batchRate = rate('batches');
  const figures: BenchFigure[] = [
    {
      metric: `process tree RSS slope after ${WARMUP_MINUTES} min warm-up, ${runMinutes} min at ${RATE} ticks/s (windows ${WINDOWS}), every sample; ${interval(all)}`,
      value: value(all),
      unit: 'MB/h',
      target: '< 5 MB/h',
      pass: under5(all),
    },
    {
      metric: `process tree RSS floor slope (lowest sample of each minute); ${interval(fl)}`,
      value: value(fl),
      unit: 'MB/h',
      target: '< 5 MB/h',
      pass: under5(fl),
    },
    {
      metric: 'process tree peak RSS (ticklake start and its private mariadbd)',
      value: Math.round(peak),
      unit: 'MiB',
      target: '< 1024 MiB',
      pass: peak < 1024,
    },
    { metric: 'ticks processed per second during the run', value: Math.round(tickRate), unit: 'ticks/s' },
    { metric: 'processing batches committed per second during the run', value: r1(batchRate), unit: 'batches/s' },
    // where a slope comes from: each part's own slope after the warm-up (no target)
    ...byPart.map((b) => ({ metric: `slope of ${b.part}; ${interval(b)}`, value: value(b), unit: 'MB/h' })),
  ];
  return {
    figures,
    details: {
      minutes: runMinutes,
      plannedMinutes: MINUTES,
      warmupMinutes: WARMUP_MINUTES,
      rate: RATE,
      windows: WINDOWS,
      // the allocator's settings (glibc's MALLOC_*_ and GLIBC_TUNABLES, or another allocator preloaded) and ticklake's
      env: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => /^(MALLOC_|GLIBC_TUNABLES$|LD_PRELOAD$|TICKLAKE_)/.test(k)),
      ),
      loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
      samples,
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bench = startBench(process.env.SOAK_NAME ?? 'soak');
  const dir = await mkdtemp(join(tmpdir(), 'ticklake-bench-soak-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      'start',
      '--data-dir',
      dir,
      '--port',
      '0',
      '--broker-port',
      '0',
      '--rate',
      String(RATE),
      '--windows',
      WINDOWS,
    ],
    { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // kept from the spawn on: a Ctrl-C in a terminal reaches start too, which may then exit before the loop ends
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const running = () => child.exitCode === null && child.signalCode === null;
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /ticklake urls: dashboard=(\S+)\//.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`ticklake start exited early (${code}): ${stderr}`)));
  });
  const dashboard = DASHBOARD ? openDashboardSubscriber(base) : null;
  let stopRequested = false;
  const stopEarly = () => {
    stopRequested = true;
  };
  // on, not once: Ctrl-C reaches npm, tsx and this process together, and tsx relays its own SIGINT here too; a
  // second signal must not take the default action and lose the run
  process.on('SIGINT', stopEarly);
  process.on('SIGTERM', stopEarly);
  const t0 = Date.now();
  const samples: Sample[] = [];
  let lastCheckpoint = Date.now();
  const toMiB = (r: Record<string, number>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v / MiB)]));
  while (Date.now() - t0 < MINUTES * 60_000 && !stopRequested) {
    await new Promise((r) => setTimeout(r, SAMPLE_SECONDS * 1000));
    if (!running()) break;
    const { total, byName, byRole } = treeRss(child.pid as number);
    const text = await fetch(`${base}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    const ticks = metric(text, 'ticklake_processor_ticks_total');
    samples.push({
      s: Math.round((Date.now() - t0) / 1000),
      rssMiB: Math.round((total / MiB) * 10) / 10,
      byName: toMiB(byName),
      byRole: toMiB(byRole),
      ticks,
      // the processor's committed batches: native growth per batch (bench:core-memory) times this rate is per hour
      batches: metric(text, 'ticklake_processor_batches_total'),
      lag: metric(text, 'ticklake_consumer_lag_messages'),
      load1: Math.round(loadavg()[0] * 10) / 10,
      parts: text ? parts(text) : null,
    });
    if (process.stderr.isTTY)
      process.stderr.write(`\rsoak: ${samples.at(-1)?.s}s ${samples.at(-1)?.rssMiB} MiB ${ticks ?? '?'} ticks   `);
    if (Date.now() - lastCheckpoint >= CHECKPOINT_MINUTES * 60_000) {
      // what was sampled so far, in case this process is killed (SIGKILL, the machine going away) before the end
      lastCheckpoint = Date.now();
      const { figures, details } = summarize(samples);
      bench.checkpoint(figures, { partial: true, dashboard: { ...dashboard?.stats }, ...details });
    }
  }
  const dashboardStats = await dashboard?.close();
  if (running()) child.kill('SIGINT');
  const exit = await exited;
  await rm(dir, { recursive: true, force: true });

  const { figures, details } = summarize(samples);
  bench.finish(figures, {
    partial: false,
    // the dashboard subscriber's events, bytes and connections (more than one: the stream was dropped)
    dashboard: dashboardStats ?? null,
    exitCode: exit,
    ...details,
  });
  process.exit(0);
}

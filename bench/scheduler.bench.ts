/**
 * `npm run bench:scheduler`: what the scheduler costs per run over running the same SQL by hand. One simulated day
 * of hourly intervals of the fixture model (scheduler/test/fixtures.ts, ticks every 10 min) through the scheduler —
 * claim by link(), COPY to a dot-temp, commit mark, rename, a `pipeline_runs` record, done mark — against, side by
 * side in the same run, the baseline: the same model query COPY'd to a Parquet file per interval on a plain DuckDB
 * connection. Alternating rounds; medians. Also the time of one GET /metrics scrape with the scheduler's gauges.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { MetricsRegistry } from '../metrics/registry.js';
import { schedulerMetrics } from '../metrics/scheduler-metrics.js';
import { openScheduler } from '../scheduler/open.js';
import { DAY, HOUR, MODEL, schedFixture } from '../scheduler/test/fixtures.js';
import { peakRssMiB, startBench } from './result.js';
import { median } from './stats.js';

const ROUNDS = 5;
const HOURS = 24;

async function viaScheduler(): Promise<{ msPerRun: number; scrapeMs: number }> {
  const fx = await schedFixture({ 'models/hourly_counts.sql': MODEL });
  const m = new MetricsRegistry({ processMetrics: false });
  let s: Awaited<ReturnType<typeof openScheduler>> | undefined;
  const sm = schedulerMetrics(m, () => s?.scheduler);
  s = await openScheduler({
    lakeDir: fx.lake.dir,
    sqlDirs: [fx.sqlDir],
    bundled: false,
    onRun: sm.onRun,
    catchUp: 1000,
  });
  try {
    await s.scheduler.tick(DAY + HOUR); // the first interval: a new job runs only its latest
    const t0 = performance.now();
    await s.scheduler.tick(DAY + HOURS * HOUR); // the other 23, as one catch-up
    const msPerRun = (performance.now() - t0) / (HOURS - 1);
    const t1 = performance.now();
    await m.render();
    return { msPerRun, scrapeMs: performance.now() - t1 };
  } finally {
    await s.close();
    fx.close();
  }
}

async function baseline(): Promise<number> {
  const fx = await schedFixture({});
  const out = mkdtempSync(join(tmpdir(), 'tl-bench-base-'));
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  try {
    await c.run(
      `create view ticks as select * from read_parquet('${fx.lake.dir}/ticks/**/*.parquet', hive_partitioning = true)`,
    );
    const body = MODEL.split('\n')
      .filter((l) => !l.startsWith('--'))
      .join('\n');
    const t0 = performance.now();
    for (let h = 1; h < HOURS; h++) {
      await c.run(`copy (${body}) to '${join(out, `${h}.parquet`)}' (format parquet, compression zstd)`, {
        interval_start: new Date(DAY + h * HOUR).toISOString().replace('T', ' ').replace('Z', ''),
        interval_end: new Date(DAY + (h + 1) * HOUR).toISOString().replace('T', ' ').replace('Z', ''),
      });
    }
    return (performance.now() - t0) / (HOURS - 1);
  } finally {
    c.closeSync();
    db.closeSync();
    fx.close();
    rmSync(out, { recursive: true, force: true });
  }
}

const bench = startBench('scheduler');
const sched: number[] = [];
const base: number[] = [];
const scrape: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  base.push(await baseline());
  const s = await viaScheduler();
  sched.push(s.msPerRun);
  scrape.push(s.scrapeMs);
}
const s = median(sched);
const b = median(base);
bench.finish(
  [
    {
      metric: 'scheduled run of an hourly model (claim, commit, record)',
      value: Math.round(s * 10) / 10,
      unit: 'ms/run',
      baseline: { metric: 'the same query COPY to Parquet by hand', value: Math.round(b * 10) / 10, unit: 'ms/run' },
      ratio: Math.round((s / b) * 10) / 10,
    },
    {
      metric: 'GET /metrics render, scheduler gauges (1 job, 24 intervals)',
      value: Math.round(median(scrape) * 10) / 10,
      unit: 'ms',
    },
  ],
  {
    rounds: ROUNDS,
    intervals: HOURS - 1,
    schedulerMs: sched,
    baselineMs: base,
    scrapeMs: scrape,
    peakRssMiB: peakRssMiB(),
  },
);

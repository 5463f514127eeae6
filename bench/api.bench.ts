/**
 * `npm run bench:api`: the cost of the HTTP API over running the same SQL directly, and its throughput under load.
 *
 * Lake: generated with DuckDB into a temp dir in the Hive layout (50 symbols x 7 days of 1m bars = 504,000 bars,
 * 20 portfolios x 90 days x 24 hourly valuations, 7 days of ticks).
 *
 * 1. Latency, for three reports (hourly-kpis for one symbol, nav-stats, top-movers of a day): each iteration runs the
 *    report once through the API over a real socket (HTTP GET, JSON body read to the end) and once directly on the
 *    same DuckDB instance in this process (the report's SQL, the same bound parameters, rows materialised), in
 *    alternating order. p50 and p99 of each; overhead ratio = API p50 / direct p50. Target: ratio <= 1.25.
 * 2. Throughput: requests/s with 32 concurrent clients (autocannon) over the three report URLs in turn for
 *    BENCH_API_SECONDS, while a writer loop adds a Parquet file of ticks and one of 1m bars to the lake every 250 ms
 *    (DuckDB COPY, the way the processor writes; the processor itself is not run here). Baseline, side by side:
 *    32 in-process workers running the same reports directly on the same DuckDB for the same time, writer still on.
 *    (GET /health under the same load is recorded in details, as the HTTP ceiling.)
 * Peak RSS of this process (server, DuckDB, load generator), and in details the peak of the API's query processes
 * together (their RSS summed, sampled every 100 ms from /proc): the reports run there.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { buildApp } from '../api/app.js';
import { SqlCatalog } from '../lake/sql-catalog.js';
import { bindParams } from '../lake/sql-params.js';
import { descendants, procStatus } from '../test/helpers/serve-process.js';
import { type BenchFigure, startBench } from './result.js';

const bench = startBench('api');
const ITERATIONS = Number(process.env.BENCH_API_ITERATIONS ?? 150);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);

const REPORTS: { name: string; params: Record<string, string> }[] = [
  { name: 'hourly-kpis', params: { symbol: 'S007' } },
  { name: 'nav-stats', params: { from: '2026-01-01', to: '2026-03-31' } },
  { name: 'top-movers', params: { day: '2026-01-07' } },
];

async function generateLake(dir: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await db.connect();
  try {
    await c.run(`copy (
      select 'S' || lpad(s::varchar, 3, '0') as symbol, ts as window_start, ts + interval 1 minute as window_end,
             p as open, p * 1.001 as high, p * 0.999 as low, p * (1 + r) as close, v::bigint as volume, v * p as notional,
             p as vwap, (v / 10)::bigint as trades, v / 600.0 as trade_rate, abs(r) as volatility, r as log_return,
             '1m' as "window", cast(ts as date) as date
      from (select s, ts, 100 + s + 10 * sin(epoch(ts) / 3600 + s) as p, ((hash(s, ts) % 2000)::bigint - 1000) / 1e6 as r,
                   100 + (hash(ts, s) % 900)::bigint as v
            from range(50) t(s), range(timestamp '2026-01-05', timestamp '2026-01-12', interval 1 minute) u(ts))
    ) to '${dir}/bars' (format parquet, partition_by ("window", date))`);
    await c.run(`copy (
      select 'P' || lpad(p::varchar, 2, '0') as portfolio_id, 'I' || (p % 5)::varchar as investor_id, '1h' as "window",
             ts as as_of, 1e6 + p * 1000 + 5000 * sin(epoch(ts) / 86400 + p) as nav, null::double as change,
             null::double as change_pct, 10 as positions, 0 as missing_prices, cast(ts as date) as date
      from range(20) t(p), range(timestamp '2026-01-01', timestamp '2026-04-01', interval 1 hour) u(ts)
    ) to '${dir}/valuations' (format parquet, partition_by (date))`);
    await writeTicks(c, dir, 0, 200_000);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

async function writeTicks(c: DuckDBConnection, dir: string, batch: number, rows: number): Promise<void> {
  const day = `2026-01-${String(5 + (batch % 7)).padStart(2, '0')}`;
  const path = join(dir, 'ticks', `date=${day}`);
  mkdirSync(path, { recursive: true });
  await c.run(`copy (
    select 'S' || lpad((i % 50)::varchar, 3, '0') as symbol, 'SE1' as exchange, 'equity' as asset_class,
           timestamp '${day}' + to_milliseconds(i * 400) as ts, 100 + (i % 97) as price, 100::bigint as size,
           0 as kafka_partition, (${batch} * ${rows} + i)::bigint as kafka_offset
    from range(${rows}) t(i)
  ) to '${path}/.w${batch}.parquet.tmp' (format parquet)`);
  renameSync(`${path}/.w${batch}.parquet.tmp`, `${path}/w${batch}.parquet`); // atomic, as the lake writer does
}

/** One more minute of 1m bars for every symbol, as a new file (what the processor adds each minute). */
async function writeBarsMinute(c: DuckDBConnection, dir: string, minute: number): Promise<void> {
  const path = join(dir, 'bars', 'window=1m', 'date=2026-01-12');
  mkdirSync(path, { recursive: true });
  await c.run(`copy (
    select 'S' || lpad(s::varchar, 3, '0') as symbol, ts as window_start, ts + interval 1 minute as window_end,
           100.0 as open, 100.1 as high, 99.9 as low, 100.05 as close, 100::bigint as volume, 10005.0 as notional,
           100.05 as vwap, 10::bigint as trades, 0.17 as trade_rate, 0.0005 as volatility, 0.0005 as log_return
    from range(50) t(s), (select timestamp '2026-01-12' + to_minutes(${minute}) as ts)
  ) to '${path}/.m${minute}.parquet.tmp' (format parquet)`);
  renameSync(`${path}/.m${minute}.parquet.tmp`, `${path}/m${minute}.parquet`);
}

/** RSS of this process's descendants together, bytes (the API's query processes). */
function childrenRss(): number {
  return descendants(process.pid).reduce((sum, pid) => sum + (procStatus(pid)?.rss ?? 0), 0);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const lakeDir = mkdtempSync(join(tmpdir(), 'ticklake-bench-api-'));
const figures: BenchFigure[] = [];
const details: Record<string, unknown> = {
  writer:
    'writer loop, not the processor: every 250 ms DuckDB COPY adds a ticks file (20,000 rows) and a 1m bars file (50 rows, read by hourly-kpis and top-movers)',
  iterations: ITERATIONS,
};
try {
  const t0 = Date.now();
  await generateLake(lakeDir);
  details.lakeGenerationMs = Date.now() - t0;
  const app = await buildApp({ lakeDir, logger: false });
  let childrenPeak = 0;
  const sampler = setInterval(() => {
    childrenPeak = Math.max(childrenPeak, childrenRss());
  }, 100);
  sampler.unref();
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const catalog = SqlCatalog.load('report');
  const direct = await app.lake.connect();

  for (const r of REPORTS) {
    const file = catalog.get(r.name);
    const url = `${base}/api/reports/${r.name}?${new URLSearchParams(r.params)}`;
    const { values, types } = bindParams(file, r.params);
    const runDirect = async () => (await direct.runAndReadAll(file.sql, values, types)).getRowObjectsJson().length;
    const runApi = async () => ((await (await fetch(url)).json()) as { rows: unknown[] }).rows.length;
    const [a, d] = [await runApi(), await runDirect()];
    if (a !== d || a === 0) throw new Error(`${r.name}: API returned ${a} rows, direct ${d}`);
    for (let i = 0; i < 10; i++) await Promise.all([runApi(), runDirect()]); // warm-up, sequential pairs below
    const api: number[] = [];
    const dir: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const order = i % 2 === 0 ? [runApi, runDirect] : [runDirect, runApi];
      for (const f of order) {
        const s = performance.now();
        await f();
        (f === runApi ? api : dir).push(performance.now() - s);
      }
    }
    const [ap50, ap99, dp50, dp99] = [quantile(api, 0.5), quantile(api, 0.99), quantile(dir, 0.5), quantile(dir, 0.99)];
    figures.push({
      metric: `${r.name} (${a} rows) p50 through the API`,
      value: ap50,
      unit: 'ms',
      baseline: { metric: 'same SQL directly on DuckDB', value: dp50, unit: 'ms' },
      ratio: ap50 / dp50,
      target: 'ratio <= 1.25',
      pass: ap50 / dp50 <= 1.25,
    });
    figures.push({
      metric: `${r.name} p99 through the API`,
      value: ap99,
      unit: 'ms',
      baseline: { metric: 'same SQL directly on DuckDB', value: dp99, unit: 'ms' },
      ratio: ap99 / dp99,
    });
  }
  direct.closeSync();

  const autocannonModule = 'autocannon'; // no type declarations ship with it
  const { default: autocannon } = (await import(autocannonModule)) as {
    default: (o: Record<string, unknown>) => Promise<{ requests: { average: number }; non2xx: number; errors: number }>;
  };
  const load = (requests: { path: string }[]) =>
    autocannon({ url: base, connections: 32, duration: SECONDS, requests, workers: 0 });

  const healthLoad = await load([{ path: '/health' }]);
  let writing = true;
  let files = 0;
  const writer = (async () => {
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const c = await db.connect();
    for (let b = 1; writing; b++) {
      await writeTicks(c, lakeDir, b, 20_000);
      await writeBarsMinute(c, lakeDir, b);
      files += 2;
      await new Promise((r) => setTimeout(r, 250));
    }
    c.closeSync();
    db.closeSync();
  })();
  const reportLoad = await load(
    REPORTS.map((r) => ({ path: `/api/reports/${r.name}?${new URLSearchParams(r.params)}` })),
  );
  // baseline, same writer still running: 32 in-process workers, each with its own DuckDB connection to the same
  // instance, running the same three reports round-robin directly for the same time
  const files0 = files;
  const prepared = REPORTS.map((r) => ({ sql: catalog.get(r.name).sql, ...bindParams(catalog.get(r.name), r.params) }));
  let directDone = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 32 }, async (_, w) => {
      const c = await app.lake.connect();
      for (let i = w; performance.now() < until; i++) {
        const p = prepared[i % prepared.length];
        (await c.runAndReadAll(p.sql, p.values, p.types)).getRowObjectsJson();
        directDone++;
      }
      c.closeSync();
    }),
  );
  writing = false;
  await writer;
  const directRps = directDone / SECONDS;
  details.filesWrittenDuringLoad = { api: files0, direct: files - files0 };
  details.non2xx = reportLoad.non2xx;
  details.errors = reportLoad.errors;
  details.healthReqPerSec = healthLoad.requests.average;
  figures.push({
    metric: 'reports, 32 concurrent HTTP clients, while the lake is written',
    value: reportLoad.requests.average,
    unit: 'req/s',
    baseline: { metric: 'same reports, 32 concurrent direct DuckDB workers', value: directRps, unit: 'runs/s' },
    ratio: reportLoad.requests.average / directRps,
  });
  clearInterval(sampler);
  details.queryProcessesPeakRssMiB = Math.round(childrenPeak / 2 ** 20);
  await app.close();
} finally {
  rmSync(lakeDir, { recursive: true, force: true });
}
bench.finish(figures, details);

/**
 * `npm run bench:compact`: what one merge of the background compaction costs the process it runs in. A closed date
 * of the tick archive holds COMPACT_FILES files (ZSTD Parquet, like the processor's) with COMPACT_ROWS ticks in all,
 * about the 16 MiB a merge reads at most (--max-file-size); `compactLake` merges them into one file sorted by the
 * key, each run in a child process of its own so that its peak RSS (getrusage's maxRSS) is the merge's alone:
 * - bounded: ticklake's merge, its DuckDB limited to MERGE_MEMORY_LIMIT (the sort spills to a temp directory);
 * - unbounded (the baseline, the code before): DuckDB's default limit, 80 % of the machine.
 * Alternating rounds (COMPACT_ROUNDS, default 3); medians of wall time and peak RSS, and their ratios.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { type BenchFigure, startBench } from './result.js';
import { median } from './stats.js';

const FILES = Number(process.env.COMPACT_FILES ?? 40);
const ROWS = Number(process.env.COMPACT_ROWS ?? 2_600_000);
const ROUNDS = Number(process.env.COMPACT_ROUNDS ?? 3);
const self = fileURLToPath(import.meta.url);

/** A closed date of ticks: FILES files, ROWS rows, symbols and prices like the exchanges'. */
async function makeLake(lakeDir: string): Promise<number> {
  const dir = join(lakeDir, 'ticks', 'date=2020-01-02');
  mkdirSync(dir, { recursive: true });
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const per = Math.ceil(ROWS / FILES);
  for (let f = 0; f < FILES; f++) {
    await db.run(`COPY (
      SELECT 'SYM' || (i % 500)::VARCHAR AS symbol, 'XNAS' AS exchange, 'equity' AS asset_class,
             TIMESTAMP '2020-01-02' + to_microseconds((i * 43)::BIGINT) AS ts,
             round(100 + 50 * sin(i / 1000.0) + random(), 4) AS price, (1 + (i * 7919) % 500)::DOUBLE AS size,
             (i % 6)::INTEGER AS kafka_partition, i AS kafka_offset
      FROM range(${f * per}, ${Math.min(ROWS, (f + 1) * per)}) t(i)
    ) TO '${join(dir, `p0-${f * per}-${(f + 1) * per - 1}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`);
  }
  // written as the processor writes them: a batch every few minutes (compaction leaves the newest batch's files alone)
  const names = readdirSync(dir).sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
  names.forEach((f, i) => {
    const t = (Date.now() - (names.length - i) * 180_000) / 1000;
    utimesSync(join(dir, f), t, t);
  });
  return names.reduce((a, f) => a + statSync(join(dir, f)).size, 0);
}

if (process.argv[2] === '--merge') {
  // the child: one merge, then its wall time and peak RSS on stdout
  const { compactLake } = await import('../lake/compact.js');
  const t0 = performance.now();
  const res = await compactLake({
    lakeDir: process.argv[3],
    openDates: true,
    memoryLimit: process.argv[4] === 'unbounded' ? null : undefined,
    tiers: { settleMs: 0 },
  });
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, rssMiB: process.resourceUsage().maxRSS / 1024, rows: res.rows }));
  process.exit(0);
} else if (process.argv[1] === self) {
  const bench = startBench('compact');
  const root = await mkdtemp(join(tmpdir(), 'ticklake-bench-compact-'));
  const runs: Record<string, { ms: number; rssMiB: number }[]> = { bounded: [], unbounded: [] };
  let bytes = 0;
  let merged = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const variant of r % 2 ? ['unbounded', 'bounded'] : ['bounded', 'unbounded']) {
      const lake = join(root, `${variant}-${r}`);
      bytes = await makeLake(lake);
      const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--merge', lake, variant], {
        env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
      });
      const x = JSON.parse(String(out)) as { ms: number; rssMiB: number; rows: number };
      if (x.rows === 0) throw new Error(`${variant}: merged nothing`);
      merged = x.rows;
      runs[variant].push({ ms: x.ms, rssMiB: x.rssMiB });
      await rm(lake, { recursive: true, force: true });
      console.error(`round ${r + 1} ${variant}: ${Math.round(x.ms)} ms, peak RSS ${Math.round(x.rssMiB)} MiB`);
    }
  }
  await rm(root, { recursive: true, force: true });
  const med = (v: string, k: 'ms' | 'rssMiB') => Math.round(median(runs[v].map((x) => x[k])));
  const what = `${FILES} files, ${ROWS.toLocaleString('en')} ticks, ${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const figures: BenchFigure[] = [
    {
      metric: `merge peak RSS (${what}), DuckDB limited to the merge memory limit`,
      value: med('bounded', 'rssMiB'),
      unit: 'MiB',
      baseline: {
        metric: 'the same merge with DuckDB’s default limit',
        value: med('unbounded', 'rssMiB'),
        unit: 'MiB',
      },
      ratio: Math.round((med('bounded', 'rssMiB') / med('unbounded', 'rssMiB')) * 1000) / 1000,
    },
    {
      metric: `merge wall time (${what}), DuckDB limited to the merge memory limit`,
      value: med('bounded', 'ms'),
      unit: 'ms',
      baseline: { metric: 'the same merge with DuckDB’s default limit', value: med('unbounded', 'ms'), unit: 'ms' },
      ratio: Math.round((med('bounded', 'ms') / med('unbounded', 'ms')) * 1000) / 1000,
    },
  ];
  bench.finish(figures, { files: FILES, rows: ROWS, merged, bytes, rounds: ROUNDS, runs });
}

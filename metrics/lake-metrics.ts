/**
 * The lake's numbers: Parquet files and bytes per table (a walk of the lake directory, at most every 30 s however
 * often Prometheus scrapes) and the background compactor's totals (lake/compact-runner.ts).
 */
import { join } from 'node:path';
import type { CompactorStats } from '../lake/compact-runner.js';
import { parquetFiles } from '../lake/table-stats.js';
import { lakeTables } from '../lake/tables.js';
import { type MetricsRegistry, one, type Sample } from './registry.js';

export function lakeMetrics(m: MetricsRegistry, lakeDir: string, everyMs = 30_000): void {
  let cached: { at: number; rows: { table: string; files: number; bytes: number }[] } | undefined;
  let pending: Promise<{ table: string; files: number; bytes: number }[]> | undefined;
  const read = async () => {
    if (cached && Date.now() - cached.at < everyMs) return cached.rows;
    pending ??= (async () => {
      const rows = [];
      for (const t of lakeTables()) rows.push({ table: t.name, ...(await parquetFiles(join(lakeDir, t.name))) });
      cached = { at: Date.now(), rows };
      return rows;
    })().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  m.gaugeFrom('ticklake_lake_files', 'Parquet files of the lake table', ['table'], async () =>
    (await read()).map((r): Sample => [{ table: r.table }, r.files]),
  );
  m.gaugeFrom('ticklake_lake_bytes', 'Bytes of the lake table on disk', ['table'], async () =>
    (await read()).map((r): Sample => [{ table: r.table }, r.bytes]),
  );
}

export function compactorMetrics(m: MetricsRegistry, stats: () => CompactorStats): void {
  m.counterFrom('ticklake_compaction_runs_total', 'Background compaction runs', [], () => one(stats().runs));
  m.counterFrom('ticklake_compaction_failures_total', 'Compaction runs that failed', [], () => one(stats().failures));
  m.counterFrom('ticklake_compaction_files_merged_total', 'Lake files merged away by compaction', [], () =>
    one(stats().filesMerged),
  );
  m.counterFrom('ticklake_compaction_rows_total', 'Rows rewritten by compaction', [], () => one(stats().rows));
  m.gaugeFrom('ticklake_compaction_last_run_seconds', 'Duration of the last compaction run', [], () =>
    one(stats().lastRunSeconds),
  );
}

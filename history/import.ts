/**
 * `ticklake import`: your own recorded trades into the lake as history (docs/history.md). The file is read as
 * `ticklake replay` reads it (producers/replay-order.ts: columns by header name, bad rows reported file:line and
 * skipped), then computed as a batch (history/engine.ts): ticks, bars of every window, anomalies. No valuations: the
 * portfolios are valued by the live processor, and a second valuation of the same window end would be ambiguous.
 *
 * A symbol's day that the lake already has bars for is not imported again (its rows are skipped and named): a day is
 * history from one source, so importing the same file twice, or a file that overlaps the live market, adds nothing
 * twice. Files are named `h-import-<hash of the file and windows>`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue } from '../core/duckdb.js';
import { sqlString } from '../lake/sql-quote.js';
import type { WindowSpec } from '../processors/time/windows.js';
import { type BadRow, orderedTicks, scanFile } from '../producers/replay-order.js';
import type { RowDefaults } from '../producers/replay-rows.js';
import { HIST_TICKS_DDL, type HistoryResult, writeHistory } from './engine.js';

export interface ImportOptions {
  file: string;
  lakeDir: string;
  windows: WindowSpec[];
  defaults: RowDefaults;
  thresholds: { spike: number; critical: number; volumeSpikeFactor: number };
  onBad?: (bad: BadRow) => void;
}

export interface ImportSummary extends HistoryResult {
  rows: number;
  bad: number;
  symbols: string[];
  firstTs: number | null;
  lastTs: number | null;
  /** Symbol-days skipped because the lake already had bars of them, e.g. `AAPL 2026-01-05`. */
  skippedDays: string[];
  skippedTicks: number;
  seconds: number;
}

async function fileHash(file: string, windows: WindowSpec[]): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  h.update(windows.map((w) => w.label).join(','));
  return h.digest('hex').slice(0, 16);
}

export async function importFile(o: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const order = { file: o.file, defaults: o.defaults, onBad: o.onBad };
  const scan = await scanFile(order);
  await mkdir(o.lakeDir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  try {
    await conn.run(HIST_TICKS_DDL);
    const app = await conn.createAppender('hist_ticks');
    let seq = 0;
    for await (const t of orderedTicks(order, scan)) {
      app.appendVarchar(t.symbol);
      app.appendVarchar(t.exchange);
      app.appendVarchar(t.assetClass);
      app.appendTimestamp(new DuckDBTimestampValue(BigInt(t.ts) * 1000n));
      app.appendDouble(t.price);
      app.appendDouble(t.size);
      app.appendBigInt(BigInt(seq++));
      app.endRow();
    }
    app.closeSync();

    // symbol-days the lake already has bars of are left out, whole
    let skippedDays: string[] = [];
    let skippedTicks = 0;
    const bars = join(o.lakeDir, 'bars');
    if (existsSync(bars)) {
      await conn.run(`CREATE TEMP TABLE have AS SELECT DISTINCT symbol, CAST(window_start AS DATE) AS day
        FROM read_parquet(${sqlString(`${bars}/**/*.parquet`)}, hive_partitioning = true, union_by_name = true)
        WHERE symbol IN (SELECT DISTINCT symbol FROM hist_ticks)`);
      const r = await conn.runAndReadAll(`SELECT h.symbol || ' ' || strftime(h.day, '%Y-%m-%d'), count(*)
        FROM (SELECT symbol, CAST(ts AS DATE) AS day FROM hist_ticks) h JOIN have USING (symbol, day)
        GROUP BY ALL ORDER BY 1`);
      skippedDays = r.getRows().map((x) => String(x[0]));
      skippedTicks = r.getRows().reduce((a, x) => a + Number(x[1]), 0);
      if (skippedTicks > 0)
        await conn.run(
          `DELETE FROM hist_ticks t USING have h WHERE t.symbol = h.symbol AND CAST(t.ts AS DATE) = h.day`,
        );
    }
    const symbols = (await conn.runAndReadAll('SELECT DISTINCT symbol FROM hist_ticks ORDER BY 1'))
      .getRows()
      .map((x) => String(x[0]));
    const result = await writeHistory(conn, {
      lakeDir: o.lakeDir,
      windows: o.windows,
      tag: `import-${await fileHash(o.file, o.windows)}`,
      ticks: true,
      thresholds: o.thresholds,
    });
    return {
      ...result,
      rows: scan.rows,
      bad: scan.bad,
      symbols,
      firstTs: scan.firstTs,
      lastTs: scan.lastTs,
      skippedDays,
      skippedTicks,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * History as a batch: a set of ticks that is complete before it is processed (the first-start backfill of
 * `ticklake start`, `ticklake import` of your own file) is turned into bars, anomalies and valuations in one pass with
 * the processor's own stream SQL (`sql/streams/`), and written to the lake as few files as its layout allows: one per
 * table partition (a day, and a window for bars), named `h-<tag>.parquet`.
 *
 * Why not the stream processor: its watermark exists to decide when a window is complete while data still arrives;
 * replayed into the live topic, history is behind that watermark and every tick is late. A file of history is complete
 * before it starts, so every window closes at once; the stream path also writes a file per batch, date, window and
 * Kafka partition (a two-year backfill left 4,425 of them in 21 s, docs/history.md).
 *
 * The relations the stream files read are set up as the processor's stages see them (processors/ticks/state.ts):
 *  - `closing` — every tick in every window, for the `close` stage (bars.sql): `window_start` on the epoch-aligned grid;
 *  - `bar_hist` — empty: a history starts from nothing (the first bar of a symbol has no previous close);
 *  - `new_bars` — the bars, for the `bars` stage (volume spikes over the previous 20 bars, all in this batch);
 *  - `batch_ticks` — the ticks with the previous price of their symbol (in time order), for the `ticks` stage;
 *  - `val_closes`, `val_ends`, `val_last`, `portfolios`, `holdings` — for the `valuation` stage, when asked.
 * Ticks are ordered by (ts, seq); `seq` stands in for the Kafka offset (history has none: the lake gets NULL).
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { DuckDBConnection } from '../core/duckdb.js';
import { requireLakeTable } from '../lake/hive-path.js';
import { sqlString } from '../lake/sql-quote.js';
import type { HoldingRow, PortfolioRow } from '../processors/ticks/core.js';
import { bindStreamParams, loadStreamFiles, type Stage, type StreamFile } from '../processors/ticks/stream-sql.js';
import type { WindowSpec } from '../processors/time/windows.js';

/** The table `hist_ticks` the engine reads: one row per tick. */
export const HIST_TICKS_DDL = `CREATE OR REPLACE TABLE hist_ticks (symbol VARCHAR, exchange VARCHAR, asset_class VARCHAR,
  ts TIMESTAMP, price DOUBLE, size DOUBLE, seq BIGINT)`;

export interface HistoryOptions {
  lakeDir: string;
  /** Bar windows to compute (each dividing a day). */
  windows: WindowSpec[];
  /** File name tag: files are `h-<tag>.parquet` (a re-run with the same tag replaces them). */
  tag: string;
  /** Archive the ticks themselves in the lake's `ticks` table (import: yes; the simulated daily backfill: no). */
  ticks: boolean;
  /** Value these portfolios at every window end of these windows (none: no valuations). */
  valuations?: { windows: string[]; portfolios: PortfolioRow[]; holdings: HoldingRow[] };
  thresholds: { spike: number; critical: number; volumeSpikeFactor: number };
  streams?: StreamFile[];
}

export interface HistoryResult {
  ticks: number;
  bars: number;
  anomalies: number;
  valuations: number;
  /** Parquet files written into the lake. */
  files: number;
}

async function runStageFiles(
  conn: DuckDBConnection,
  files: StreamFile[],
  stage: Stage,
  target: string,
  params: Record<string, number>,
): Promise<void> {
  for (const f of files.filter((s) => s.stage === stage)) {
    try {
      await conn.run(`INSERT INTO ${target} BY NAME ${f.sql}`, bindStreamParams(f, params));
    } catch (e) {
      const { sqlFileError } = await import('../lake/sql-file-error.js');
      throw sqlFileError(f, e);
    }
  }
}

/** Computes bars, anomalies (and valuations) from `hist_ticks` on `conn`, and writes them into the lake. */
export async function writeHistory(conn: DuckDBConnection, opts: HistoryOptions): Promise<HistoryResult> {
  const streams = opts.streams ?? loadStreamFiles();
  const params = {
    spike_threshold: opts.thresholds.spike,
    critical_threshold: opts.thresholds.critical,
    volume_spike_factor: opts.thresholds.volumeSpikeFactor,
  };
  const wins = opts.windows.map((w) => `(${sqlString(w.label)}, ${w.ms}::BIGINT)`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE hist_windows AS SELECT * FROM (VALUES ${wins}) v("window", window_ms)`);
  await conn.run(`CREATE OR REPLACE TEMP VIEW closing AS
    SELECT w."window", w.window_ms,
           epoch_ms((epoch_ms(t.ts) // w.window_ms) * w.window_ms) AS window_start,
           t.symbol, t.ts, t.price, t.size, 0::INTEGER AS kafka_partition, t.seq AS kafka_offset
    FROM hist_ticks t CROSS JOIN hist_windows w`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE bar_hist (symbol VARCHAR, "window" VARCHAR, window_start TIMESTAMP,
    close DOUBLE, volume DOUBLE)`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE new_bars (symbol VARCHAR, "window" VARCHAR, window_start TIMESTAMP,
    window_end TIMESTAMP, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE, notional DOUBLE,
    vwap DOUBLE, trades BIGINT, trade_rate DOUBLE, volatility DOUBLE, log_return DOUBLE)`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE new_anomalies (symbol VARCHAR, ts TIMESTAMP, kind VARCHAR,
    severity VARCHAR, "window" VARCHAR, value DOUBLE, threshold DOUBLE, price DOUBLE, kafka_partition INTEGER,
    kafka_offset BIGINT)`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE new_valuations (portfolio_id VARCHAR, investor_id VARCHAR,
    "window" VARCHAR, as_of TIMESTAMP, nav DOUBLE, change DOUBLE, change_pct DOUBLE, positions INTEGER,
    missing_prices INTEGER)`);
  await conn.run(`CREATE OR REPLACE TEMP VIEW batch_ticks AS
    SELECT symbol, exchange, asset_class, ts, price, size, 0::INTEGER AS kafka_partition, seq AS kafka_offset,
           lag(price) OVER (PARTITION BY symbol ORDER BY ts, seq) AS prev_price, CAST(ts AS DATE) AS date
    FROM hist_ticks`);

  await runStageFiles(conn, streams, 'close', 'new_bars', params);
  await runStageFiles(conn, streams, 'bars', 'new_anomalies', params);
  await runStageFiles(conn, streams, 'ticks', 'new_anomalies', params);
  // history has no Kafka coordinates
  await conn.run('UPDATE new_anomalies SET kafka_partition = NULL, kafka_offset = NULL');

  if (opts.valuations) {
    const v = opts.valuations;
    await conn.run('CREATE OR REPLACE TEMP TABLE portfolios (portfolio_id VARCHAR, investor_id VARCHAR)');
    await conn.run('CREATE OR REPLACE TEMP TABLE holdings (portfolio_id VARCHAR, symbol VARCHAR, quantity DOUBLE)');
    for (const p of v.portfolios)
      await conn.run('INSERT INTO portfolios VALUES ($1, $2)', [p.portfolioId, p.investorId]);
    for (const h of v.holdings)
      await conn.run('INSERT INTO holdings VALUES ($1, $2, $3)', [h.portfolioId, h.symbol, h.quantity]);
    const list = v.windows.map(sqlString).join(', ') || 'NULL';
    await conn.run(`CREATE OR REPLACE TEMP TABLE val_closes AS
      SELECT symbol, "window", window_end, close FROM new_bars WHERE "window" IN (${list})`);
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE val_ends AS SELECT DISTINCT "window", window_end AS as_of FROM val_closes`,
    );
    await conn.run(`CREATE OR REPLACE TEMP TABLE val_last (portfolio_id VARCHAR, "window" VARCHAR, as_of TIMESTAMP,
      nav DOUBLE)`);
    await runStageFiles(conn, streams, 'valuation', 'new_valuations', params);
  }

  const outputs: { table: string; from: string; partition: string[] }[] = [
    { table: 'bars', from: 'new_bars', partition: ['window', 'date'] },
    { table: 'anomalies', from: 'new_anomalies', partition: ['date'] },
    { table: 'valuations', from: 'new_valuations', partition: ['date'] },
  ];
  if (opts.ticks) {
    outputs.unshift({
      table: 'ticks',
      from: `(SELECT symbol, exchange, asset_class, ts, price, size, NULL::INTEGER AS kafka_partition,
        NULL::BIGINT AS kafka_offset FROM hist_ticks)`,
      partition: ['date'],
    });
  }
  const dateOf: Record<string, string> = { ticks: 'ts', bars: 'window_start', anomalies: 'ts', valuations: 'as_of' };
  const counts: Record<string, number> = {};
  let files = 0;
  const staging = `${opts.lakeDir.replace(/\/+$/, '')}.history-${opts.tag}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const o of outputs) {
    const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${o.from} x`)).getRows()[0][0]);
    counts[o.table] = n;
    if (n === 0) continue;
    const t = requireLakeTable(o.table);
    const cols = t.columns.map((c) => `CAST(x."${c.name}" AS ${c.type}) AS "${c.name}"`);
    const parts = o.partition.map((p) => (p === 'date' ? `CAST(x.${dateOf[o.table]} AS DATE) AS "date"` : `x."${p}"`));
    const dir = join(staging, o.table);
    // one statement writes every partition: a file per directory, rows in time order
    await conn.run(`COPY (SELECT ${[...cols, ...parts].join(', ')} FROM ${o.from} x)
      TO ${sqlString(dir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (${o.partition.map((p) => `"${p}"`).join(', ')}),
        FILENAME_PATTERN ${sqlString(`h-${opts.tag}-{i}`)}, OVERWRITE_OR_IGNORE)`);
    files += await moveInto(dir, join(opts.lakeDir, o.table));
  }
  await rm(staging, { recursive: true, force: true });
  return {
    ticks: opts.ticks ? (counts.ticks ?? 0) : 0,
    bars: counts.bars ?? 0,
    anomalies: counts.anomalies ?? 0,
    valuations: counts.valuations ?? 0,
    files,
  };
}

/** Moves every Parquet file under `from` to the same relative path under `to` (rename: whole files appear). */
async function moveInto(from: string, to: string): Promise<number> {
  const entries = (await readdir(from, { recursive: true, withFileTypes: true })).filter(
    (e) => e.isFile() && e.name.endsWith('.parquet'),
  );
  const dirs = new Set<string>();
  for (const e of entries) {
    const src = join(e.parentPath, e.name);
    const dst = join(to, relative(from, src));
    if (!dirs.has(dirname(dst))) {
      await mkdir(dirname(dst), { recursive: true });
      dirs.add(dirname(dst));
    }
    await rename(src, dst);
  }
  return entries.length;
}

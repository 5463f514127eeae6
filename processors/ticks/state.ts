/**
 * The processor's state database: one DuckDB file under `--state-dir` holding, together, everything that must
 * change atomically per batch (docs/processor.md):
 *
 * - `partitions`: per Kafka partition the next offset to consume, the max event time seen, the watermark and how
 *   many ticks of the partition the open windows hold (`buffered`);
 * - `last_tick`, `seq_seen` (the highest seq counted per tick source and symbol), `bar_hist` (last 20 bars per
 *   symbol and window), `val_closes`, `val_progress`, `val_last`: what the next batch needs from the past;
 * - the outbox: `outbox` (one row per batch, with a done flag per sink) and `ob_<lake table>` with the rows
 *   (all lake tables but `ticks`, which the core archives itself before COMMIT).
 *
 * The ticks of the open windows themselves (`buf`) are not in the file: `buf` is a TEMP table of the state
 * connection (in memory, spilled by DuckDB past the memory limit) whose durable copy is the lake's `ticks` archive;
 * window-buffer.ts `restoreBuffer` rebuilds it at start and checks it against `buffered`.
 *
 * A state file written by an older ticklake is brought to the current layout at start (state-migrations.ts).
 *
 * Everything here is bounded by open windows, symbols, portfolios and the undelivered outbox, not by stream length.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '../../core/duckdb.js';
import { trackDuckDb } from '../../core/duckdb-databases.js';
import { tlError } from '../../core/errors.js';
import { sqlString } from '../../lake/sql-quote.js';
import { LAKE_TABLES } from '../../lake/tables.js';
import { migrateState } from './state-migrations.js';
import { ATTACH_SCRATCH, batchTablesDdl } from './tick-columns.js';
import { SEQ_DDL } from './tick-identity.js';

export const STATE_FILE = 'processor.duckdb';
/** Bars kept per symbol and window for log returns and volume spikes (volume-spikes.sql looks back 20 bars). */
export const HISTORY_BARS = 20;

export interface StateDb {
  /** The instance and its first connection: replaced in place when the state is reopened (state-reopen.ts). */
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  path: string;
  /** What it was opened with, to open it again the same way. */
  readonly opened: { stateDir: string | undefined; memoryLimit: string; name: string; threads: number };
}

/** Opens (or creates) the state database; `threads`: DuckDB's worker threads (partition caches take 1). */
export async function openState(
  stateDir: string | undefined,
  memoryLimit = '1GB',
  name = 'ticks',
  threads = 2,
): Promise<StateDb> {
  let path = ':memory:';
  if (stateDir) {
    mkdirSync(stateDir, { recursive: true });
    path = join(stateDir, STATE_FILE);
  }
  // bounded: buffers beyond this spill to disk instead of growing the process
  const instance = await DuckDBInstance.create(path, { threads: String(threads), memory_limit: memoryLimit }).catch(
    (e: Error) => {
      throw tlError(
        'TL_CONFIG_BAD_VALUE',
        {
          setting: '--state-dir',
          value: stateDir ?? path,
          reason: `the state database ${path} cannot be opened: ${e.message}; restore it from a backup, or start a new --state-dir with a new --lake-dir`,
        },
        e,
      );
    },
  );
  trackDuckDb(name, instance);
  const conn = await instance.connect();
  return { instance, conn, path, opened: { stateDir, memoryLimit, name, threads } };
}

/** Outbox table of a lake table: batch id, the partition columns, then the file columns. */
export function outboxDdl(table: string): string {
  const t = LAKE_TABLES.find((x) => x.name === table);
  if (!t) throw new Error(`unknown lake table ${table}`);
  const cols = [
    'batch_id BIGINT',
    ...t.partitions.map((c) => `"${c.name}" ${c.type}`),
    ...t.columns.map((c) => `"${c.name}" ${c.type}`),
  ];
  return `CREATE TABLE IF NOT EXISTS ob_${table} (${cols.join(', ')})`;
}

/** Bars as the stream stages see them: the lake's bar columns plus `window`. */
export const BAR_COLUMNS = `symbol VARCHAR, "window" VARCHAR, window_start TIMESTAMP, window_end TIMESTAMP, open DOUBLE,
  high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE, notional DOUBLE, vwap DOUBLE, trades BIGINT,
  trade_rate DOUBLE, volatility DOUBLE, log_return DOUBLE`;

export async function createSchema(conn: DuckDBConnection): Promise<void> {
  const persistent = [
    'CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)',
    `CREATE TABLE IF NOT EXISTS partitions (kafka_partition INTEGER, next_offset BIGINT, max_ts BIGINT,
       watermark BIGINT, buffered BIGINT)`,
    'CREATE TABLE IF NOT EXISTS last_tick (symbol VARCHAR, price DOUBLE)',
    // tick identity: the highest seq counted per (src, symbol) (tick-identity.ts)
    SEQ_DDL,
    `CREATE TABLE IF NOT EXISTS bar_hist (symbol VARCHAR, "window" VARCHAR, window_start TIMESTAMP, close DOUBLE,
       volume DOUBLE)`,
    'CREATE TABLE IF NOT EXISTS val_closes (symbol VARCHAR, "window" VARCHAR, window_end TIMESTAMP, close DOUBLE)',
    'CREATE TABLE IF NOT EXISTS val_progress ("window" VARCHAR, last_as_of TIMESTAMP)',
    'CREATE TABLE IF NOT EXISTS val_last (portfolio_id VARCHAR, "window" VARCHAR, as_of TIMESTAMP, nav DOUBLE)',
    `CREATE TABLE IF NOT EXISTS outbox (batch_id BIGINT, created_at TIMESTAMP, lake_done BOOLEAN,
       mysql_done BOOLEAN, kafka_done BOOLEAN)`,
    ...LAKE_TABLES.filter((t) => t.name !== 'ticks').map((t) => outboxDdl(t.name)),
    // what the separate valuation stage reads (--publish-closes, processors/valuations/closes.ts)
    'CREATE TABLE IF NOT EXISTS ob_closes (batch_id BIGINT, symbol VARCHAR, "window" VARCHAR, window_end TIMESTAMP, close DOUBLE)',
    `CREATE TABLE IF NOT EXISTS ob_marks (batch_id BIGINT, kafka_partition INTEGER, partitions INTEGER, watermark BIGINT,
       idle BOOLEAN)`,
  ];
  for (const sql of persistent) await conn.run(sql);
  // an older file's tables (kept by IF NOT EXISTS) to the current layout
  await migrateState(conn);
  // per-batch scratch relations (temporary or in memory: never persisted, rebuilt by every batch)
  const scratch = [
    ATTACH_SCRATCH,
    ...batchTablesDdl(0),
    ...batchTablesDdl(1),
    EMPTY_CLOSING_DDL,
    ...Object.values(SCRATCH_TABLES),
    'CREATE OR REPLACE TEMP TABLE holdings (portfolio_id VARCHAR, symbol VARCHAR, quantity DOUBLE)',
    'CREATE OR REPLACE TEMP TABLE portfolios (portfolio_id VARCHAR, investor_id VARCHAR)',
  ];
  for (const sql of scratch) await conn.run(sql);
}

/**
 * The per-batch temporary tables, by name. A batch empties one by creating it again (`resetScratch`), never by
 * DELETE: DuckDB keeps the deleted rows of a temporary table until that database is checkpointed, which it never does
 * by itself, so a DELETE-emptied scratch table holds every row it ever had; a replaced table's memory goes at once.
 */
export const SCRATCH_TABLES = {
  new_bars: `CREATE OR REPLACE TEMP TABLE new_bars (${BAR_COLUMNS})`,
  new_anomalies: `CREATE OR REPLACE TEMP TABLE new_anomalies AS SELECT * EXCLUDE (batch_id, date) FROM ob_anomalies
    LIMIT 0`,
  new_valuations: `CREATE OR REPLACE TEMP TABLE new_valuations AS SELECT * EXCLUDE (batch_id, date) FROM ob_valuations
    LIMIT 0`,
  batch_late: `CREATE OR REPLACE TEMP TABLE batch_late (kafka_partition INTEGER, kafka_offset BIGINT, "window" VARCHAR,
    watermark BIGINT)`,
  val_ends: 'CREATE OR REPLACE TEMP TABLE val_ends ("window" VARCHAR, as_of TIMESTAMP)',
} as const;

/**
 * `closing` with no rows, its columns as the close stage sees them: the view between two closes (window-buffer.ts
 * `defineClosing` points it at the closing ranges of `buf`).
 */
export const EMPTY_CLOSING_DDL = `CREATE OR REPLACE TEMP VIEW closing AS SELECT * FROM (SELECT NULL::VARCHAR AS "window",
  NULL::BIGINT AS window_ms, NULL::TIMESTAMP AS window_start, NULL::VARCHAR AS symbol, NULL::TIMESTAMP AS ts,
  NULL::DOUBLE AS price, NULL::DOUBLE AS size, NULL::INTEGER AS kafka_partition, NULL::BIGINT AS kafka_offset)
  WHERE false`;

/** Empties a per-batch temporary table (see SCRATCH_TABLES). */
export async function resetScratch(conn: DuckDBConnection, table: keyof typeof SCRATCH_TABLES): Promise<void> {
  await conn.run(SCRATCH_TABLES[table]);
}

export async function readMeta(conn: DuckDBConnection, key: string): Promise<string | undefined> {
  const r = await conn.runAndReadAll('SELECT value FROM meta WHERE key = $key', { key });
  const rows = r.getRowsJS();
  return rows.length ? String(rows[0][0]) : undefined;
}

/**
 * Sets a meta value. One statement when the key exists (every batch sets next_batch_id): an UPDATE with quoted
 * literals costs about a third of the prepared DELETE and INSERT it replaced (1.3 against 3.3 CPU-ms).
 */
export async function writeMeta(conn: DuckDBConnection, key: string, value: string): Promise<void> {
  const r = await conn.run(`UPDATE meta SET value = ${sqlString(value)} WHERE key = ${sqlString(key)}`);
  if (Number(r.rowsChanged) === 0) await conn.run(`INSERT INTO meta VALUES (${sqlString(key)}, ${sqlString(value)})`);
}

export interface PartitionState {
  nextOffset: number;
  maxTs: number;
  watermark: number;
}

/** Ticks of each partition that the open windows hold, as committed; null where a state predates the count. */
export async function readBuffered(conn: DuckDBConnection): Promise<Map<number, number | null>> {
  const r = await conn.runAndReadAll('SELECT kafka_partition, buffered FROM partitions');
  return new Map(r.getRowsJS().map(([p, n]) => [Number(p), n === null ? null : Number(n)]));
}

/** Writes a partition's row: its state and the ticks the open windows hold of it. */
export async function writePartition(
  conn: DuckDBConnection,
  p: number,
  st: PartitionState,
  buffered: number,
): Promise<void> {
  await conn.run(`DELETE FROM partitions WHERE kafka_partition = ${p}`);
  await conn.run(`INSERT INTO partitions (kafka_partition, next_offset, max_ts, watermark, buffered)
    VALUES (${p}, ${st.nextOffset}, ${st.maxTs}, ${st.watermark}, ${buffered})`);
}

export async function readPartitions(conn: DuckDBConnection): Promise<Map<number, PartitionState>> {
  const r = await conn.runAndReadAll(
    'SELECT kafka_partition, next_offset, max_ts, watermark FROM partitions ORDER BY kafka_partition',
  );
  const out = new Map<number, PartitionState>();
  for (const [p, next, maxTs, wm] of r.getRowsJS()) {
    out.set(Number(p), { nextOffset: Number(next), maxTs: Number(maxTs), watermark: Number(wm) });
  }
  return out;
}

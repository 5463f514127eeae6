/**
 * The buffer of open windows (docs/processor.md, "State and outbox"):
 *
 * - `buf` holds the ticks on time for the largest window size — a superset of those on time for any smaller one,
 *   whose windows end earlier — once each. It is a TEMP table of the state connection: in memory, changed inside the
 *   batch transaction like everything else (DuckDB lets one transaction write the temp catalog and one database), but
 *   not written to the WAL and the state file a second time: its durable copy is the lake's `ticks` archive, written
 *   before the COMMIT that consumed the ticks. `restoreBuffer` rebuilds it from there at start.
 * - The windows of a size that close when a partition's watermark moves from `before` to `after` are exactly those
 *   starting in [closedThrough(before), closedThrough(after)), closedThrough = watermark rounded down to the size,
 *   so closing reads one time range of `buf` (pruned by DuckDB's zone maps on `ts`).
 * - A tick late for a smaller window (its window ended before the watermark it met) must be left out of that window.
 *   This only matters in the batch it arrived in: that window closed at the latest in this batch, so no later batch
 *   reads its range. The close reads the batch's `batch_late` marks and nothing is kept.
 * - Ticks leave `buf` when the largest window containing them closed.
 */
import { join } from 'node:path';
import type { DuckDBConnection } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { sqlString } from '../../lake/sql-quote.js';
import { NO_WATERMARK } from '../time/watermarks.js';
import type { WindowSpec } from '../time/windows.js';
import { EMPTY_CLOSING_DDL, HISTORY_BARS, type PartitionState, resetScratch } from './state.js';

const BUF_COLUMNS = `symbol VARCHAR, ts TIMESTAMP, price DOUBLE, size DOUBLE, kafka_partition INTEGER,
  kafka_offset BIGINT`;

export interface LateTick {
  partition: number;
  offset: number;
  window: string;
  watermark: number;
}

/** Start of the first window of `ms` that is still open at watermark `wm`: where the buffer of that size begins. */
export function closedThrough(wm: number, ms: number): number {
  return wm <= NO_WATERMARK ? 0 : Math.max(0, Math.floor(wm / ms) * ms);
}

/**
 * Appends the batch's on-time ticks (`batchTicks`) to `buf`, writes every late (tick, window) to `ob_late_ticks`
 * and to `batch_late`, the marks `defineClosing` reads in this batch. Returns the late rows written.
 */
export async function bufferTicks(
  conn: DuckDBConnection,
  b: number,
  windows: WindowSpec[],
  late: LateTick[],
  /** The batch's view, `batch_ticks_<slot>` (tick-columns.ts). */
  batchTicks: string,
): Promise<number> {
  let lateRows = 0;
  const largest = windows[windows.length - 1].label;
  if (late.length > 0) {
    await resetScratch(conn, 'batch_late');
    const a = await conn.createAppender('batch_late', 'main', 'temp');
    for (const l of late) {
      a.appendInteger(l.partition);
      a.appendBigInt(BigInt(l.offset));
      a.appendVarchar(l.window);
      a.appendBigInt(BigInt(l.watermark));
      a.endRow();
    }
    a.closeSync();
    const r = await conn.run(`INSERT INTO ob_late_ticks BY NAME SELECT ${b} AS batch_id, t.date, t.symbol,
        t.exchange, t.asset_class, t.ts, t.price, t.size, t.kafka_partition, t.kafka_offset, l."window",
        epoch_ms(l.watermark) AS watermark
        FROM ${batchTicks} t JOIN batch_late l USING (kafka_partition, kafka_offset)`);
    lateRows = Number(r.rowsChanged);
  }
  const skipLate = late.some((l) => l.window === largest);
  await conn.run(`INSERT INTO buf SELECT t.symbol, t.ts, t.price, t.size, t.kafka_partition, t.kafka_offset
      FROM ${batchTicks} t ${
        skipLate
          ? `WHERE NOT EXISTS (SELECT 1 FROM batch_late l WHERE l.kafka_partition = t.kafka_partition
               AND l.kafka_offset = t.kafka_offset AND l."window" = '${largest}')`
          : ''
      }`);
  return lateRows;
}

/** A range of `buf` whose largest window closed: its ticks leave the buffer once the close stages ran. */
export interface ClosedRange {
  p: number;
  hi: number;
}

/**
 * Points the `closing` view at the on-time ticks of every window that closes when a partition's watermark moves
 * from `before` to `after` (`watermarks(p)`): one time range of `buf` per window size and partition, read in place
 * by the close stage (no copy), without the ticks this batch found late for that size (`batchLate`: the batch has
 * marks in `batch_late`). Returns how many window sizes close and the buffer ranges to drop afterwards
 * (`dropClosed`), those whose largest window closed.
 */
export async function defineClosing(
  conn: DuckDBConnection,
  windows: WindowSpec[],
  partitions: Iterable<number>,
  watermarks: (p: number) => [number, number],
  batchLate: boolean,
): Promise<{ closing: number; dropped: ClosedRange[] }> {
  const parts: string[] = [];
  let dropped: ClosedRange[] = [];
  for (const w of windows) {
    const ranges: { p: number; lo: number; hi: number }[] = [];
    for (const p of partitions) {
      const [before, after] = watermarks(p);
      const lo = closedThrough(before, w.ms);
      const hi = closedThrough(after, w.ms);
      if (hi > lo) ranges.push({ p, lo, hi });
    }
    if (ranges.length === 0) continue;
    // the overall span as plain constants first, so that DuckDB prunes row groups of buf by their ts zone maps
    const span = `b.ts >= epoch_ms(${Math.min(...ranges.map((r) => r.lo))}::BIGINT)
        AND b.ts < epoch_ms(${Math.max(...ranges.map((r) => r.hi))}::BIGINT)`;
    const each = ranges
      .map(
        (r) =>
          `(b.kafka_partition = ${r.p} AND b.ts >= epoch_ms(${r.lo}::BIGINT) AND b.ts < epoch_ms(${r.hi}::BIGINT))`,
      )
      .join(' OR ');
    parts.push(`SELECT '${w.label}' AS "window", ${w.ms}::BIGINT AS window_ms,
        epoch_ms(epoch_ms(b.ts) // ${w.ms} * ${w.ms}) AS window_start, b.symbol, b.ts, b.price, b.size,
        b.kafka_partition, b.kafka_offset FROM buf b WHERE ${span} AND (${each})${
          batchLate
            ? ` AND NOT EXISTS (SELECT 1 FROM batch_late l WHERE l.kafka_partition = b.kafka_partition
                AND l.kafka_offset = b.kafka_offset AND l."window" = '${w.label}')`
            : ''
        }`);
    if (w === windows[windows.length - 1]) dropped = ranges.map((x) => ({ p: x.p, hi: x.hi }));
  }
  await conn.run(
    parts.length ? `CREATE OR REPLACE TEMP VIEW closing AS ${parts.join(' UNION ALL ')}` : EMPTY_CLOSING_DDL,
  );
  return { closing: parts.length, dropped };
}

/** Drops from `buf` the ticks whose largest window closed. Returns the rows dropped per partition. */
export async function dropClosed(conn: DuckDBConnection, dropped: ClosedRange[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const d of dropped) {
    const r = await conn.run(`DELETE FROM buf WHERE ts < epoch_ms(${d.hi}::BIGINT) AND kafka_partition = ${d.p}`);
    out.set(d.p, Number(r.rowsChanged));
  }
  return out;
}

/** Appends the bars just emitted (`new_bars`) to `bar_hist`, keeping the last HISTORY_BARS per symbol and window. */
export async function keepBarHistory(conn: DuckDBConnection): Promise<void> {
  await conn.run(`INSERT INTO bar_hist SELECT symbol, "window", window_start, close, volume FROM new_bars`);
  await conn.run(`DELETE FROM bar_hist WHERE rowid IN (SELECT rid FROM (SELECT rowid AS rid, row_number() OVER
      (PARTITION BY symbol, "window" ORDER BY window_start DESC) AS rn FROM bar_hist
      WHERE symbol IN (SELECT DISTINCT symbol FROM new_bars)) WHERE rn > ${HISTORY_BARS})`);
}

export interface RestoreOptions {
  lakeDir: string;
  windows: WindowSpec[];
  /** Committed partition states. */
  parts: Map<number, PartitionState>;
  /** Committed `buffered` counts (state.ts readBuffered). */
  buffered: Map<number, number | null>;
  /** The state file, for the error message. */
  statePath: string;
}

/**
 * Rebuilds `buf` at start, from the lake's `ticks` archive, and returns how many ticks it holds per partition.
 *
 * For partition p with committed watermark W and next offset N, `buf` holds exactly the archived ticks of p with an
 * offset below N and `ts` at or after closedThrough(W, largest window): a tick in a still open window met a watermark
 * no higher than W when it arrived, so it was on time; a tick late for the largest window, or one whose largest
 * window closed, lies before that point. Files of batches that never committed (offsets at or past N) are left out
 * (core.ts also deletes them before this runs); a tick seen in two files (a merge racing a writer, lake/compact.ts)
 * counts once.
 *
 * The result must equal the committed `buffered` count of every partition, or the open windows would be computed
 * from missing ticks: a lake whose open-date `ticks` files were deleted or moved fails here (TL_LAKE_TICKS_MISSING).
 * A state that holds its buffer as a table (closed by a reopen, state-reopen.ts, or killed inside one; or written
 * before `buf` moved to memory) has it moved over and dropped, without reading the lake; its counts must equal the
 * committed ones too (TL_LAKE_STATE_BUFFER), except in a state of the older layout, which has none.
 */
export async function restoreBuffer(conn: DuckDBConnection, o: RestoreOptions): Promise<Map<number, number>> {
  const counts = await fillBuffer(conn, o);
  // rows inserted into a temporary table stay uncompressed until its catalog is checkpointed (~57 bytes a tick
  // against ~9): without this a buffer of 1.6M ticks took 95 MiB after a restore instead of 13 (core.ts
  // BUF_CHECKPOINT_ROWS)
  await conn.run('CHECKPOINT temp');
  return counts;
}

async function fillBuffer(conn: DuckDBConnection, o: RestoreOptions): Promise<Map<number, number>> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE buf (${BUF_COLUMNS})`);
  const old = await conn.runAndReadAll(`SELECT database_name FROM duckdb_tables()
    WHERE table_name = 'buf' AND schema_name = 'main' AND NOT temporary AND database_name <> 'scratch'`);
  const oldDb = old.getRowsJS()[0]?.[0];
  if (oldDb !== undefined) {
    await conn.run('BEGIN TRANSACTION');
    await conn.run(`INSERT INTO buf SELECT symbol, ts, price, size, kafka_partition, kafka_offset FROM "${oldDb}".main.buf
      ORDER BY kafka_partition, kafka_offset`);
    await conn.run(`DROP TABLE "${oldDb}".main.buf`);
    await conn.run(`DROP TABLE IF EXISTS "${oldDb}".main.buf_late`);
    await conn.run('COMMIT');
    const counts = await countBuffer(conn);
    // a reopen's (or a kill inside one's) buffer goes with the committed counts; a state of the older layout has none
    const bad = countMismatch(o.parts.keys(), o.buffered, counts);
    if (bad) {
      throw tlError('TL_LAKE_STATE_BUFFER', {
        state: o.statePath,
        partition: String(bad.partition),
        expected: String(bad.expected),
        found: String(bad.found),
      });
    }
    // from now on the count is kept in the state
    for (const [p] of o.parts) {
      await conn.run(`UPDATE partitions SET buffered = ${counts.get(p) ?? 0} WHERE kafka_partition = ${p}`);
    }
    logger('processor').info({ rows: [...counts.values()].reduce((a, b) => a + b, 0) }, 'moved the buffer to memory');
    return counts;
  }
  const largest = o.windows[o.windows.length - 1].ms;
  const wanted = [...o.parts].filter(([p]) => (o.buffered.get(p) ?? 1) > 0);
  if (wanted.length === 0) return new Map([...o.parts].map(([p]) => [p, 0]));
  const from = (st: PartitionState) => closedThrough(st.watermark, largest);
  const lo = Math.min(...wanted.map(([, st]) => from(st)));
  const each = wanted
    .map(
      ([p, st]) =>
        `(kafka_partition = ${p} AND kafka_offset < ${st.nextOffset} AND ts >= epoch_ms(${from(st)}::BIGINT))`,
    )
    .join(' OR ');
  const glob = sqlString(join(o.lakeDir, 'ticks', '*', '*.parquet'));
  await conn
    .run(`INSERT INTO buf SELECT DISTINCT symbol, ts, price, size, kafka_partition, kafka_offset
    FROM read_parquet(${glob}, hive_partitioning = true, union_by_name = true)
    WHERE "date" >= CAST(epoch_ms(${lo}::BIGINT) AS DATE) AND (${each})
    ORDER BY kafka_partition, kafka_offset`)
    .catch((e: Error) => {
      // no tick file at all: nothing to restore, which the count check below judges
      if (!/No files found/i.test(e.message)) throw e;
    });
  const counts = await countBuffer(conn);
  const bad = countMismatch(
    wanted.map(([p]) => p),
    o.buffered,
    counts,
  );
  if (bad) {
    const st = o.parts.get(bad.partition) as PartitionState;
    throw tlError('TL_LAKE_TICKS_MISSING', {
      partition: String(bad.partition),
      dir: join(o.lakeDir, 'ticks'),
      expected: String(bad.expected),
      found: String(bad.found),
      from: new Date(from(st)).toISOString(),
      nextOffset: String(st.nextOffset),
      state: o.statePath,
    });
  }
  return new Map([...o.parts].map(([p]) => [p, counts.get(p) ?? 0]));
}

/** The first of `partitions` whose ticks in `buf` differ from its committed count (none committed: not checked). */
function countMismatch(
  partitions: Iterable<number>,
  committed: Map<number, number | null>,
  counts: Map<number, number>,
): { partition: number; expected: number; found: number } | undefined {
  for (const partition of partitions) {
    const expected = committed.get(partition) ?? null;
    const found = counts.get(partition) ?? 0;
    if (expected !== null && found !== expected) return { partition, expected, found };
  }
  return undefined;
}

async function countBuffer(conn: DuckDBConnection): Promise<Map<number, number>> {
  const r = await conn.runAndReadAll('SELECT kafka_partition, count(*) FROM buf GROUP BY 1');
  return new Map(r.getRowsJS().map(([p, n]) => [Number(p), Number(n)]));
}

/**
 * The buffer of open windows in the state database (docs/processor.md, "State and outbox"):
 *
 * - `buf` holds the ticks on time for the largest window size — a superset of those on time for any smaller one,
 *   whose windows end earlier — once each; `buf_late` marks the buffered ticks that are late for a smaller window.
 * - The windows of a size that close when a partition's watermark moves from `before` to `after` are exactly those
 *   starting in [closedThrough(before), closedThrough(after)), closedThrough = watermark rounded down to the size,
 *   so closing reads one time range of `buf` (pruned by DuckDB's zone maps on `ts`).
 * - Ticks leave `buf` when the largest window containing them closed.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import { EMPTY_CLOSING_DDL, HISTORY_BARS, resetScratch } from './state.js';
import { NO_WATERMARK, type WindowSpec } from './windows.js';

export interface LateTick {
  partition: number;
  offset: number;
  window: string;
  watermark: number;
  ts: number;
}

const ts = (ms: number) => new DuckDBTimestampValue(BigInt(ms) * 1000n);

/**
 * Appends the batch's on-time ticks (`batchTicks`) to `buf`, marks in `buf_late` those late for a smaller window
 * and writes every late (tick, window) to `ob_late_ticks`. Returns the late rows written.
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
    const marks = await conn.createAppender('buf_late');
    const lateForLargest = new Set(late.filter((l) => l.window === largest).map((l) => `${l.partition}/${l.offset}`));
    for (const l of late) {
      a.appendInteger(l.partition);
      a.appendBigInt(BigInt(l.offset));
      a.appendVarchar(l.window);
      a.appendBigInt(BigInt(l.watermark));
      a.endRow();
      if (lateForLargest.has(`${l.partition}/${l.offset}`)) continue;
      marks.appendInteger(l.partition);
      marks.appendBigInt(BigInt(l.offset));
      marks.appendVarchar(l.window);
      marks.appendTimestamp(ts(l.ts));
      marks.endRow();
    }
    a.closeSync();
    marks.closeSync();
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
 * by the close stage (no copy). Returns how many window sizes close and the buffer ranges to drop afterwards
 * (`dropClosed`), those whose largest window closed.
 */
export async function defineClosing(
  conn: DuckDBConnection,
  windows: WindowSpec[],
  partitions: Iterable<number>,
  watermarks: (p: number) => [number, number],
): Promise<{ closing: number; dropped: ClosedRange[] }> {
  const through = (wm: number, ms: number) => (wm <= NO_WATERMARK ? 0 : Math.max(0, Math.floor(wm / ms) * ms));
  const parts: string[] = [];
  let dropped: ClosedRange[] = [];
  for (const w of windows) {
    const ranges: { p: number; lo: number; hi: number }[] = [];
    for (const p of partitions) {
      const [before, after] = watermarks(p);
      const lo = through(before, w.ms);
      const hi = through(after, w.ms);
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
        b.kafka_partition, b.kafka_offset FROM buf b WHERE ${span} AND (${each}) AND NOT EXISTS (SELECT 1 FROM buf_late l
          WHERE l.kafka_partition = b.kafka_partition AND l.kafka_offset = b.kafka_offset AND l."window" = '${w.label}')`);
    if (w === windows[windows.length - 1]) dropped = ranges.map((x) => ({ p: x.p, hi: x.hi }));
  }
  await conn.run(
    parts.length ? `CREATE OR REPLACE TEMP VIEW closing AS ${parts.join(' UNION ALL ')}` : EMPTY_CLOSING_DDL,
  );
  return { closing: parts.length, dropped };
}

/** Drops from `buf` (and `buf_late`) the ticks whose largest window closed. */
export async function dropClosed(conn: DuckDBConnection, dropped: ClosedRange[]): Promise<void> {
  if (dropped.length === 0) return;
  const max = Math.max(...dropped.map((d) => d.hi));
  for (const t of ['buf', 'buf_late']) {
    const each = dropped.map((d) => `(kafka_partition = ${d.p} AND ts < epoch_ms(${d.hi}::BIGINT))`).join(' OR ');
    await conn.run(`DELETE FROM ${t} WHERE ts < epoch_ms(${max}::BIGINT) AND (${each})`);
  }
}

/** Appends the bars just emitted (`new_bars`) to `bar_hist`, keeping the last HISTORY_BARS per symbol and window. */
export async function keepBarHistory(conn: DuckDBConnection): Promise<void> {
  await conn.run(`INSERT INTO bar_hist SELECT symbol, "window", window_start, close, volume FROM new_bars`);
  await conn.run(`DELETE FROM bar_hist WHERE rowid IN (SELECT rid FROM (SELECT rowid AS rid, row_number() OVER
      (PARTITION BY symbol, "window" ORDER BY window_start DESC) AS rn FROM bar_hist
      WHERE symbol IN (SELECT DISTINCT symbol FROM new_bars)) WHERE rn > ${HISTORY_BARS})`);
}

/**
 * A batch's valid ticks as columns, appended to the state's `batch_raw_<slot>` in data chunks (docs/processor.md,
 * "Performance").
 *
 * The DuckDB appender costs a native call per value (~0.2 µs, nine per tick); a data chunk of DOUBLE vectors is
 * filled in JavaScript and handed over with one copy per column per 2,048 rows. Strings would still cost a native
 * call each, so the three text columns travel as ids into a per-batch dictionary (`batch_str_<slot>`, a few dozen rows)
 * that the `batch_ticks` view turns back into text by list index — a projection, so row order is kept. The ticks
 * arrive parsed, their text already as ids into the parsed batch's dictionary (tick-batch.ts); the core maps those
 * to this dictionary with a small array (`intern` once per entry, `pushIds` per tick).
 * Every number here is exact as a DOUBLE (integers below 2^53, validated by `parseTick`).
 */
import {
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBDoubleType,
  type DuckDBDoubleVector,
} from '../../core/duckdb.js';

/** Columns of `batch_raw_<slot>`, in table order. */
const COLUMNS = [
  'symbol_id',
  'exchange_id',
  'asset_class_id',
  'ts_ms',
  'price',
  'size',
  'kafka_partition',
  'kafka_offset',
  'prev_price',
] as const;
const WIDTH = COLUMNS.length;
const PREV = WIDTH - 1;
/** DuckDB's standard vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

/**
 * The in-memory database holding the batch's columns. Not TEMP: temporary tables belong to one connection, and the
 * batch is written from one connection, archived from a second and read by the state transaction on a third
 * (core.ts). Two slots, so the next batch can be written while the current one is being processed.
 */
export const SCRATCH = 'scratch';
export const ATTACH_SCRATCH = `ATTACH IF NOT EXISTS ':memory:' AS ${SCRATCH}`;
export type Slot = 0 | 1;
/** The (empty) tables of one slot: created again by every batch written into it. */
export function batchTablesDdl(slot: Slot): string[] {
  return [
    `CREATE OR REPLACE TABLE ${SCRATCH}.batch_raw_${slot} (${COLUMNS.map((c) => `${c} DOUBLE`).join(', ')})`,
    `CREATE OR REPLACE TABLE ${SCRATCH}.batch_str_${slot} (id INTEGER, s VARCHAR)`,
  ];
}
/** The batch's ticks with their types back: what the stream SQL and the archive read (a view per connection). */
export function batchTicksDdl(slot: Slot, view = 'batch_ticks'): string {
  return `CREATE OR REPLACE TEMP VIEW ${view} AS
  WITH d AS (SELECT coalesce(list(s ORDER BY id), []) AS s FROM ${SCRATCH}.batch_str_${slot})
  SELECT d.s[symbol_id::INTEGER] AS symbol, d.s[exchange_id::INTEGER] AS exchange,
    d.s[asset_class_id::INTEGER] AS asset_class, epoch_ms(ts_ms::BIGINT) AS ts, price, size,
    kafka_partition::INTEGER AS kafka_partition, kafka_offset::BIGINT AS kafka_offset, prev_price,
    CAST(epoch_ms(ts_ms::BIGINT) AS DATE) AS date
  FROM ${SCRATCH}.batch_raw_${slot}, d`;
}

/**
 * A `ticks`-stage SQL text reading the batch of `slot`: every `batch_ticks` identifier (a whole word) names that
 * slot's view. Redefining one `batch_ticks` view per batch instead cost a DDL statement on the serial path that
 * waited 30 ms on average behind the next batch's writes to the scratch database.
 */
export function batchTicksFor(sql: string, slot: Slot): string {
  return sql.replace(/\bbatch_ticks\b/g, `batch_ticks_${slot}`);
}

/**
 * Sets items [0, n) of a DOUBLE vector to `col[start, start + n)`: one typed-array copy into the vector's own
 * `Float64Array` (which `flush` hands to DuckDB) rather than a call per value. The field is not part of
 * @duckdb/node-api's typed surface, so its shape is checked, with `setItem` per value when it differs.
 */
export function fillDoubles(v: DuckDBDoubleVector, col: Float64Array, start: number, n: number): void {
  const items = (v as unknown as { items?: unknown }).items;
  if (items instanceof Float64Array && items.length >= n) {
    items.set(col.subarray(start, start + n));
    return;
  }
  for (let r = 0; r < n; r++) v.setItem(r, col[start + r]);
}

/** Rows appended per appender before it is closed and the event loop gets a turn (see `write`). */
const ROWS_PER_APPEND = 8 * CHUNK_ROWS;

export class TickColumns {
  /** One array per column (COLUMNS order): a chunk's vector is filled with one typed-array copy per column. */
  private cols: Float64Array[] = COLUMNS.map(() => new Float64Array(4096));
  /** Rows whose prev_price is null (the first tick of a symbol), ascending. */
  private prevNulls: number[] = [];
  private readonly strings = new Map<string, number>();
  rows = 0;

  /**
   * Dictionary id (1-based, a DuckDB list index) of a text value. The core maps each parsed batch's own dictionary
   * (tick-batch.ts) to these ids once per entry, then pushes ids (`pushIds`): no string lookup per tick.
   */
  intern(s: string): number {
    let i = this.strings.get(s);
    if (i === undefined) {
      i = this.strings.size + 1;
      this.strings.set(s, i);
    }
    return i;
  }

  /** Appends a tick, its text columns as dictionary ids from `intern`. */
  pushIds(
    symbolId: number,
    exchangeId: number,
    assetClassId: number,
    tsMs: number,
    price: number,
    size: number,
    partition: number,
    offset: number,
    prevPrice: number | undefined,
  ): void {
    const r = this.rows;
    let c = this.cols;
    if (r === c[0].length) {
      c = this.cols = c.map((old) => {
        const grown = new Float64Array(old.length * 2);
        grown.set(old);
        return grown;
      });
    }
    c[0][r] = symbolId;
    c[1][r] = exchangeId;
    c[2][r] = assetClassId;
    c[3][r] = tsMs;
    c[4][r] = price;
    c[5][r] = size;
    c[6][r] = partition;
    c[7][r] = offset;
    if (prevPrice === undefined) {
      c[PREV][r] = 0;
      this.prevNulls.push(r);
    } else c[PREV][r] = prevPrice;
    this.rows = r + 1;
  }

  /**
   * Replaces the tables of `slot` with this batch's rows (outside any transaction: see SCRATCH). The appender's
   * calls are synchronous on the calling thread, and so is its close, which moves the rows into the table: the rows
   * go in appenders of ROWS_PER_APPEND, with a turn of the event loop between them, so that the statements of the
   * batch transaction running meanwhile on another connection (core.ts) are not held up by a whole batch's copy.
   */
  async write(conn: DuckDBConnection, slot: Slot = 0): Promise<void> {
    // created again rather than emptied by DELETE: a replaced table's memory is freed at once (state.ts SCRATCH_TABLES)
    for (const ddl of batchTablesDdl(slot)) await conn.run(ddl);
    const strs = await conn.createAppender(`batch_str_${slot}`, 'main', SCRATCH);
    for (const [s, i] of this.strings) {
      strs.appendInteger(i);
      strs.appendVarchar(s);
      strs.endRow();
    }
    strs.closeSync();
    if (this.rows === 0) return;
    const types = COLUMNS.map(() => DuckDBDoubleType.instance);
    const cols = this.cols;
    const nulls = this.prevNulls;
    let nextNull = 0;
    for (let from = 0; from < this.rows; from += ROWS_PER_APPEND) {
      if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const ap = await conn.createAppender(`batch_raw_${slot}`, 'main', SCRATCH);
      const to = Math.min(this.rows, from + ROWS_PER_APPEND);
      for (let start = from; start < to; start += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, to - start);
        const chunk = DuckDBDataChunk.create(types, n);
        for (let c = 0; c < WIDTH; c++) {
          const v = chunk.getColumnVector(c) as DuckDBDoubleVector;
          fillDoubles(v, cols[c], start, n);
          if (c === PREV) {
            for (; nextNull < nulls.length && nulls[nextNull] < start + n; nextNull++) {
              v.setItem(nulls[nextNull] - start, null);
            }
          }
          v.flush();
        }
        ap.appendDataChunk(chunk);
      }
      ap.closeSync();
    }
  }
}

/**
 * A partition's state as its commit entry holds it (docs/scaling.md): what a partition-scoped tick engine needs to
 * continue the partition wherever it runs next. Read inside the batch's transaction (`exportPartitionState`, so it
 * is the state the batch leads to) and written into a new, empty state database when the partition is acquired
 * (`seedPartitionState`); the open windows' ticks are not in it: they are read back from the tick archive, restricted
 * to the partition, as at every start (window-buffer.ts `restoreBuffer`).
 *
 * All of it is small: one partition row, the last price and the highest tick seq of each of the partition's
 * symbols, and the last 20 bars of each of its symbols and windows. Timestamps travel as epoch milliseconds,
 * doubles as JSON numbers (exact both ways).
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { writeMeta } from '../ticks/state.js';
import { NO_WATERMARK } from '../time/watermarks.js';

export interface PartitionEntryState {
  partition: number;
  nextOffset: number;
  maxTs: number;
  watermark: number;
  /** Ticks of the partition the open windows hold (checked when they are read back from the archive). */
  buffered: number;
  /** Whether `--until-idle` closed every window of the partition (its final flush): nobody flushes it again. */
  flushed: boolean;
  lastTick: [symbol: string, price: number][];
  seqSeen: [src: string, symbol: string, seq: number][];
  barHist: [symbol: string, window: string, windowStart: number, close: number, volume: number][];
  /**
   * The lowest batch (= commit sequence) whose Kafka or MySQL rows were not yet delivered when the entry was created
   * (the entry's own batch at most: it is delivered after its entry). A new owner queues the rows of every entry
   * from it to the latest again (partition-engine.ts): an owner whose MySQL was down for several batches before it
   * died owes all of them, and its state directory may be gone. Absent in entries of older versions: the latest only.
   */
  owedFrom?: number;
}

const num = (v: unknown) => Number(v);

/** The partition's state as `conn` sees it (inside the batch's transaction: after the batch). */
export async function exportPartitionState(
  conn: DuckDBConnection,
  partition: number,
  flushed: boolean,
): Promise<PartitionEntryState> {
  const row = (
    await conn.runAndReadAll(
      `SELECT next_offset, max_ts, watermark, coalesce(buffered, 0) FROM partitions WHERE kafka_partition = ${partition}`,
    )
  ).getRowsJS()[0];
  const rows = async (sql: string) => (await conn.runAndReadAll(sql)).getRowsJS();
  return {
    partition,
    nextOffset: num(row?.[0] ?? 0),
    maxTs: num(row?.[1] ?? NO_WATERMARK),
    watermark: num(row?.[2] ?? NO_WATERMARK),
    buffered: num(row?.[3] ?? 0),
    flushed,
    lastTick: (await rows('SELECT symbol, price FROM last_tick ORDER BY symbol')).map(([s, p]) => [String(s), num(p)]),
    seqSeen: (await rows('SELECT src, symbol, seq FROM seq_seen ORDER BY src, symbol')).map(([a, s, q]) => [
      String(a),
      String(s),
      num(q),
    ]),
    barHist: (
      await rows(`SELECT symbol, "window", epoch_ms(window_start), close, volume FROM bar_hist
        ORDER BY symbol, "window", window_start`)
    ).map(([s, w, t, c, v]) => [String(s), String(w), num(t), num(c), num(v)]),
  };
}

/**
 * Writes an entry's state into a new state database (schema created, nothing else in it), so that the core opened
 * over it continues the partition after entry `seq`.
 */
export async function seedPartitionState(conn: DuckDBConnection, seq: number, st: PartitionEntryState): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(`INSERT INTO partitions (kafka_partition, next_offset, max_ts, watermark, buffered)
      VALUES (${st.partition}, ${st.nextOffset}, ${bigint(st.maxTs)}, ${bigint(st.watermark)}, ${st.buffered})`);
    await append(conn, 'last_tick', st.lastTick, (a, [s, p]) => {
      a.appendVarchar(s);
      a.appendDouble(p);
    });
    await append(conn, 'seq_seen', st.seqSeen, (a, [src, s, q]) => {
      a.appendVarchar(src);
      a.appendVarchar(s);
      a.appendBigInt(BigInt(q));
    });
    for (const [s, w, t, c, v] of st.barHist) {
      await conn.run(
        'INSERT INTO bar_hist VALUES ($s, $w, make_timestamp($t::BIGINT * 1000), $c::DOUBLE, $v::DOUBLE)',
        {
          s,
          w,
          t,
          c,
          v,
        },
      );
    }
    await writeMeta(conn, 'next_batch_id', String(seq + 1));
    await writeMeta(conn, 'flushed', String(st.flushed));
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** A BIGINT literal of an integral double, exactly (String(-(2 ** 62)) would round its digits). */
function bigint(v: number): string {
  return BigInt(Math.trunc(v)).toString();
}

async function append<T>(
  conn: DuckDBConnection,
  table: string,
  rows: T[],
  put: (a: Awaited<ReturnType<DuckDBConnection['createAppender']>>, row: T) => void,
): Promise<void> {
  if (rows.length === 0) return;
  const a = await conn.createAppender(table);
  for (const r of rows) {
    put(a, r);
    a.endRow();
  }
  a.closeSync();
}

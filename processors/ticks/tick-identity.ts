/**
 * Tick identity (docs/messages.md, "Identity"): a tick that carries `seq` is counted once per (src, symbol, seq),
 * `src` defaulting to its exchange.
 *
 * A source numbers each symbol's ticks in increasing order, and every tick of a symbol goes to one partition (the
 * key is the symbol), which Kafka keeps in the order it was written. So a (src, symbol) sequence reaches the
 * processor in increasing order, except where the producer sent something again: after a crash it resumes from its
 * last checkpoint and re-sends the ticks after it, with the same numbers; a retried produce request can write a
 * batch twice. Either way the repeat has a number at or below the highest one seen. The ledger therefore keeps, per
 * (src, symbol), only that highest number, not a set of ids: memory and state grow with the number of sources, not
 * of ticks.
 *
 * The ledger is changed by `ProcessorCore.prepare` (the state every later batch starts from, like the partitions'
 * watermarks) and its changes are written to the state table `seq_seen` inside the batch's transaction, so the
 * numbers and the offsets that consumed them commit together: a crash before COMMIT forgets both.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';

/** The highest seq counted for one (src, symbol). */
export interface SeqEntry {
  readonly src: string;
  readonly symbol: string;
  max: number;
}

/** A (src, symbol, highest seq) to write: a value taken when the batch was prepared. */
export type SeqRow = [src: string, symbol: string, max: number];

export const SEQ_DDL = 'CREATE TABLE IF NOT EXISTS seq_seen (src VARCHAR, symbol VARCHAR, seq BIGINT)';
const SEQ_NEW_DDL = 'CREATE OR REPLACE TEMP TABLE seq_new (src VARCHAR, symbol VARCHAR, seq BIGINT)';

export class SeqLedger {
  private readonly entries = new Map<string, SeqEntry>();

  /** The committed ledger of a state database. */
  static async load(conn: DuckDBConnection): Promise<SeqLedger> {
    const ledger = new SeqLedger();
    const r = await conn.runAndReadAll('SELECT src, symbol, seq FROM seq_seen');
    for (const [src, symbol, seq] of r.getRowsJS()) ledger.entry(String(src), String(symbol)).max = Number(seq);
    return ledger;
  }

  /** The entry of (src, symbol), created at 0 (nothing seen) when new. */
  entry(src: string, symbol: string): SeqEntry {
    const key = `${src}\u0000${symbol}`;
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { src, symbol, max: 0 };
      this.entries.set(key, e);
    }
    return e;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Writes the entries a batch changed (inside its transaction). */
export async function writeSeqRows(conn: DuckDBConnection, rows: readonly SeqRow[]): Promise<void> {
  if (rows.length === 0) return;
  await conn.run(SEQ_NEW_DDL);
  const a = await conn.createAppender('seq_new', 'main', 'temp');
  for (const [src, symbol, max] of rows) {
    a.appendVarchar(src);
    a.appendVarchar(symbol);
    a.appendBigInt(BigInt(max));
    a.endRow();
  }
  a.closeSync();
  await conn.run('DELETE FROM seq_seen WHERE (src, symbol) IN (SELECT src, symbol FROM seq_new)');
  await conn.run('INSERT INTO seq_seen SELECT * FROM seq_new');
}

/**
 * Gives back the memory of the rows the per-batch scratch relations dropped (docs/deploy.md, "Disk and memory").
 *
 * Every batch empties and refills the state connection's scratch tables (`DELETE FROM new_bars`, the batch's tick
 * columns, `closing`, ...). DuckDB only marks deleted rows; their storage is reclaimed when the database that holds
 * them is checkpointed, and DuckDB never checkpoints a connection's `temp` database by itself (a file database
 * checkpoints when its WAL reaches `checkpoint_threshold`, an attached `:memory:` one at a similar threshold). So
 * the temporary tables kept every row any batch had ever put in them: measured at 1,000 ticks/s, `duckdb_memory()`
 * counted ~20 MB more `IN_MEMORY_TABLE` a minute, the RSS of `ticklake process` following it, while the JS heap and
 * the state file stayed flat.
 *
 * `releaseScratch` checkpoints the in-memory databases the connection sees (its `temp` and any attached
 * `:memory:` database), outside the batch transaction: the dead rows go, the live ones stay. The file database is
 * left to DuckDB's own checkpoints. A checkpoint also recompresses the tables that changed, which costs about as
 * much as a small batch (measured: 3 ms with 1,000 live scratch rows, 120 ms after a 50,000-message batch on a
 * loaded machine), so `ScratchReleaser` runs one only once `everyMessages` messages (default 50,000) have gone
 * through the scratch tables since the last, and at most every `minBatches`-th batch (default 4): the dead rows
 * held stay below those of max(everyMessages, minBatches batches) messages, whatever the stream's length, and the
 * checkpoints take a few percent of a batch's time at most.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent } from '../lake/writer.js';

/** The in-memory databases of a connection: `temp` and attached `:memory:` ones (not `system`, not files). */
export async function scratchDatabases(conn: DuckDBConnection): Promise<string[]> {
  const r = await conn.runAndReadAll(
    `SELECT database_name FROM duckdb_databases()
      WHERE path IS NULL AND type = 'duckdb' AND database_name <> 'system' ORDER BY database_name`,
  );
  return r.getRowsJS().map((row) => String(row[0]));
}

/**
 * Checkpoints `databases` (default: every in-memory database of `conn`), reclaiming their deleted rows. Run it
 * between batches, outside the batch transaction.
 */
export async function releaseScratch(conn: DuckDBConnection, databases?: string[]): Promise<void> {
  for (const db of databases ?? (await scratchDatabases(conn))) await conn.run(`CHECKPOINT ${sqlIdent(db)}`);
}

/** Checkpoints the scratch databases between batches, once enough messages went through them (see above). */
export class ScratchReleaser {
  /** Checkpoints run so far. */
  releases = 0;
  private messages = 0;
  private batches = 0;

  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly databases: string[],
    private readonly everyMessages: number,
    private readonly minBatches: number,
  ) {}

  static async open(conn: DuckDBConnection, everyMessages = 50_000, minBatches = 4): Promise<ScratchReleaser> {
    return new ScratchReleaser(conn, await scratchDatabases(conn), everyMessages, minBatches);
  }

  /** Call after each batch (outside a transaction) with its message count. Returns true when it checkpointed. */
  async afterBatch(messages: number): Promise<boolean> {
    this.messages += messages;
    this.batches++;
    if (this.messages < this.everyMessages || this.batches < this.minBatches) return false;
    await releaseScratch(this.conn, this.databases);
    this.messages = 0;
    this.batches = 0;
    this.releases++;
    return true;
  }
}

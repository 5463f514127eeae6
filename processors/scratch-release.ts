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
 * `:memory:` database), outside the batch transaction: the dead rows of the last batch go, the live ones stay.
 * With nothing to reclaim it costs about 0.2 ms. The file database is left to DuckDB's own checkpoints.
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
 * Checkpoints `databases` (default: every in-memory database of `conn`), reclaiming their deleted rows. Must run
 * outside a transaction on `conn` (inside one, DuckDB skips the checkpoint).
 */
export async function releaseScratch(conn: DuckDBConnection, databases?: string[]): Promise<void> {
  for (const db of databases ?? (await scratchDatabases(conn))) await conn.run(`CHECKPOINT ${sqlIdent(db)}`);
}

/** Rows the in-memory databases of `conn` hold, deleted ones included (what their tables' storage holds). */
export async function scratchRowsHeld(conn: DuckDBConnection, databases?: string[]): Promise<number> {
  const dbs = databases ?? (await scratchDatabases(conn));
  if (dbs.length === 0) return 0;
  const r = await conn.runAndReadAll(
    `SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables()
      WHERE database_name IN (${dbs.map((d) => `'${d.replaceAll("'", "''")}'`).join(', ')})`,
  );
  return Number(r.getRowsJS()[0][0]);
}

/**
 * Reopening the state database's DuckDB instance every `--state-reopen-every` batches, when the open windows hold
 * few ticks (the processor's loop decides when: processor.ts `reopenIfDue`; scaled out, each partition's cache:
 * partition-engine.ts `reopenIfDue`): the memory DuckDB keeps per instance
 * (its eviction queues) goes back. Measured: a core reopened every 1,000 batches sits 0.87-0.89 of the level of one
 * that never reopens, and a soak's slope fell to 0.38 (bench/HISTORY.md, "Twenty-fourth stop").
 *
 * Why: DuckDB's buffer pool queues every block a query unpins for eviction, and a queue node keeps its block's
 * memory (one allocation with its control block) until the node leaves the queue. A queue is purged only once it
 * holds 32,768 nodes, and an instance has eight, so a long-lived instance running small batches grows for
 * 10,000–30,000 batches before it levels off (bench/HISTORY.md, "Sixteenth stop" and after): hours at start's
 * pace, longer than a soak can show. Closing the instance frees its queues at once.
 *
 * What must survive the reopen is what the file does not hold: `buf`, the TEMP table of the open windows' ticks,
 * and the temp catalog's scratch relations (rebuilt by `createSchema`). `holdBuffer` writes `buf` into the file as
 * the table `buf` of its main schema, in one transaction, and checkpoints; the core opened again finds it there
 * and moves it back (window-buffer.ts `restoreBuffer`, the path a state closed this way takes at any start, a crash
 * between the two halves included: the file then holds the buffer that goes with its committed offsets).
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import type { Delivery } from '../sinks/delivery.js';
import type { ProcessorCore } from './core.js';
import { createSchema, openState, type StateDb } from './state.js';

/**
 * Writes the open windows' ticks (`temp.buf`) into the state file as its table `buf` and checkpoints the file, so
 * that the file alone holds the whole state. Run outside any transaction, with nothing else running on the instance.
 */
export async function holdBuffer(conn: DuckDBConnection): Promise<void> {
  const db = String((await conn.runAndReadAll('SELECT current_database()')).getRowsJS()[0][0]);
  await conn.run('BEGIN TRANSACTION');
  try {
    // in no particular order: restoreBuffer sorts as it moves the table back
    await conn.run(`CREATE TABLE "${db}".main.buf AS SELECT * FROM temp.buf`);
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => {});
    throw e;
  }
  await conn.run('CHECKPOINT');
}

/**
 * Closes the state's instance and opens its file again with the same settings and schema, in place: whoever holds
 * `state` reads the new `instance` and `conn` from it. Every other connection to the old instance must be closed
 * first. A state opened from a file only (the caller checks: ProcessorCore.reopen).
 */
export async function reopenState(state: StateDb): Promise<void> {
  state.conn.closeSync();
  state.instance.closeSync();
  const o = state.opened;
  const next = await openState(o.stateDir, o.memoryLimit, o.name, o.threads);
  await createSchema(next.conn);
  state.instance = next.instance;
  state.conn = next.conn;
}

/**
 * Reopens a core's state between two batches, with the delivery that has a connection of its own to it (the
 * single-instance loop's and each partition engine's): that connection is closed first, as every connection to the
 * old instance must be, and one to the new instance is handed to the delivery after. Returns it: its owner closes it.
 */
export async function reopenWithDelivery(
  core: ProcessorCore,
  state: StateDb,
  delivery: Delivery,
  deliveryConn: DuckDBConnection,
): Promise<DuckDBConnection> {
  deliveryConn.closeSync();
  await core.reopen();
  const next = await state.instance.connect();
  delivery.useConnection(next);
  return next;
}

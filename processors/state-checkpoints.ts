/**
 * Checkpoints of a processor's state database (the ticks core's and the keyed-table engine's), every
 * STATE_CHECKPOINT_BATCHES batches, after COMMIT.
 *
 * DuckDB folds the WAL into the file by itself only once the WAL reaches `checkpoint_threshold` (16 MiB). Until then
 * what every batch appended, updated and deleted stays in memory beside the file: row groups not yet written, and
 * every version of the rows a batch rewrites (the ticks core's `last_tick`, `seq_seen`, `partitions` and outbox; the
 * tables' current rows and offsets). At ~3 KB of WAL a ticks batch that was ~5,500 batches (1.5 h at start's
 * defaults) of memory growing by ~5 KiB a batch before the first checkpoint (bench:core-memory, bench/HISTORY.md
 * "Fourteenth stop"). A checkpoint of such a small database every 100 batches writes a few hundred KB.
 */
import type { DuckDBConnection } from '../core/duckdb.js';

export const STATE_CHECKPOINT_BATCHES = 100;

export class StateCheckpoints {
  /** The last checkpoint failed: one is owed after the next batch. */
  private owed = false;

  /** `every`: batches between checkpoints (0: none, only DuckDB's own at its threshold). */
  constructor(private readonly every = STATE_CHECKPOINT_BATCHES) {}

  /**
   * After batch `b` committed on `conn` (outside any transaction): checkpoints its database when `b` is due or the
   * last attempt failed. Never throws: the batch is committed whatever happens here, and a checkpoint DuckDB refuses
   * is tried again after the next batch. Returns whether it tried.
   */
  async afterCommit(conn: DuckDBConnection, b: number): Promise<boolean> {
    if (this.every <= 0 || (b % this.every !== 0 && !this.owed)) return false;
    this.owed = await conn.run('CHECKPOINT').then(
      () => false,
      () => true,
    );
    return true;
  }
}

/**
 * The scheduler's lake session, open only while the scheduler uses it: a tick that runs something, a re-run, the
 * MySQL copy of a result. The first use inside a `hold` opens it; the end of the outermost `hold` closes it.
 *
 * Why not one session for the process's life: a DuckDB instance that scans many Parquet files keeps the memory of
 * every scan. Each hourly check binds the ticks view (every file of the lake, union_by_name) and reads the hour's
 * files; on an instance kept open the process's resident memory rose by every such run and did not fall (12,000
 * files: 1.6 GB after the first hourly pass and 2.0 GB after the fifth; glibc's `malloc_trim` gave ~1.2 GB of it
 * back, so it is freed memory the allocator cannot return while the instance's long-lived objects sit between it),
 * and `ticklake start`'s soaks grew a step at every full hour. Closed after each pass, the same runs left 0.2 GB
 * (bench/HISTORY.md, nineteenth stop). Opening costs one view creation over the lake, once per tick that runs
 * something (hourly at the bundled schedules).
 */
import type { LakeSession } from '../lake/session.js';

export class OnDemandSession {
  private opened: Promise<LakeSession> | undefined;
  private holders = 0;

  constructor(private readonly open: () => Promise<LakeSession>) {}

  /** Runs `fn` with the session kept for its whole length once something in it opens the session. */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    this.holders++;
    try {
      return await fn();
    } finally {
      this.holders--;
      if (this.holders === 0) await this.closeNow();
    }
  }

  /** Runs `fn` with the session (opened if need be), closed afterwards unless an outer `hold` keeps it. */
  use<T>(fn: (session: LakeSession) => Promise<T>): Promise<T> {
    return this.hold(async () => {
      if (!this.opened) {
        const p = this.open();
        this.opened = p;
        // a failed open is not kept: the next use tries again
        p.catch(() => {
          if (this.opened === p) this.opened = undefined;
        });
      }
      return fn(await this.opened);
    });
  }

  private async closeNow(): Promise<void> {
    const p = this.opened;
    this.opened = undefined;
    const session = await p?.catch(() => undefined);
    session?.close();
  }
}

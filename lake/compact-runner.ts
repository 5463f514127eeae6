/**
 * Continuous compaction inside a long-running process (`ticklake process`, `ticklake start`): every `intervalMs`,
 * one `compactLake({openDates: true})` over the whole lake (lake/compact.ts), so that the open day stays a handful of
 * files instead of one per delivered batch.
 *
 * - Runs never overlap: a tick that finds a run still going is skipped, and `runOnce` called meanwhile waits for
 *   the running one and then runs again.
 * - The timer is unref'd: the runner never keeps a process alive. `close()` stops the timer and waits for a run in
 *   progress (a merge is never abandoned half-way by the runner itself; a crash is covered by compaction's steps).
 * - A run that finds another compaction holding the lake (`ticklake compact` in another process) is skipped; any
 *   other failure is logged and the next tick tries again (an interrupted merge is finished by the next run).
 * - One info line per run that merged something; nothing when there was nothing to do.
 */

import { settingDefault } from '../core/config.js';
import type { DuckDBConnection } from '../core/duckdb.js';
import { isTicklakeError } from '../core/errors.js';
import { type Logger, logger } from '../core/log.js';
import { type CompactResult, compactLake } from './compact.js';
import type { TierOptions } from './compact-plan.js';

export interface LakeCompactorOptions {
  lakeDir: string;
  /** Pause between runs (default: --compact-every's). */
  intervalMs?: number;
  /** Tier settings (lake/compact-plan.ts DEFAULT_TIERS). */
  settleMs?: number;
  maxFileBytes?: number;
  minFiles?: number;
  /** Closed-date grace (default: --grace's). */
  graceMs?: number;
  /** DuckDB connection to merge with (default: a private in-memory instance per run). */
  conn?: DuckDBConnection;
  logger?: Logger;
  /** Injected clock (tests). */
  now?: () => number;
}

/** Totals since start, for /metrics (metrics/lake-metrics.ts). */
export interface CompactorStats {
  runs: number;
  failures: number;
  /** Partition directories merged, files merged away (before − after), rows rewritten. */
  partitions: number;
  filesMerged: number;
  rows: number;
  lastRunSeconds: number | null;
}

export interface LakeCompactor {
  /** One run now (after the one in progress, if any). Resolves with its result; rejects when it failed. */
  runOnce(): Promise<CompactResult>;
  stats(): CompactorStats;
  close(): Promise<void>;
}

export function startLakeCompactor(opts: LakeCompactorOptions): LakeCompactor {
  const log = opts.logger ?? logger('compact');
  const intervalMs = opts.intervalMs ?? settingDefault('compactEvery');
  const tiers: Partial<TierOptions> = {};
  if (opts.settleMs !== undefined) tiers.settleMs = opts.settleMs;
  if (opts.maxFileBytes !== undefined) tiers.maxFileBytes = opts.maxFileBytes;
  if (opts.minFiles !== undefined) tiers.minFiles = opts.minFiles;
  // per-partition lines only at warn and above (unless the logger is quieter still)
  const quiet = log.levelVal >= 40 ? log : log.child({}, { level: 'warn' });
  let running: Promise<CompactResult> | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const totals: CompactorStats = { runs: 0, failures: 0, partitions: 0, filesMerged: 0, rows: 0, lastRunSeconds: null };

  const once = async (): Promise<CompactResult> => {
    const started = Date.now();
    const res = await compactLake({
      lakeDir: opts.lakeDir,
      openDates: true,
      tiers,
      graceMs: opts.graceMs,
      now: opts.now?.(),
      conn: opts.conn,
      logger: quiet,
    }).catch((e) => {
      totals.failures++;
      throw e;
    });
    totals.runs++;
    totals.partitions += res.partitions;
    totals.filesMerged += res.filesBefore - res.filesAfter;
    totals.rows += res.rows;
    totals.lastRunSeconds = (Date.now() - started) / 1000;
    if (res.partitions > 0 || res.recovered > 0 || res.redeliveredRemoved > 0) {
      log.info(
        { ...res, ms: Date.now() - started },
        `compacted ${res.filesBefore} lake file(s) into ${res.filesAfter} (${res.rows} rows)`,
      );
    }
    return res;
  };

  const run = (): Promise<CompactResult> => {
    const prev = running ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(once)
      .finally(() => {
        if (running === next) running = undefined;
      });
    running = next;
    return next;
  };

  const tick = () => {
    timer = undefined;
    if (closed) return;
    const go = running
      ? Promise.resolve()
      : run().then(
          () => undefined,
          (e: Error) => {
            if (isTicklakeError(e, 'TL_LAKE_BUSY')) log.debug({ err: e.message }, 'lake busy');
            else log.warn({ err: e.message }, 'lake compaction failed; next run retries');
          },
        );
    void go.finally(schedule);
  };
  const schedule = () => {
    if (closed || timer) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    stats: () => ({ ...totals }),
    runOnce: () => {
      if (closed) return Promise.reject(new Error('the lake compactor is closed'));
      return run();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}

/**
 * A workload `ticklake start` runs in-process until it stops (the bank simulator and `ticklake cdc` of --with
 * bank): restarted after a failure, the way Kafka Connect restarts a failed Debezium task, instead of taking start
 * down with it. The MySQL they work on may restart, drop a connection or answer one query with an error; the
 * processors already live through that (processors/sinks/mysql-outage.ts), and these resume from their stored
 * state: cdc from its offsets, reading back what it published past them (docs/cdc.md), the bank from the rows it
 * finds (producers/bank/bank-run.ts).
 *
 * A ticklake error that is not retriable (a server setting, a privilege, purged binlogs, offsets of another
 * server) is a configuration to mend, so it ends the workload as before. Anything else is retried after 0.5 s,
 * doubling to 30 s, back to 0.5 s once a run lasted a minute.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTicklakeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

export interface SuperviseOptions {
  /** Stops the workload: passed to each run, and ends the wait between runs. */
  signal: AbortSignal;
  log: Logger;
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** A run that lasted this long was healthy: the next failure waits firstDelayMs again. */
  healthyMs?: number;
  /** Called after each failure that is retried, with the workload's name (a stat). */
  onRestart?: (name: string, e: unknown) => void;
}

/** Runs `run` until it returns or the signal stops it; rethrows only what is not worth a retry. */
export async function supervise(
  name: string,
  run: (signal: AbortSignal) => Promise<unknown>,
  o: SuperviseOptions,
): Promise<void> {
  const first = o.firstDelayMs ?? 500;
  const max = o.maxDelayMs ?? 30_000;
  const healthy = o.healthyMs ?? 60_000;
  let delay = 0;
  let restarts = 0;
  while (!o.signal.aborted) {
    const began = Date.now();
    try {
      await run(o.signal);
      return;
    } catch (e) {
      if (o.signal.aborted) return;
      if (isTicklakeError(e) && !e.retriable) throw e;
      delay = Date.now() - began >= healthy ? first : Math.min(max, Math.max(first, delay * 2));
      restarts++;
      o.onRestart?.(name, e);
      const err = e as Error & { code?: unknown };
      o.log.warn(
        { err: err.message, code: err.code, restarts, inMs: delay },
        `${name} failed: restarting it from its stored state`,
      );
      await sleep(delay, undefined, { signal: o.signal }).catch(() => {});
    }
  }
}

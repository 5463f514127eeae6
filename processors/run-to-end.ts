/**
 * How a processor's run ends: the tick engine (`ticks/processor.ts`), its scaled-out form
 * (`ticks/scaled-processor.ts`), the keyed-table engine (`tables/processor.ts`) and the valuation stage
 * (`valuations/valuation-processor.ts`) each start a loop and hand it here with what closes them.
 *
 * - `finish` (closing what the processor opened, stamping `finishedAt`) runs exactly once, after the loop, whether the
 *   loop returned or threw: it is the one handler of the loop's settling, so no flag is needed to guard it.
 * - When the loop throws, `done` rejects with the loop's error, not with an error of `finish` (which is dropped): the
 *   cause of the failure is what the caller (and the fatal exit, `cli/process.ts`) reports.
 * - When the loop returns, `done` resolves with what `finish` returns (the final stats), or rejects with its error.
 * - `close()` asks the loop to stop (`stop`, which sets the flag the loop checks between batches) and waits for `done`.
 *
 * What differs between the four is a parameter, not a variant: `stats` is the tick engine's refresh of watermarks,
 * delivery counts and freshness before it copies its stats (read from its state, so it may fail once that is closed),
 * and a plain copy for the others; what each `finish` closes is its own. The keyed-table engine's handle also
 * carries its catalog, spread beside the run's fields.
 */

/** A running processor's handle. */
export interface RunningToEnd<S> {
  /** The stats so far (a copy). */
  stats(): S;
  /** Resolves with the final stats when the run ends (until-idle drained, or close()); rejects on a fatal error. */
  done: Promise<S>;
  /** Graceful stop: the loop ends at its next check (the batch in flight finishes), then the run is finished. */
  close(): Promise<S>;
}

export interface RunParts<S> {
  /** The processing loop: returns when the run is over (until-idle drained, or stopped), throws on a fatal error. */
  loop: () => Promise<void>;
  /** Closes what the processor opened; returns the final stats. Called once, after the loop. */
  finish: () => Promise<S>;
  /** Asks the loop to stop at its next check. */
  stop: () => void;
  /** The stats so far. */
  stats: () => S;
}

/** Starts `loop` and returns the handle whose `done` settles once `finish` has run after it. */
export function runToEnd<S>(parts: RunParts<S>): RunningToEnd<S> {
  const done = parts.loop().then(
    () => parts.finish(),
    async (e: unknown) => {
      await parts.finish().catch(() => {});
      throw e;
    },
  );
  return {
    stats: parts.stats,
    done,
    close: async () => {
      parts.stop();
      return done;
    },
  };
}

/**
 * Test helper: wait for something that happens in another process, a broker or a background loop, by asking again
 * every few milliseconds until it is so or a deadline passes. One place for what every test used to write itself.
 *
 * `waitFor(what, probe, options)` resolves with the first answer of `probe` that is neither `false`, `undefined`
 * nor `null` (so a boolean predicate resolves with `true`, a lookup with what it found); throws after the deadline
 * with a message naming `what` (and the `detail` of the options, e.g. the output of a child process so far).
 *
 * Never a timing assertion (CONTRIBUTING.md): the deadline only bounds a wait that would otherwise hang the test.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** Give up after this many ms (default 30 s). */
  timeoutMs?: number;
  /** Ask again every this many ms (default 50). */
  everyMs?: number;
  /**
   * Asked after every probe that did not answer: a reason the wait cannot succeed any more (a child process
   * exited), which ends it at once with an error naming `what` and that reason; `undefined` to go on.
   */
  failIf?: () => string | undefined;
  /** Added to the timeout error, computed when it fires (the last value seen, the output so far). */
  detail?: () => string;
  /**
   * A probe that throws counts as "not yet" (a lake with no file of the table yet), and the last error is named in
   * the timeout error; by default an error of the probe ends the wait.
   */
  retryErrors?: boolean;
}

type Answer<T> = Exclude<Awaited<T>, false | undefined | null>;

const isAnswer = <T>(v: T): v is Answer<T> & T => v !== false && v !== undefined && v !== null;

/** Polls `probe` until it answers (see above); throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T, options: PollOptions = {}): Promise<Answer<T>> {
  const { timeoutMs = 30_000, everyMs = 50, failIf, detail, retryErrors = false } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (isAnswer(v)) return v as Answer<T>;
    } catch (e) {
      if (!retryErrors) throw e;
      lastError = e;
    }
    const reason = failIf?.();
    if (reason !== undefined) throw new Error(`stopped waiting for ${what}: ${reason}`);
    if (Date.now() > deadline) {
      const extra = [
        lastError === undefined ? '' : `last error: ${(lastError as Error).message ?? String(lastError)}`,
        detail?.() ?? '',
      ].filter((s) => s !== '');
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${extra.length ? `; ${extra.join('; ')}` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}

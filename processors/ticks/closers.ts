/**
 * What a processor run has opened, to close at its end or when its start fails half-way: the last opened first,
 * each in bounded time. A start that failed after the Kafka consumer was up used to leave the consumer thread and
 * the client sockets running, so the process printed its error and never exited; a close that hangs (a frozen MySQL
 * server never answering QUIT) must not hold the exit either.
 */
import type { Logger } from '../../core/log.js';

/** How long one close may take before it is given up on (and the next one runs). */
export const CLOSE_LIMIT_MS = 5000;

export class Closers {
  private readonly list: { name: string; close: () => unknown }[] = [];
  private closed = false;

  constructor(private readonly log: Logger) {}

  add(name: string, close: () => unknown): void {
    this.list.push({ name, close });
  }

  /** Closes everything added, last first; failures and timeouts are logged, never thrown. Runs once. */
  async closeAll(limitMs = CLOSE_LIMIT_MS): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { name, close } of this.list.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), limitMs);
      });
      try {
        const r = await Promise.race([Promise.resolve().then(close), limit]);
        if (r === 'timeout') this.log.warn({ what: name, limitMs }, 'gave up waiting for a close');
      } catch (e) {
        this.log.warn({ what: name, err: (e as Error).message }, 'close failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

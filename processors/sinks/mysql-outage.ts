/**
 * How delivery lives with a MySQL that comes and goes: a retriable failure (TL_MYSQL_UNAVAILABLE) is logged once per
 * outage and retried after a growing backoff (0.2 s doubling to 10 s) while the lake and Kafka keep being delivered;
 * the first success after an outage says how long it lasted. Used by the outbox deliveries of both engines
 * (outbox-delivery.ts).
 */
import { isTicklakeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

export class MysqlOutage {
  private backoffMs = 0;
  private retryAt = 0;
  private downSince: number | undefined;
  /** Failed attempts so far (a stat). */
  failures = 0;

  constructor(
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** Whether to try now: not while backing off, unless forced. */
  mayTry(force = false): boolean {
    return force || this.clock() >= this.retryAt;
  }

  /** A failed attempt: rethrows what is not an outage; else backs off and says so once per outage. */
  failed(e: unknown): void {
    if (!isTicklakeError(e) || !e.retriable) throw e;
    this.failures++;
    this.backoffMs = Math.min(10_000, Math.max(200, this.backoffMs * 2));
    this.retryAt = this.clock() + this.backoffMs;
    if (this.downSince === undefined) {
      this.downSince = this.clock();
      this.log.warn({ err: e.message }, 'MySQL unavailable: lake delivery goes on, MySQL rows wait and retry');
    }
  }

  /** A successful attempt: ends an outage. */
  succeeded(): void {
    if (this.downSince !== undefined) this.log.info({ downMs: this.clock() - this.downSince }, 'MySQL back: caught up');
    this.downSince = undefined;
    this.backoffMs = 0;
    this.retryAt = 0;
  }
}

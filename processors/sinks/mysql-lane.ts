/**
 * MySQL delivered in the background (docs/processor.md, "Delivery"): the processor's loop delivers the lake and
 * Kafka itself and only kicks this lane, so that a slow or frozen MySQL (each call bounded by --mysql-timeout) never
 * holds them up. One delivery at a time; an outage is retried inside `Delivery.deliverMysql` with backoff, and any
 * other failure is kept for the loop to raise (`check`).
 */
import type { Delivery } from './delivery.js';

export class MysqlLane {
  private running: Promise<void> = Promise.resolve();
  private busy = false;
  private failure: unknown;

  constructor(private readonly delivery: Delivery) {}

  /** Starts a MySQL delivery unless one runs. */
  kick(): void {
    if (this.busy) return;
    this.busy = true;
    this.running = this.delivery
      .deliverMysql()
      .then(
        () => undefined,
        (e: unknown) => {
          this.failure ??= e;
        },
      )
      .finally(() => {
        this.busy = false;
      });
  }

  /** Resolves when no delivery of the lane runs (never rejects: see `check`). */
  settled(): Promise<void> {
    return this.running;
  }

  /** Throws what a delivery of the lane failed with (not an outage: those are retried). */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

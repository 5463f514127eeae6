/**
 * The broker's budget for request bytes held in memory across all connections (Kafka's
 * queued.max.request.bytes and its memory pool). A connection reserves a frame's whole size as soon as it has
 * read the frame's length, before buffering its body, and gives it back once the request has been handled.
 * When the budget is used up, the connection stops reading (its socket is paused, the rest stays in the
 * kernel's buffers) and waits in line; reservations are granted first come, first served, so a large frame
 * is not starved by small ones. The budget is at least one largest frame, so every frame can be admitted.
 */

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class MemoryPool {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  /** Highest `used` seen, for tests and logs. */
  peak = 0;

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Reserves at once if the bytes fit and nobody waits ahead; false otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || this.used + bytes > this.capacity) return false;
    this.take(bytes);
    return true;
  }

  /** Queues a reservation; `grant` is called once it is made. Returns a cancel function. */
  reserveLater(bytes: number, grant: () => void): () => void {
    const w: Waiter = { bytes, grant };
    this.waiters.push(w);
    return () => {
      const i = this.waiters.indexOf(w);
      if (i >= 0) {
        this.waiters.splice(i, 1);
        this.grantWaiters();
      }
    };
  }

  release(bytes: number): void {
    this.used -= bytes;
    this.grantWaiters();
  }

  private take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }

  private grantWaiters(): void {
    while (this.waiters.length > 0 && this.used + this.waiters[0].bytes <= this.capacity) {
      const w = this.waiters.shift()!;
      this.take(w.bytes);
      w.grant();
    }
  }
}

/**
 * Ticks/s of the health strip (api/live/health.ts): the processor counts ticks once per batch (every 2 s) while the
 * dashboard samples every second; a rate between two samples alternates between 0 and twice the real rate (the
 * tile flickered 0 and ~200 ticks/s at 100 ticks/s). Averaged over 10 s (RATE_WINDOW_MS) it is steady.
 */
import { describe, expect, it } from 'vitest';
import { HealthTracker } from '../health.js';

const lake = { newestTick: null, rejected: 0, newestBarEnd: null };

describe('HealthTracker ticks/s', () => {
  it('is the real rate once the window is full, with batches every 2 s and samples every 1 s', async () => {
    let now = 0;
    let ticks = 0;
    const tracker = new HealthTracker(
      () => ({ ticks }),
      () => now,
    );
    const rates: (number | null)[] = [];
    for (let s = 0; s <= 40; s++) {
      now = s * 1000;
      if (s > 0 && s % 2 === 0) ticks += 200; // a batch of 200 ticks every 2 s: 100 ticks/s
      rates.push((await tracker.sample(lake, null)).ticksPerSecond);
    }
    expect(rates[0]).toBeNull();
    // once 10 s of samples are in, every reading is within one batch / 10 s of the true 100 ticks/s
    for (const r of rates.slice(11)) {
      expect(r).toBeGreaterThanOrEqual(100 - 200 / 10);
      expect(r).toBeLessThanOrEqual(100 + 200 / 10);
    }
  });

  it('starts over when the count goes back (a restarted processor)', async () => {
    let now = 0;
    let ticks = 5000;
    const tracker = new HealthTracker(
      () => ({ ticks }),
      () => now,
    );
    await tracker.sample(lake, null);
    now = 1000;
    ticks = 100;
    expect((await tracker.sample(lake, null)).ticksPerSecond).toBeNull();
    now = 2000;
    ticks = 300;
    expect((await tracker.sample(lake, null)).ticksPerSecond).toBe(200);
  });

  it('takes the late count from the pipeline, else from the lake', async () => {
    const withProvider = new HealthTracker(() => ({ ticks: 1, late: 4 }));
    expect((await withProvider.sample({ ...lake, late: 9 }, null)).late).toBe(4);
    const lakeOnly = new HealthTracker(undefined);
    expect((await lakeOnly.sample({ ...lake, late: 9 }, null)).late).toBe(9);
  });
});

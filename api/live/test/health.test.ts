/**
 * Ticks/s of the health strip (api/live/health.ts): the processor counts ticks once per batch (every 2 s) while the
 * dashboard samples every second; a rate between two samples alternates between 0 and twice the real rate (the
 * tile flickered 0 and ~200 ticks/s at 100 ticks/s). Over the batch steps of 20 s (RATE_WINDOW_MS) it is steady.
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
    // no rate until the samples span 4 s; from then on every reading is the true 100 ticks/s (a two-sample rate
    // alternates 0 and 200, a fixed 10 s window 80 and 100)
    expect(rates.slice(0, 4)).toEqual([null, null, null, null]);
    expect(rates.slice(4)).toEqual(rates.slice(4).map(() => 100));
  });

  it('follows a batch interval that is not a multiple of the sampling, within 5 %', async () => {
    let now = 0;
    const tracker = new HealthTracker(
      () => ({ ticks: 205 * Math.floor(now / 2050) }), // 205 ticks every 2.05 s: 100 ticks/s
      () => now,
    );
    const rates: number[] = [];
    for (let s = 0; s <= 60; s++) {
      now = s * 1000;
      const r = (await tracker.sample(lake, null)).ticksPerSecond;
      if (s >= 22 && r !== null) rates.push(r);
    }
    expect(rates.length).toBe(39);
    for (const r of rates) {
      expect(r).toBeGreaterThan(95);
      expect(r).toBeLessThan(105);
    }
  });

  it('is within one batch over the span when samples are rarer than batches (a busy machine)', async () => {
    let now = 0;
    const tracker = new HealthTracker(
      () => ({ ticks: 100 * Math.floor(now / 500) }), // 100 ticks every 500 ms: 200 ticks/s
      () => now,
    );
    // samples 1.1 to 2.3 s apart, as a slowed poller takes them
    const gaps = [1100, 2300, 1300, 2100, 1700, 1200, 2200, 1500];
    for (let i = 0; i < 40; i++) {
      now += gaps[i % gaps.length];
      const r = (await tracker.sample(lake, null)).ticksPerSecond;
      if (r === null) continue;
      const span = Math.min(now, 20_000 + 2300);
      expect(Math.abs(r - 200)).toBeLessThanOrEqual((100 * 1000) / (span - 2300) + 1e-9);
    }
  });

  it('falls to 0 when the ticks stop', async () => {
    let now = 0;
    let ticks = 0;
    const tracker = new HealthTracker(
      () => ({ ticks }),
      () => now,
    );
    let r: number | null = null;
    for (let s = 0; s <= 40; s++) {
      now = s * 1000;
      if (s > 0 && s <= 10 && s % 2 === 0) ticks += 200; // batches until 10 s, then nothing
      r = (await tracker.sample(lake, null)).ticksPerSecond;
      if (s === 10) expect(r).toBe(100);
    }
    expect(r).toBe(0);
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
    now = 5000; // 4 s after the restart, 800 ticks more
    ticks = 900;
    expect((await tracker.sample(lake, null)).ticksPerSecond).toBe(200);
  });

  it('takes the late count from the pipeline, else from the lake', async () => {
    const withProvider = new HealthTracker(() => ({ ticks: 1, late: 4 }));
    expect((await withProvider.sample({ ...lake, late: 9 }, null)).late).toBe(4);
    const lakeOnly = new HealthTracker(undefined);
    expect((await lakeOnly.sample({ ...lake, late: 9 }, null)).late).toBe(9);
  });
});

/**
 * The bounds of a counted tick (tick-guard.ts), at their edges, with the expected values worked out by hand:
 * inclusive price bounds, the size bound, the ceiling of the largest window (9999-12-31T00:00Z for 1d: that day's
 * window would end in year 10000), and the lead over min(Kafka timestamp, clock).
 */
import { describe, expect, it } from 'vitest';
import { parseWindows } from '../../time/windows.js';
import { Breach, TickGuard } from '../tick-guard.js';

const NOW = Date.UTC(2026, 11, 4, 12);
const H = 3_600_000;

describe('TickGuard', () => {
  const g = new TickGuard(parseWindows('1m,1d'), { minPrice: 0.01, maxPrice: 1000, maxSize: 500, maxAheadMs: H });

  it('takes prices and sizes at the bounds, refuses them beyond', () => {
    const at = (price: number, size: number) => g.check(NOW, price, size, NOW, NOW);
    expect([at(0.01, 1), at(1000, 500), at(0.0099, 1), at(1000.0001, 1), at(5e-324, 1), at(1e308, 1)]).toEqual([
      Breach.None,
      Breach.None,
      Breach.Price,
      Breach.Price,
      Breach.Price,
      Breach.Price,
    ]);
    expect([at(1, 501), at(Number.NaN, 1)]).toEqual([Breach.Size, Breach.Price]);
    expect(g.reason(Breach.Size, NOW, 1, 501, NOW, NOW)).toBe('size: 501 is above 500 (--max-size)');
  });

  it('ends event time where the last largest window that ends in year 9999 ends', () => {
    expect(g.ceiling).toBe(Date.UTC(9999, 11, 31));
    expect(new TickGuard(parseWindows('1m')).ceiling).toBe(Date.UTC(9999, 11, 31, 23, 59));
    const far = new TickGuard(parseWindows('1d'), { maxAheadMs: 0 }); // no lead bound: only the ceiling
    expect(far.check(Date.UTC(9999, 11, 30, 23, 59, 59, 999), 1, 1, NOW, NOW)).toBe(Breach.None);
    expect(far.check(Date.UTC(9999, 11, 31), 1, 1, NOW, NOW)).toBe(Breach.Ceiling);
  });

  it('measures the lead from the Kafka timestamp, or from the clock when that is earlier or unknown', () => {
    const kafka = NOW - 2 * H; // the producer stamped it two hours ago (a topic read again later)
    expect(g.check(kafka + H, 1, 1, kafka, NOW)).toBe(Breach.None);
    expect(g.check(kafka + H + 1, 1, 1, kafka, NOW)).toBe(Breach.Ahead);
    // a Kafka timestamp in the future does not widen the bound; none (NaN, -1) means the clock
    for (const ts of [NOW + 5 * H, Number.NaN, -1]) {
      expect([g.check(NOW + H, 1, 1, ts, NOW), g.check(NOW + H + 1, 1, 1, ts, NOW)]).toEqual([
        Breach.None,
        Breach.Ahead,
      ]);
    }
    expect(g.reason(Breach.Ahead, kafka + 2 * H, 1, 1, kafka, NOW)).toBe(
      `ts: 2026-12-04T12:00:00.000Z is 7200000 ms ahead of the Kafka timestamp 2026-12-04T10:00:00.000Z; at most 3600000 ms allowed (--max-ahead)`,
    );
  });

  it('refuses settings outside the hard limits, naming the setting', () => {
    const w = parseWindows('1m');
    expect(() => new TickGuard(w, { minPrice: 0 })).toThrow(/--min-price/);
    expect(() => new TickGuard(w, { maxPrice: 1e101 })).toThrow(/--max-price: 1e\+101 \(must be at most 1e\+100\)/);
    expect(() => new TickGuard(w, { minPrice: 5, maxPrice: 5 })).toThrow(/--max-price.*above --min-price/);
    expect(() => new TickGuard(w, { maxSize: 0 })).toThrow(/--max-size/);
    expect(() => new TickGuard(w, { maxSize: 1e16 })).toThrow(/--max-size/);
  });
});

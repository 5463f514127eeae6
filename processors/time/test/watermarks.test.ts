/**
 * The event-time rules on hand-drawn timelines, no DuckDB. Every expected value below is worked out by hand from the
 * definitions in processors/time/watermarks.ts (watermark = max event time − lateness, never backwards; an event is
 * late for a window when that window ended at the watermark just before the event).
 */
import { describe, expect, it } from 'vitest';
import { LatenessRules, minWatermark, NO_WATERMARK, noEventTime } from '../watermarks.js';
import { parseWindows } from '../windows.js';

const E = Date.UTC(2026, 0, 1); // 2026-01-01 00:00:00 UTC
const s = (sec: number) => E + sec * 1000;
const [m1] = parseWindows('1m');

describe('LatenessRules on one partition', () => {
  it('decides lateness against the watermark just before each event, whatever the batch cut', () => {
    // lateness 5 s, 1m windows. Events (in offset order): 10s, 70s, 30s, 64s, 66s, 59s
    //   10s: met −∞            → on time        maxTs 10
    //   70s: met 5s            → on time        maxTs 70
    //   30s: met 65s; [0,60) ended at 60 ≤ 65 → LATE
    //   64s: met 65s; [60,120) open            → on time
    //   66s: met 65s                           → on time
    //   59s: met 65s; [0,60) ended             → LATE
    const events = [10, 70, 30, 64, 66, 59].map(s);
    const expected = [false, false, true, false, false, true];
    const rules = new LatenessRules(5000);
    for (const cut of [1, 2, 3, 6]) {
      const t = noEventTime();
      const late: boolean[] = [];
      for (let i = 0; i < events.length; i++) {
        late.push(rules.isLate(events[i], m1, rules.observe(t, events[i])));
        if ((i + 1) % cut === 0) rules.advance(t, 0); // batch boundary
      }
      rules.advance(t, 0);
      expect(late, `batches of ${cut}`).toEqual(expected);
      expect(t).toEqual({ maxTs: s(70), watermark: s(65) });
    }
  });

  it('never moves the watermark backwards', () => {
    const rules = new LatenessRules(2000);
    const t = noEventTime();
    expect(rules.met(t)).toBe(NO_WATERMARK);
    rules.observe(t, s(100));
    rules.advance(t, 3);
    expect(t.watermark).toBe(s(98));
    rules.observe(t, s(50)); // an old event does not pull it back
    rules.advance(t, 3);
    expect(t.watermark).toBe(s(98));
    const broken = { maxTs: s(10), watermark: s(98) }; // a state whose maxTs was lowered by a bug
    rules.advance(broken, 3);
    expect(broken.watermark).toBe(s(98)); // max(previous, …) keeps it
    expect(() => new LatenessRules(-1)).toThrow(/non-negative/);
  });

  it('a window closes exactly when the watermark reaches its end (start included, end excluded)', () => {
    const rules = new LatenessRules(0);
    // an event at 60.000s falls in [60,120); an event at 59.999s in [0,60)
    expect(rules.isLate(s(59.999), m1, s(60))).toBe(true);
    expect(rules.isLate(s(60), m1, s(60))).toBe(false);
    expect(rules.isLate(s(59.999), m1, s(59.999))).toBe(false);
  });

  it('flushTarget passes every window an event may still hold open', () => {
    const rules = new LatenessRules(5000);
    const [w1m, w1h] = parseWindows('1m,1h');
    // partition A: maxTs 00:01:10 → its 1m window ends 00:02:00, its 1h window 01:00:00
    // partition B: watermark 00:00:30, nothing newer
    const a = { maxTs: s(70), watermark: s(65) };
    const b = { maxTs: s(35), watermark: s(30) };
    expect(rules.flushTarget([a, b], [w1m])).toBe(s(120));
    expect(rules.flushTarget([a, b], [w1m, w1h])).toBe(s(3600));
    expect(rules.flushTarget([noEventTime()], [w1m])).toBe(NO_WATERMARK);
  });
});

describe('minWatermark across partitions', () => {
  it('waits for every partition unless it is idle', () => {
    const wms = new Map([
      [0, s(10)],
      [2, s(30)],
    ]);
    expect(minWatermark(wms, 3)).toBe(Number.NEGATIVE_INFINITY); // partition 1 never seen
    expect(minWatermark(wms, 3, new Set([1]))).toBe(s(10));
    expect(minWatermark(wms, 3, new Set([0, 1]))).toBe(s(30));
    // all idle (the stream paused): the minimum over those that have a watermark
    expect(minWatermark(wms, 3, new Set([0, 1, 2]))).toBe(s(10));
    expect(minWatermark(new Map(), 0)).toBe(Number.NEGATIVE_INFINITY);
  });
});

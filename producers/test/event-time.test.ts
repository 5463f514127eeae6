import { describe, expect, it } from 'vitest';
import { parseEventTime, todayUtc } from '../event-time.js';

describe('parseEventTime', () => {
  // 2026-01-05T09:30:00Z = 1767605400 s (20458 days · 86400 + 9.5 h · 3600)
  const T = 20458 * 86400 + 9.5 * 3600;
  it.each([
    ['2026-01-05T09:30:00Z', T * 1000],
    ['2026-01-05T09:30:00.250Z', T * 1000 + 250],
    ['2026-01-05 09:30:00', T * 1000],
    ['2026-01-05T09:30', T * 1000],
    ['2026-01-05T10:30:00+01:00', T * 1000],
    ['2026-01-05T04:30:00-0500', T * 1000],
    ['2026-01-05 09:30:00+00', T * 1000],
    ['2026-01-05', 20458 * 86400 * 1000],
    [String(T), T * 1000],
    [`${T}.5`, T * 1000 + 500],
    [String(T * 1000 + 7), T * 1000 + 7],
    [String((T * 1000 + 7) * 1000), T * 1000 + 7],
    [`${T * 1000 + 7}000000`, T * 1000 + 7],
  ])('%s', (text, ms) => {
    expect(parseEventTime(text)).toBe(ms);
  });

  it.each(['', 'yesterday', '2026-13-01', '2026-02-30', '2026-01-05T25:00:00Z', '-5', '12:30'])(
    'rejects %j',
    (text) => {
      expect(parseEventTime(text)).toBeNull();
    },
  );

  it('todayUtc is midnight UTC of the given instant', () => {
    expect(todayUtc(T * 1000 + 1234)).toBe(20458 * 86400 * 1000);
  });
});

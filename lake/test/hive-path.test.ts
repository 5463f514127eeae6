import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../core/errors.js';
import { hivePath, parseHivePath, utcDate } from '../hive-path.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isTicklakeError(e) ? `${e.code}: ${e.message}` : `other: ${(e as Error).message}`;
  }
  return undefined;
}

describe('hivePath', () => {
  it('puts the partition columns in the order of lake/tables.ts, whatever the object order', () => {
    expect(hivePath('/lake', 'bars', { date: '2026-01-01', window: '1m' })).toBe(
      join('/lake', 'bars', 'window=1m', 'date=2026-01-01'),
    );
    expect(hivePath('/lake', 'ticks', { date: '2026-03-31' })).toBe(join('/lake', 'ticks', 'date=2026-03-31'));
  });

  it.each([
    ['a slash', 'bars', { window: '1m/x', date: '2026-01-01' }, 'path separator'],
    ['..', 'bars', { window: '..', date: '2026-01-01' }, '".."'],
    ['a leading dot', 'bars', { window: '.x', date: '2026-01-01' }, 'starts with "."'],
    ['an equals sign', 'bars', { window: 'a=b', date: '2026-01-01' }, 'contains "="'],
    ['an empty value', 'ticks', { date: '' }, 'is empty'],
    ['a non-date', 'ticks', { date: '2026-13-01' }, 'not a date'],
    ['a missing column', 'bars', { date: '2026-01-01' }, 'must be exactly {window, date}'],
    ['an extra column', 'ticks', { date: '2026-01-01', window: '1m' }, 'must be exactly {date}'],
    ['an unknown table', 'nope', { date: '2026-01-01' }, 'unknown lake table'],
  ])('rejects %s with TL_LAKE_WRITE', (_what, table, partition, reason) => {
    const msg = codeOf(() => hivePath('/lake', table, partition as Record<string, string>));
    expect(msg).toMatch(/^TL_LAKE_WRITE: Could not write lake file \/lake\//);
    expect(msg).toContain(reason);
  });

  it('parseHivePath reads the values back; utcDate is the UTC calendar date', () => {
    expect(parseHivePath('window=1m/date=2026-01-01')).toEqual({ window: '1m', date: '2026-01-01' });
    // 2026-01-01T23:59:59.999Z and 2026-01-02T00:00:00Z straddle midnight UTC.
    expect(utcDate(Date.UTC(2026, 0, 1, 23, 59, 59, 999))).toBe('2026-01-01');
    expect(utcDate(Date.UTC(2026, 0, 2))).toBe('2026-01-02');
  });
});

/**
 * Window specs and event-time arithmetic. Windows are tumbling, aligned to the Unix epoch (so `1d` windows are UTC
 * days), include their start and exclude their end: `[start, start + size)`.
 */
import { parseDuration } from '../core/config.js';
import { tlError } from '../core/errors.js';

export interface WindowSpec {
  /** Label as the user wrote it and as stored in the `window` column: `1m`, `1d`, `15s`. */
  label: string;
  /** Size in milliseconds. */
  ms: number;
}

/** Parses `1m,1d` (or a list). Labels must be distinct durations of at least one second that divide a day. */
export function parseWindows(spec: string | string[]): WindowSpec[] {
  const labels = (Array.isArray(spec) ? spec : spec.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
  if (labels.length === 0) {
    throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--windows', value: '""', reason: 'at least one window' });
  }
  const out: WindowSpec[] = [];
  for (const label of labels) {
    const bad = (reason: string) =>
      tlError('TL_CONFIG_BAD_VALUE', { setting: '--windows', value: JSON.stringify(label), reason });
    if (!/^\d+(ms|s|m|h|d)$/.test(label)) throw bad('expected a duration such as 1m, 15m, 1h or 1d');
    const ms = parseDuration(label);
    if (ms < 1000) throw bad('a window is at least 1s');
    if (ms > 86_400_000 ? ms % 86_400_000 !== 0 : 86_400_000 % ms !== 0) {
      throw bad('a window must divide a day (or be whole days) so that windows align to UTC midnight');
    }
    if (out.some((w) => w.ms === ms)) throw bad('listed twice');
    out.push({ label, ms });
  }
  return out.sort((a, b) => a.ms - b.ms);
}

export function windowStart(tsMs: number, sizeMs: number): number {
  return tsMs - (tsMs % sizeMs);
}

/** Watermark after seeing `maxTs`: never below the previous one (asserted by the caller's bookkeeping). */
export function nextWatermark(previous: number, maxTs: number, latenessMs: number): number {
  return Math.max(previous, maxTs - latenessMs);
}

/**
 * Minimum watermark over partitions 0..count-1; a partition never seen holds everything back, unless it is `idle`
 * (declared idle by the processor: nothing left to read and no message for a while; docs/processor.md). Idle
 * partitions are left out while any partition is active; when all are idle (the stream paused), the minimum is over
 * those that have a watermark, so a partition that never had a tick still holds nothing back.
 */
export function minWatermark(
  watermarks: Map<number, number>,
  partitionCount: number,
  idle: ReadonlySet<number> = new Set(),
): number {
  let allIdle = partitionCount > 0;
  for (let p = 0; p < partitionCount; p++) if (!idle.has(p)) allIdle = false;
  let min = Number.POSITIVE_INFINITY;
  for (let p = 0; p < partitionCount; p++) {
    const w = watermarks.get(p);
    if (allIdle ? w === undefined : idle.has(p)) continue;
    if (w === undefined) return Number.NEGATIVE_INFINITY;
    min = Math.min(min, w);
  }
  return min === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : min;
}

/** Sentinel for "no watermark yet" inside SQL (BIGINT). */
export const NO_WATERMARK = -(2 ** 62);

/**
 * Window specs and event-time arithmetic. Windows are tumbling, aligned to the Unix epoch (so `1d` windows are UTC
 * days), include their start and exclude their end: `[start, start + size)`.
 */
import { parseDuration } from '../../core/config.js';
import { tlError } from '../../core/errors.js';

export interface WindowSpec {
  /** Label as the user wrote it and as stored in the `window` column: `1m`, `1d`, `15s`. */
  label: string;
  /** Size in milliseconds. */
  ms: number;
}

/**
 * The length in ms of a window label as --windows writes it and the `window` column stores it (`1500ms`, `10s`, `1m`,
 * `1h`, `1d`); null when the text is not such a label. The one reading of a label: the API's series, live-data
 * parameters and symbol lists use it too (api/live/series.ts); the dashboard's copy is api/public/js/lib/bars.js.
 */
export function windowLabelMs(label: string): number | null {
  return /^\d+(ms|s|m|h|d)$/.test(label) ? parseDuration(label) : null;
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
    const ms = windowLabelMs(label);
    if (ms === null) throw bad('expected a duration such as 1m, 15m, 1h or 1d');
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

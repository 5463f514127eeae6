/**
 * One reading of window labels: what --windows accepts (processors/time/windows.ts), the API's series and
 * parameters (api/live/series.ts) and the dashboard (api/public/js/lib/bars.js) give each label the same length.
 * The dashboard rejected `ms` labels that --windows accepts (issue 22's review); lengths written by hand.
 */
import { describe, expect, it } from 'vitest';
import { parseWindows } from '../../processors/time/windows.js';
import { windowMs } from '../live/series.js';
// @ts-expect-error the dashboard's modules are plain browser JavaScript, without types
import { windowMs as dashboardWindowMs } from '../public/js/lib/bars.js';

const LABELS: [string, number][] = [
  ['1500ms', 1_500],
  ['10s', 10_000],
  ['1m', 60_000],
  ['15m', 900_000],
  ['1h', 3_600_000],
  ['1d', 86_400_000],
];

describe('window labels', () => {
  it('--windows, the API and the dashboard read every label to the same length', () => {
    const parsed = parseWindows(LABELS.map(([l]) => l));
    for (const [label, ms] of LABELS) {
      expect(parsed.find((w) => w.label === label)?.ms).toBe(ms);
      expect(windowMs(label)).toBe(ms);
      expect(dashboardWindowMs(label)).toBe(ms);
    }
  });

  it('what is not a label: unknown to both readers', () => {
    for (const bad of ['5x', '1.5m', 'm', '', '1 m', '10S']) {
      expect(windowMs(bad)).toBe(Number.POSITIVE_INFINITY);
      expect(dashboardWindowMs(bad)).toBeNaN();
    }
  });
});

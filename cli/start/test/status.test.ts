/**
 * The status line of `ticklake start`: redrawn in place on a terminal, a plain line at most every 10 s otherwise;
 * ticks/s from successive samples of the produced count under an injected clock.
 */
import { describe, expect, it } from 'vitest';
import type { ProcessorStats } from '../../../processors/ticks/processor.js';
import { emptyProcessorStats } from '../../../processors/ticks/processor-stats.js';
import { StatusReporter, statusLine } from '../status.js';

const stats = (over: Partial<ProcessorStats> = {}): ProcessorStats => ({
  ...emptyProcessorStats(0),
  bars: 12,
  lakeFiles: 7,
  lag: 3,
  watermark: Date.UTC(2026, 0, 5, 9, 30, 0),
  ...over,
});

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s) > 0 };
}

describe('status line', () => {
  it('shows rate, lag, watermark and its delay, bars, lake files and MySQL', () => {
    const line = statusLine(
      { produced: 500, eventNow: Date.UTC(2026, 0, 5, 9, 30, 2, 500), processor: stats(), mysql: 'up' },
      101.4,
    );
    expect(line).toBe(
      '101 ticks/s  produced 500  lag 3  watermark 09:30:00Z (2.5s behind)  bars 12  lake files 7  mysql up',
    );
    expect(statusLine({ produced: 0, eventNow: 0, processor: stats({ watermark: null }), mysql: 'off' }, 0)).toContain(
      'watermark -  bars',
    );
  });

  it('redraws one line on a terminal, with ticks/s from the produced count', () => {
    let now = 1_000_000;
    const out = sink(true);
    const r = new StatusReporter(out, 10_000, () => now);
    const input = (produced: number) => ({ produced, eventNow: 0, processor: stats(), mysql: 'up' as const });
    r.update(input(100));
    now += 2000;
    r.update(input(300)); // 200 ticks in 2 s
    expect(out.writes).toHaveLength(2);
    expect(out.writes.every((w) => w.startsWith('\r\x1b[K') && !w.includes('\n'))).toBe(true);
    expect(out.writes[1]).toMatch(/^\r\x1b\[K100 ticks\/s {2}produced 300/);
    r.clear();
    expect(out.writes[2]).toBe('\r\x1b[K');
  });

  it('logs plain lines at most every 10 s when not a terminal', () => {
    let now = 0;
    const out = sink(false);
    const r = new StatusReporter(out, 10_000, () => now);
    for (let i = 0; i < 25; i++) {
      now = 10_000 + i * 1000; // one update a second for 25 s
      r.update({ produced: i * 100, eventNow: 0, processor: stats(), mysql: 'off' });
    }
    expect(out.writes).toHaveLength(3); // at 10 s, 20 s and 30 s
    expect(out.writes.every((w) => w.startsWith('status: ') && w.endsWith('\n'))).toBe(true);
    // 100 ticks a second, measured over the last 5 s
    expect(out.writes[2]).toMatch(/^status: 100 ticks\/s {2}produced 2000 /);
    r.clear();
    expect(out.writes).toHaveLength(3); // nothing to clear on a log
  });
});

import { describe, expect, it } from 'vitest';
import { Progress, rateText } from '../progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) > 0 } };
}

describe('progress lines', () => {
  it('on a TTY: a live line at most once per second of the injected clock, cleared before the summary', () => {
    let now = 0;
    const { writes, stream } = fakeStream(true);
    const p = new Progress('produce SE1', { stream, now: () => now });
    now = 1000;
    p.update(5000);
    now = 1500;
    p.update(7000); // within the same second: not drawn
    now = 2000;
    p.update(10_000, 'event time 2026-01-05T09:30:00.000Z');
    p.done('produce SE1: sent 10000 messages');
    expect(writes).toEqual([
      '\r\x1b[Kproduce SE1: 5000 messages, 5000 msg/s',
      '\r\x1b[Kproduce SE1: 10000 messages, 5000 msg/s, event time 2026-01-05T09:30:00.000Z',
      '\r\x1b[K',
      'produce SE1: sent 10000 messages\n',
    ]);
  });

  it('not a TTY: no live line, only the summary', () => {
    let now = 0;
    const { writes, stream } = fakeStream(false);
    const p = new Progress('replay', { stream, now: () => now });
    now = 5000;
    p.update(100);
    p.done('replay: done');
    expect(writes).toEqual(['replay: done\n']);
  });

  it('rateText', () => {
    expect(rateText(12_345, 2.5)).toBe('12345 messages in 2.5 s (4938 msg/s)');
    expect(rateText(0, 0)).toBe('0 messages in 0.0 s (0 msg/s)');
  });
});

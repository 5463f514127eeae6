/**
 * supervise(): what `ticklake start` restarts (bank.test.ts shows it through a real MariaDB crash) and what it
 * lets end start.
 */
import { describe, expect, it } from 'vitest';
import { tlError } from '../../../core/errors.js';
import { logger } from '../../../core/log.js';
import { supervise } from '../supervise.js';

const log = logger('test');

describe('supervise', () => {
  it('restarts a failed run after a doubling wait until one returns', async () => {
    const starts: number[] = [];
    const restarted: string[] = [];
    await supervise(
      'w',
      async () => {
        starts.push(Date.now());
        if (starts.length <= 3) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      },
      {
        signal: new AbortController().signal,
        log,
        firstDelayMs: 40,
        onRestart: (name, e) => restarted.push(`${name}: ${(e as Error).message}`),
      },
    );
    expect(starts).toHaveLength(4);
    expect(restarted).toEqual(Array(3).fill('w: read ECONNRESET'));
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    // 40, 80, 160 ms (timers fire no earlier than asked)
    expect(gaps[0]).toBeGreaterThanOrEqual(39);
    expect(gaps[1]).toBeGreaterThanOrEqual(79);
    expect(gaps[2]).toBeGreaterThanOrEqual(159);
  });

  it('ends on a ticklake error that is not retriable, and retries one that is', async () => {
    let n = 0;
    const run = async () => {
      n++;
      if (n === 1) throw tlError('TL_MYSQL_UNAVAILABLE', { target: 'x', reason: 'down' });
      throw tlError('TL_CDC_OFFSETS', { file: 'f', reason: 'another server' });
    };
    await expect(supervise('w', run, { signal: new AbortController().signal, log, firstDelayMs: 1 })).rejects.toThrow(
      /Offsets file f cannot be used/,
    );
    expect(n).toBe(2);
  });

  it('stops waiting to restart when stopped', async () => {
    const stop = new AbortController();
    const began = Date.now();
    const done = supervise(
      'w',
      async () => {
        throw new Error('boom');
      },
      { signal: stop.signal, log, firstDelayMs: 60_000 },
    );
    setTimeout(() => stop.abort(), 50);
    await done;
    expect(Date.now() - began).toBeLessThan(30_000);
  });
});

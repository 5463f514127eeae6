/**
 * `runToEnd`, the end of every processor's run: `finish` runs once after the loop whether it returned or threw, the
 * loop's error is what `done` rejects with, `finish`'s own error surfaces when the loop succeeded, and `close()` stops
 * the loop and waits for the finished run. The loops here are small real async functions; the expected event orders
 * are written by hand.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runToEnd } from '../run-to-end.js';

describe('runToEnd', () => {
  it('runs finish once after a loop that returns and resolves with what finish returns', async () => {
    const events: string[] = [];
    const run = runToEnd<{ finishedAt: number | null }>({
      loop: async () => {
        await sleep(5);
        events.push('loop returned');
      },
      finish: async () => {
        events.push('finish');
        return { finishedAt: 42 };
      },
      stop: () => events.push('stop'),
      stats: () => ({ finishedAt: null }),
    });
    await expect(run.done).resolves.toEqual({ finishedAt: 42 });
    expect(events).toEqual(['loop returned', 'finish']);
  });

  it('runs finish after a failing loop and rejects with the loop error, not the error of finish', async () => {
    const events: string[] = [];
    const run = runToEnd({
      loop: async () => {
        await sleep(5);
        events.push('loop threw');
        throw new Error('disk full');
      },
      finish: async () => {
        events.push('finish');
        throw new Error('state already closed');
      },
      stop: () => {},
      stats: () => 0,
    });
    await expect(run.done).rejects.toThrow('disk full');
    expect(events).toEqual(['loop threw', 'finish']);
  });

  it('waits for finish before rejecting with the loop error', async () => {
    let closed = false;
    const run = runToEnd({
      loop: async () => {
        throw new Error('broker gone');
      },
      finish: async () => {
        await sleep(20);
        closed = true;
        return 0;
      },
      stop: () => {},
      stats: () => 0,
    });
    await expect(run.done).rejects.toThrow('broker gone');
    expect(closed).toBe(true);
  });

  it('rejects with the error of finish when the loop succeeded', async () => {
    let finishes = 0;
    const run = runToEnd({
      loop: async () => {},
      finish: async () => {
        finishes++;
        throw new Error('checkpoint failed');
      },
      stop: () => {},
      stats: () => 0,
    });
    await expect(run.done).rejects.toThrow('checkpoint failed');
    expect(finishes).toBe(1);
  });

  it('close() stops the loop at its next check and returns the finished stats; finish runs once for two closes', async () => {
    let stopping = false;
    let rounds = 0;
    let finishes = 0;
    const run = runToEnd({
      loop: async () => {
        while (!stopping) {
          rounds++;
          await sleep(2);
        }
      },
      finish: async () => {
        finishes++;
        return { rounds, final: true };
      },
      stop: () => {
        stopping = true;
      },
      stats: () => ({ rounds, final: false }),
    });
    await sleep(20);
    expect(run.stats().final).toBe(false);
    const [a, b] = await Promise.all([run.close(), run.close()]);
    expect(a.final).toBe(true);
    expect(b).toBe(a);
    expect(await run.done).toBe(a);
    expect(finishes).toBe(1);
    expect(a.rounds).toBeGreaterThan(0);
  });

  it('close() after a failed run rejects with the loop error', async () => {
    const run = runToEnd({
      loop: async () => {
        throw new Error('fenced');
      },
      finish: async () => 0,
      stop: () => {},
      stats: () => 0,
    });
    await expect(run.done).rejects.toThrow('fenced');
    await expect(run.close()).rejects.toThrow('fenced');
  });
});

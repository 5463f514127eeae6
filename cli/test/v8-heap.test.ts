/**
 * cli/v8-heap.js: every ticklake process collects its old generation when it reaches 1.3 times what survived the
 * last full collection, instead of V8's ~3 times, so a process that promotes short-lived objects keeps its heap near
 * what is live. Measured in a fresh process that holds ~40 MiB live and promotes garbage (arrays kept across several
 * scavenges, then dropped), with the module imported as bin.js imports it, against the same process with V8's own
 * factor (TICKLAKE_HEAP_GROWING_PERCENT=0).
 */
import { describe, expect, it } from 'vitest';
import { runFresh } from '../../test/helpers/fresh-process.js';

const WORKLOAD = `await import('./cli/v8-heap.js');
  const live = Array.from({ length: 40 }, () => new Array(128 * 1024).fill(1.5)); // ~40 MiB that stays
  const ring = [];
  let peak = 0;
  for (let i = 0; i < 4000; i++) {
    ring.push(Array.from({ length: 2000 }, (_, j) => ({ i, j }))); // survives a few scavenges, then is garbage
    if (ring.length > 200) ring.shift();
    if (i % 50 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
  }
  console.log(JSON.stringify({ peak, live: live.length }));`;

async function peakHeap(percent: string): Promise<number> {
  const run = await runFresh(WORKLOAD, { ...process.env, TICKLAKE_HEAP_GROWING_PERCENT: percent });
  expect(run.exit, run.err).toBe(0);
  return JSON.parse(run.out.trim().split('\n').at(-1) as string).peak;
}

describe('cli/v8-heap.js', () => {
  it("keeps the heap near what is live where V8's own growing factor lets it reach several times that", async () => {
    const tuned = await peakHeap('30');
    const own = await peakHeap('0');
    const MiB = 1024 * 1024;
    expect(
      tuned,
      `peak heap ${(tuned / MiB).toFixed(0)} MiB tuned, ${(own / MiB).toFixed(0)} MiB with V8's factor`,
    ).toBeLessThan(own * 0.8);
  }, 60_000);

  it('refuses a TICKLAKE_HEAP_GROWING_PERCENT that is not a whole number, naming it', async () => {
    const run = await runFresh("await import('./cli/v8-heap.js');", {
      ...process.env,
      TICKLAKE_HEAP_GROWING_PERCENT: '1.5x',
    });
    expect(run.exit).toBe(2);
    expect(run.err).toContain('TICKLAKE_HEAP_GROWING_PERCENT=1.5x: expected a whole number of percent');
  });
});

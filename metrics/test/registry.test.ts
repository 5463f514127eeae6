/**
 * MetricsRegistry.oncePerScrape: a read shared by several metrics runs once per render(), afresh at the next, once
 * per render when two overlap, and on every call outside a render. Expected counts written by hand.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../registry.js';

function twoGaugesOverOneRead(): { m: MetricsRegistry; reads: () => number; read: () => Promise<number> } {
  const m = new MetricsRegistry({ processMetrics: false });
  let n = 0;
  const read = m.oncePerScrape(async () => {
    n++;
    await sleep(5);
    return n;
  });
  m.gaugeFrom('test_a', 'a', [], async () => [[{}, await read()]]);
  m.gaugeFrom('test_b', 'b', [], async () => [[{}, (await read()) * 10]]);
  return { m, reads: () => n, read };
}

describe('MetricsRegistry.oncePerScrape', () => {
  it('reads once per render, and both metrics show that one reading', async () => {
    const { m, reads } = twoGaugesOverOneRead();
    const first = await m.render();
    expect(reads()).toBe(1);
    expect(first).toMatch(/^test_a 1$/m);
    expect(first).toMatch(/^test_b 10$/m);
    const second = await m.render();
    expect(reads()).toBe(2);
    expect(second).toMatch(/^test_a 2$/m);
    expect(second).toMatch(/^test_b 20$/m);
  });

  it('two overlapping renders read once each', async () => {
    const { m, reads } = twoGaugesOverOneRead();
    await Promise.all([m.render(), m.render()]);
    expect(reads()).toBe(2);
  });

  it('reads on every call outside a render', async () => {
    const { reads, read } = twoGaugesOverOneRead();
    await read();
    await read();
    expect(reads()).toBe(2);
  });
});

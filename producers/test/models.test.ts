import { describe, expect, it } from 'vitest';
import { SymbolModel } from '../models.js';
import { moments, spec } from './fixtures.js';

/** Log returns of `n` steps of `dt` years of one model. */
function logReturns(model: SymbolModel, n: number, dt: number): Float64Array {
  const out = new Float64Array(n);
  let prev = model.logPrice;
  for (let i = 0; i < n; i++) {
    model.advance(dt);
    out[i] = model.logPrice - prev;
    prev = model.logPrice;
  }
  return out;
}

describe('GBM', () => {
  const cases = [
    { name: 'strong drift', mu: 0.5, sigma: 0.2, dt: 1 },
    { name: 'an equity day', mu: 0.07, sigma: 0.25, dt: 1 / 252 },
    { name: 'a crypto second', mu: 0.15, sigma: 0.6, dt: 1 / 31_557_600 },
  ];
  for (const c of cases) {
    it(`log returns have mean (mu - sigma²/2)dt and variance sigma²dt (${c.name})`, () => {
      const n = 100_000;
      const r = moments(logReturns(new SymbolModel(spec({ model: 'gbm', mu: c.mu, sigma: c.sigma }), 11), n, c.dt));
      const mean = (c.mu - (c.sigma * c.sigma) / 2) * c.dt;
      const variance = c.sigma * c.sigma * c.dt;
      // mean within 4 standard errors; sample variance ~ variance·chi2(n-1)/(n-1), sd variance·sqrt(2/(n-1))
      expect(Math.abs(r.mean - mean)).toBeLessThan(4 * Math.sqrt(variance / n));
      expect(Math.abs(r.variance / variance - 1)).toBeLessThan(4 * Math.sqrt(2 / (n - 1)));
      // normal increments: skewness 0, kurtosis 3
      const sd = Math.sqrt(r.variance);
      expect(Math.abs(r.m3 / sd ** 3)).toBeLessThan(4 * Math.sqrt(6 / n));
      expect(Math.abs(r.m4 / sd ** 4 - 3)).toBeLessThan(4 * Math.sqrt(24 / n));
    });
  }

  it('published prices are the model price rounded to the price step, sizes positive multiples of the lot', () => {
    const m = new SymbolModel(spec({ priceStep: 0.05, startPrice: 10, sigma: 0.5 }), 2);
    for (let i = 0; i < 10_000; i++) {
      m.advance(1 / 252);
      expect(m.trade()).toBe(true);
      const exact = Math.exp(m.logPrice);
      expect(Math.abs(m.price - exact)).toBeLessThanOrEqual(0.025 + 1e-9);
      // a multiple of 0.05, and prints with at most two decimals
      expect(Math.abs(m.price * 20 - Math.round(m.price * 20))).toBeLessThan(1e-9);
      expect(String(m.price)).toMatch(/^\d+(\.\d{1,2})?$/);
      expect(Number.isInteger(m.size) && m.size >= 100 && m.size % 100 === 0).toBe(true);
    }
  });

  it('a price below one step is published as one step, never 0', () => {
    const m = new SymbolModel(spec({ startPrice: 0.01, mu: -50, sigma: 0 }), 1);
    m.advance(1);
    m.trade();
    expect(Math.exp(m.logPrice)).toBeLessThan(0.001);
    expect(m.price).toBe(0.01);
  });
});

describe('Ornstein-Uhlenbeck on log price', () => {
  const theta = 2;
  const sigma = 0.2;
  const dt = 0.01;

  it('the mean over many paths decays toward the long-run level as e^(-theta t)', () => {
    // start at 200, long-run level 100: X0 - m = ln 2; after t = 1 (100 steps) E[X] - m = ln2 · e^(-2)
    const paths = 2000;
    const steps = 100;
    const xs = new Float64Array(paths);
    for (let p = 0; p < paths; p++) {
      const m = new SymbolModel(spec({ symbol: `OU${p}`, model: 'ou', theta, sigma, startPrice: 200, mean: 100 }), 4);
      for (let s = 0; s < steps; s++) m.advance(dt);
      xs[p] = m.logPrice - Math.log(100);
    }
    const t = steps * dt;
    const expected = Math.LN2 * Math.exp(-theta * t);
    const variance = (sigma * sigma * (1 - Math.exp(-2 * theta * t))) / (2 * theta);
    const r = moments(xs);
    expect(Math.abs(r.mean - expected)).toBeLessThan(4 * Math.sqrt(variance / paths));
    expect(Math.abs(r.variance / variance - 1)).toBeLessThan(4 * Math.sqrt(2 / (paths - 1)));
    // and it has clearly moved toward the mean from ln 2 ≈ 0.69
    expect(r.mean).toBeLessThan(0.2);
  });

  it('one long path has AR(1) coefficient e^(-theta dt) and the stationary variance sigma²/(2 theta)', () => {
    const n = 100_000;
    const m = new SymbolModel(spec({ model: 'ou', theta, sigma, startPrice: 50, mean: 50 }), 8);
    const mu = Math.log(50);
    const ys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      m.advance(dt);
      ys[i] = m.logPrice - mu;
    }
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i + 1 < n; i++) {
      sxy += ys[i] * ys[i + 1];
      sxx += ys[i] * ys[i];
    }
    const a = Math.exp(-theta * dt);
    // least-squares AR(1) estimate has standard error sqrt((1 - a²)/n)
    expect(Math.abs(sxy / sxx - a)).toBeLessThan(4 * Math.sqrt((1 - a * a) / n));
    // the stationary variance, from an autocorrelated sample: effective size n(1-a)/(1+a)
    const stationary = (sigma * sigma) / (2 * theta);
    const nEff = (n * (1 - a)) / (1 + a);
    expect(Math.abs(sxx / n / stationary - 1)).toBeLessThan(4 * Math.sqrt(2 / nEff));
  });
});

describe('Merton jump-diffusion', () => {
  it('jump counts per step follow Poisson(lambda dt)', () => {
    const lambda = 50;
    const dt = 0.01;
    const n = 100_000;
    const m = new SymbolModel(spec({ model: 'jump', lambda, jumpMean: -0.01, jumpStd: 0.03 }), 5);
    let total = 0;
    let none = 0;
    for (let i = 0; i < n; i++) {
      m.advance(dt);
      total += m.lastJumps;
      if (m.lastJumps === 0) none++;
    }
    const rate = lambda * dt;
    expect(Math.abs(total - rate * n)).toBeLessThan(4 * Math.sqrt(rate * n));
    const p0 = Math.exp(-rate);
    expect(Math.abs(none / n - p0)).toBeLessThan(4 * Math.sqrt((p0 * (1 - p0)) / n));
  });

  it('log returns have the compensated mean and the diffusion-plus-jump variance', () => {
    const c = { mu: 0.1, sigma: 0.2, dt: 0.01, lambda: 20, jumpMean: -0.02, jumpStd: 0.05 };
    const n = 200_000;
    const { dt, ...params } = c;
    const r = moments(logReturns(new SymbolModel(spec({ model: 'jump', ...params }), 6), n, dt));
    const k = Math.exp(c.jumpMean + (c.jumpStd * c.jumpStd) / 2) - 1;
    const mean = (c.mu - (c.sigma * c.sigma) / 2 - c.lambda * k) * c.dt + c.lambda * c.dt * c.jumpMean;
    const variance = c.sigma * c.sigma * c.dt + c.lambda * c.dt * (c.jumpStd * c.jumpStd + c.jumpMean * c.jumpMean);
    expect(Math.abs(r.mean - mean)).toBeLessThan(4 * Math.sqrt(variance / n));
    // sd of a sample variance is sqrt((mu4 - sigma^4)/n); mu4 estimated from the sample (heavy tails)
    expect(Math.abs(r.variance - variance)).toBeLessThan(4 * Math.sqrt((r.m4 - variance * variance) / n));
    // jumps make the tails heavier than normal
    expect(r.m4 / r.variance ** 2).toBeGreaterThan(3.2);
  });
});

describe('trade sizes', () => {
  it('are positive integers with log-normal spread around the median', () => {
    const n = 100_000;
    const m = new SymbolModel(spec({ size: { median: 1000, sigma: 0.5, lot: 1 } }), 12);
    const logs = new Float64Array(n);
    const sizes: number[] = [];
    let notPositiveInteger = 0;
    for (let i = 0; i < n; i++) {
      m.advance(1 / 252);
      m.trade();
      if (!Number.isSafeInteger(m.size) || m.size < 1) notPositiveInteger++;
      logs[i] = Math.log(m.size);
      sizes.push(m.size);
    }
    expect(notPositiveInteger).toBe(0);
    const r = moments(logs);
    expect(Math.abs(r.mean - Math.log(1000))).toBeLessThan(4 * (0.5 / Math.sqrt(n)) + 0.001);
    expect(Math.abs(Math.sqrt(r.variance) - 0.5)).toBeLessThan(4 * (0.5 / Math.sqrt(2 * n)) + 0.001);
    sizes.sort((a, b) => a - b);
    // sample median standard error for a log-normal: median·sigma·sqrt(2π)/(2 sqrt(n))
    expect(Math.abs(sizes[n / 2] - 1000)).toBeLessThan((4 * 1000 * 0.5 * Math.sqrt(2 * Math.PI)) / (2 * Math.sqrt(n)));
  });

  it('a symbol with activity 0.3 trades on about 30% of steps', () => {
    const n = 50_000;
    const m = new SymbolModel(spec({ activity: 0.3 }), 13);
    let trades = 0;
    for (let i = 0; i < n; i++) {
      m.advance(1 / 252);
      if (m.trade()) trades++;
    }
    expect(Math.abs(trades / n - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / n));
  });
});

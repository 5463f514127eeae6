/** Test fixture: a fully resolved SymbolSpec with overridable fields. Not a test file itself. */
import type { SymbolSpec } from '../universe.js';

export function spec(over: Partial<SymbolSpec> = {}): SymbolSpec {
  return {
    symbol: 'TEST',
    exchange: 'TX',
    assetClass: 'equity',
    startPrice: 100,
    model: 'gbm',
    mu: 0.07,
    sigma: 0.25,
    calendar: 'trading',
    theta: 0,
    mean: 100,
    lambda: 0,
    jumpMean: 0,
    jumpStd: 0,
    priceStep: 0.01,
    size: { median: 200, sigma: 0.8, lot: 100 },
    activity: 1,
    ...over,
  };
}

/** Sample mean, variance (n-1), third and fourth central moments. */
export function moments(xs: ArrayLike<number>) {
  const n = xs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i];
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  return { n, mean, variance: m2 / (n - 1), m3: m3 / n, m4: m4 / n };
}

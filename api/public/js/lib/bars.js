// Bar-series arithmetic for the charts (no DOM): Bollinger bands over closes.

/**
 * Bollinger bands over `n` values: the simple moving average and mid ± k population standard deviations of the
 * last n closes. The first n - 1 points (and any window with a null close) are null.
 */
export function bollinger(closes, n = 20, k = 2) {
  const mid = [];
  const upper = [];
  const lower = [];
  for (let i = 0; i < closes.length; i++) {
    let ok = i >= n - 1;
    let sum = 0;
    for (let j = i - n + 1; ok && j <= i; j++) {
      if (typeof closes[j] !== 'number') ok = false;
      else sum += closes[j];
    }
    if (!ok) {
      mid.push(null);
      upper.push(null);
      lower.push(null);
      continue;
    }
    const m = sum / n;
    let ss = 0;
    for (let j = i - n + 1; j <= i; j++) ss += (closes[j] - m) ** 2;
    const sd = Math.sqrt(ss / n);
    mid.push(m);
    upper.push(m + k * sd);
    lower.push(m - k * sd);
  }
  return { mid, upper, lower };
}

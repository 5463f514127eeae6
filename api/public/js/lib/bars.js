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

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Length of a window name like `1500ms`, `10s`, `1m`, `1h`, `1d` in ms (NaN when unknown): the labels --windows
 * accepts (processors/time/windows.ts `windowLabelMs`, the server's reading).
 */
export function windowMs(name) {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(name ?? '');
  return m ? Number(m[1]) * UNIT_MS[m[2]] : Number.NaN;
}

export const BAR_FIELDS = ['open', 'high', 'low', 'close', 'volume', 'vwap', 'volatility'];

export const emptyBars = () => ({
  t: [],
  open: [],
  high: [],
  low: [],
  close: [],
  volume: [],
  vwap: [],
  volatility: [],
});

/**
 * Rolls finer bars (oldest first, `t` = window start in ms) up into bars of `ms` (windows aligned to the epoch, as
 * the processor's): open = the first open, high = the highest, low = the lowest, close = the last close, volume =
 * the sum, VWAP = Σ(vwap × volume) / Σ volume; volatility is null (it cannot be rolled up from bar volatilities).
 * Only bars with t ≥ `from` count. Used for the bar still forming in a coarser window than the stream's.
 */
export function rollUp(fine, ms, from = Number.NEGATIVE_INFINITY) {
  const out = emptyBars();
  let notional = 0;
  let weighted = 0;
  for (let i = 0; i < fine.t.length; i++) {
    const t = fine.t[i];
    if (t < from || typeof fine.close[i] !== 'number') continue;
    const start = Math.floor(t / ms) * ms;
    const k = out.t.length - 1;
    const vol = fine.volume[i] ?? 0;
    if (k < 0 || out.t[k] !== start) {
      out.t.push(start);
      out.open.push(fine.open[i]);
      out.high.push(fine.high[i]);
      out.low.push(fine.low[i]);
      out.close.push(fine.close[i]);
      out.volume.push(vol);
      out.volatility.push(null);
      notional = typeof fine.vwap[i] === 'number' ? fine.vwap[i] * vol : 0;
      weighted = typeof fine.vwap[i] === 'number' ? vol : 0;
      out.vwap.push(weighted ? notional / weighted : null);
      continue;
    }
    out.high[k] = Math.max(out.high[k], fine.high[i]);
    out.low[k] = Math.min(out.low[k], fine.low[i]);
    out.close[k] = fine.close[i];
    out.volume[k] += vol;
    if (typeof fine.vwap[i] === 'number') {
      notional += fine.vwap[i] * vol;
      weighted += vol;
    }
    out.vwap[k] = weighted ? notional / weighted : null;
  }
  return out;
}

/** Appends bars newer than the series' last one (both oldest first); returns how many were added. */
export function appendBars(series, add) {
  const last = series.t.length ? series.t[series.t.length - 1] : Number.NEGATIVE_INFINITY;
  let n = 0;
  for (let i = 0; i < add.t.length; i++) {
    if (add.t[i] <= last) continue;
    series.t.push(add.t[i]);
    for (const f of BAR_FIELDS) series[f].push(add[f]?.[i] ?? null);
    n++;
  }
  return n;
}

/** Drops bars with t < from (in place). */
export function dropBefore(series, from) {
  let k = 0;
  while (k < series.t.length && series.t[k] < from) k++;
  if (k === 0) return;
  series.t.splice(0, k);
  for (const f of BAR_FIELDS) series[f].splice(0, k);
}

/** A series of the bars of `a` then those of `b` that are newer than a's last (new arrays). */
export function concatBars(a, b) {
  const out = emptyBars();
  appendBars(out, a);
  appendBars(out, b);
  return out;
}

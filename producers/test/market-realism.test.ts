/**
 * The simulated market means what a quant reads in the universe file: `mu` is the annual drift and `sigma` the
 * annualised volatility, whatever the step. Long runs of the real simulator (published, rounded prices) in the two
 * modes it runs in — live (`ticklake start`: steps of 290 ms of event time) and daily (`--daily`, the history of
 * `ticklake start`) — are measured here with the test's own calendar arithmetic (a 365.25-day year; 252 trading days
 * a year for equities in daily mode) and compared with the configured figures.
 *
 * Statistics (x_i = the return over Δ_i years, m = the configured drift of the log price, e.g. mu − sigma²/2 for GBM):
 *  - volatility: V = mean of (x_i − m·Δ_i)² / Δ_i estimates the annual variance of the log price; its standard error
 *    is sqrt((mean of y⁴ − V²) / N) with y_i = (x_i − m·Δ_i)/√Δ_i (from the sample's own fourth moment, so jumps'
 *    heavy tails widen it);
 *  - drift: Σx / ΣΔ estimates m with standard error σ_total / √(ΣΔ) (the sum of independent increments).
 * Each check is a z-test passing at |z| < 4: for a correct model and a random seed it fails with probability
 * 2·(1 − Φ(4)) = 6.3·10⁻⁵, and the 13 checks below together 8·10⁻⁴. The seed is fixed, so the run is deterministic;
 * the number is the chance that a correct model would have been unlucky with the seed chosen.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../simulator.js';
import { DEFAULT_UNIVERSE_FILE, loadUniverse, type SymbolSpec } from '../universe.js';

const DAY = 86_400_000;
const YEAR = 365.25 * DAY;
const Z = 4;

const universe = await loadUniverse(DEFAULT_UNIVERSE_FILE);
const shipped = (symbol: string): SymbolSpec => {
  const s = universe.exchanges.flatMap((x) => x.symbols).find((x) => x.symbol === symbol);
  if (!s) throw new Error(`${symbol} is not in the bundled universe`);
  return s;
};

/** Total annual variance of the log price and its annual drift, from the configured parameters alone. */
function configured(s: SymbolSpec): { variance: number; drift: number } {
  if (s.model === 'jump') {
    const k = Math.exp(s.jumpMean + (s.jumpStd * s.jumpStd) / 2) - 1;
    return {
      variance: s.sigma ** 2 + s.lambda * (s.jumpMean ** 2 + s.jumpStd ** 2),
      drift: s.mu - s.sigma ** 2 / 2 - s.lambda * k + s.lambda * s.jumpMean,
    };
  }
  return { variance: s.sigma ** 2, drift: s.model === 'ou' ? 0 : s.mu - s.sigma ** 2 / 2 };
}

interface Sample {
  /** Returns of the log price between sample points, and their lengths in years. */
  x: number[];
  dt: number[];
}

/** z of the realised annual variance against `variance`, and of the realised log drift against `drift`. */
function zScores(samples: Sample[], variance: number, drift: number) {
  let n = 0;
  let sumV = 0;
  let sumY4 = 0;
  let sumX = 0;
  let sumDt = 0;
  for (const s of samples) {
    for (let i = 0; i < s.x.length; i++) {
      const y2 = (s.x[i] - drift * s.dt[i]) ** 2 / s.dt[i];
      sumV += y2;
      sumY4 += y2 * y2;
      sumX += s.x[i];
      sumDt += s.dt[i];
      n++;
    }
  }
  const v = sumV / n;
  return {
    n,
    years: sumDt,
    realisedVol: Math.sqrt(v),
    realisedDrift: sumX / sumDt,
    zVol: (v - variance) / Math.sqrt((sumY4 / n - v * v) / n),
    zDrift: (sumX / sumDt - drift) / Math.sqrt(variance / sumDt),
  };
}

/**
 * Runs the simulator and samples every symbol's published price every `every` steps; `years(prevTs, ts, symbol)` is
 * the test's own length of a sampling interval in years.
 */
function run(
  specs: SymbolSpec[],
  opts: ConstructorParameters<typeof Simulator>[1],
  every: number,
  years: (from: number, to: number, s: SymbolSpec) => number,
): Map<string, Sample> {
  const sim = new Simulator(specs, opts);
  const last = new Map<string, { ts: number; logPrice: number }>();
  const out = new Map<string, Sample>(specs.map((s) => [s.symbol, { x: [], dt: [] }]));
  const bySymbol = new Map(specs.map((s) => [s.symbol, s]));
  let step = -1;
  for (;;) {
    const m = sim.next();
    if (m === null) break;
    if (sim.stepNo !== step) step = sim.stepNo;
    if (step % every !== every - 1) continue;
    const symbol = m.spec.symbol;
    const lp = Math.log(m.price);
    const prev = last.get(symbol);
    if (prev) {
      const s = out.get(symbol) as Sample;
      s.x.push(lp - prev.logPrice);
      s.dt.push(years(prev.ts, sim.ts, bySymbol.get(symbol) as SymbolSpec));
    }
    last.set(symbol, { ts: sim.ts, logPrice: lp });
  }
  return out;
}

const clones = (s: SymbolSpec, k: number): SymbolSpec[] =>
  Array.from({ length: k }, (_, i) => ({ ...s, symbol: `${s.symbol}.${i}` }));

/** Weekdays strictly after day `a` up to and including day `b` (day numbers since 1970-01-01, a Thursday). */
function weekdaysBetween(a: number, b: number): number {
  let n = 0;
  for (let d = a + 1; d <= b; d++) {
    const wd = (d + 4) % 7;
    if (wd !== 0 && wd !== 6) n++;
  }
  return n;
}

describe('live mode (ticklake start: 290 ms steps of event time, the venues trade around the clock)', () => {
  it('1-minute returns of AAPL, SOL-USD and EUR-USD have the configured annualised volatility', () => {
    // 20,000 samples of 200 steps (58 s) each: 13.4 days of event time
    const specs = ['AAPL', 'SOL-USD', 'EUR-USD'].map(shipped);
    const start = Date.UTC(2026, 0, 5);
    const samples = run(
      specs,
      { seed: 'realism-live', start, tickIntervalMs: 290, end: start + 290 * 200 * 20_000 },
      200,
      (a, b) => (b - a) / YEAR,
    );
    for (const s of specs) {
      const c = configured(s);
      const r = zScores([samples.get(s.symbol) as Sample], c.variance, c.drift);
      expect(r.n).toBe(19_999);
      expect({ symbol: s.symbol, vol: r.realisedVol, z: Math.abs(r.zVol) < Z }).toEqual({
        symbol: s.symbol,
        vol: r.realisedVol,
        z: true,
      });
      // and it is the figure from the file, not a per-step one: within 5% of sigma
      expect(Math.abs(r.realisedVol / Math.sqrt(c.variance) - 1)).toBeLessThan(0.05);
    }
  });

  it('the realised drift of 200 symbol-years each (100 paths of 2 years, hourly steps) is the configured annual drift', () => {
    // the same code path (an intraday step lasts its interval); 290 ms steps would need 10^10 of them for a drift
    // estimate this precise, so the steps are an hour here
    const specs = [...clones(shipped('AAPL'), 100), ...clones(shipped('SOL-USD'), 100)];
    const start = Date.UTC(2026, 0, 5);
    const samples = run(
      specs,
      { seed: 'realism-hourly', start, tickIntervalMs: 3_600_000, end: start + 2 * YEAR },
      24,
      (a, b) => (b - a) / YEAR,
    );
    for (const base of ['AAPL', 'SOL-USD']) {
      const s = shipped(base);
      const c = configured(s);
      const paths = [...samples.entries()].filter(([k]) => k.startsWith(`${base}.`)).map(([, v]) => v);
      const r = zScores(paths, c.variance, c.drift);
      expect(r.years).toBeCloseTo(100 * 2, 0);
      expect({ base, drift: r.realisedDrift, zDrift: Math.abs(r.zDrift) < Z, zVol: Math.abs(r.zVol) < Z }).toEqual({
        base,
        drift: r.realisedDrift,
        zDrift: true,
        zVol: true,
      });
    }
  });
});

describe('daily mode (--daily and the history of ticklake start: weekday closes)', () => {
  // 100 paths of 10 years per symbol (1,000 symbol-years); the years of a return, by the test's own calendar:
  // equities one trading day = 1/252 (Friday to Monday is one), crypto the calendar time elapsed (weekend included)
  const years = (a: number, b: number, s: SymbolSpec) =>
    s.calendar === 'trading' ? weekdaysBetween(Math.floor(a / DAY), Math.floor(b / DAY)) / 252 : (b - a) / YEAR;

  for (const stepsPerDay of [1, 8]) {
    it(`AAPL, SOL-USD and BTC-USD closes have the configured annual drift and volatility (${stepsPerDay} step(s) a day)`, () => {
      const specs = ['AAPL', 'SOL-USD', 'BTC-USD'].flatMap((s) => clones(shipped(s), 100));
      const start = Date.UTC(2000, 0, 3);
      const samples = run(
        specs,
        { seed: 'realism-daily', start, tickIntervalMs: 0, daily: true, stepsPerDay, end: Date.UTC(2010, 0, 3) },
        stepsPerDay,
        years,
      );
      for (const base of ['AAPL', 'SOL-USD', 'BTC-USD']) {
        const s = shipped(base);
        const c = configured(s);
        const paths = [...samples.entries()].filter(([k]) => k.startsWith(`${base}.`)).map(([, v]) => v);
        const r = zScores(paths, c.variance, c.drift);
        expect(r.years).toBeGreaterThan(base === 'AAPL' ? 1000 : 990);
        expect({ base, vol: r.realisedVol, zVol: Math.abs(r.zVol) < Z, zDrift: Math.abs(r.zDrift) < Z }).toEqual({
          base,
          vol: r.realisedVol,
          zVol: true,
          zDrift: true,
        });
      }
    });
  }
});

/**
 * Price models and the trade-size distribution of one simulated symbol. X is the log price, Z a standard normal,
 * and each step advances model time by dt years: `mu`, `sigma`, `theta` and `lambda` are annual figures, and the
 * simulator passes the step's real length in years of the symbol's calendar (calendar.ts, docs/messages.md).
 *
 * - gbm:  S(t+dt) = S(t)·exp((mu − sigma²/2)·dt + sigma·√dt·Z)    (the reference GBM; log returns are normal with
 *         mean (mu − sigma²/2)·dt and variance sigma²·dt).
 * - ou:   Ornstein–Uhlenbeck on the log price, dX = theta·(m − X)·dt + sigma·dW with m = ln(mean), stepped exactly:
 *         X' = m + (X − m)·e^(−theta·dt) + sigma·√((1 − e^(−2·theta·dt)) / (2·theta))·Z.
 * - jump: Merton jump-diffusion, X' = X + (mu − sigma²/2 − lambda·k)·dt + sigma·√dt·Z + J₁ + … + J_N with
 *         N ~ Poisson(lambda·dt), J ~ Normal(jumpMean, jumpStd²), k = e^(jumpMean + jumpStd²/2) − 1 (the compensator
 *         that keeps E[S(t+dt)/S(t)] = e^(mu·dt), as for GBM).
 * - size: round(exp(ln(median) + sizeSigma·Z) / lot), at least 1, times lot.
 *
 * Published prices are rounded to the symbol's priceStep (never below one step); the model keeps the exact value.
 * The step coefficients are computed once per distinct dt (a run has one or two); a step does a few
 * multiplications, one or two normals, and one exp.
 */
import { Rng } from './rng.js';
import type { SymbolSpec } from './universe.js';

const GBM = 0;
const OU = 1;
const JUMP = 2;

/** Decimal places of a step such as 0.01 or 0.00001 (up to 12). */
function decimals(step: number): number {
  for (let d = 0; d <= 12; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) return d;
  return 12;
}

export class SymbolModel {
  readonly spec: SymbolSpec;
  readonly rng: Rng;
  /** Current log price (exact, unrounded). */
  logPrice: number;
  /** Published price of the current step (rounded to priceStep). */
  price = 0;
  /** Trade size of the current step. */
  size = 0;
  /** Number of jumps in the last step (jump model; for tests and diagnostics). */
  lastJumps = 0;

  private readonly kind: number;
  /** The dt the step coefficients below were computed for. */
  private dt = Number.NaN;
  private drift = 0;
  private vol = 0;
  private ouDecay = 1;
  private jumpRate = 0;
  private readonly ouMean: number;
  private readonly jumpMean: number;
  private readonly jumpStd: number;
  private readonly priceScale: number;
  private readonly priceUnits: number;
  private readonly sizeLogMedian: number;
  private readonly sizeSigma: number;
  private readonly lot: number;
  private readonly activity: number;

  constructor(spec: SymbolSpec, seed: number | string) {
    this.spec = spec;
    this.rng = Rng.forSymbol(seed, spec.symbol);
    this.logPrice = Math.log(spec.startPrice);
    this.kind = spec.model === 'ou' ? OU : spec.model === 'jump' ? JUMP : GBM;
    this.jumpMean = spec.jumpMean;
    this.jumpStd = spec.jumpStd;
    this.ouMean = Math.log(spec.mean);
    const d = decimals(spec.priceStep);
    this.priceScale = 10 ** d;
    this.priceUnits = Math.max(1, Math.round(spec.priceStep * this.priceScale));
    this.sizeLogMedian = Math.log(spec.size.median);
    this.sizeSigma = spec.size.sigma;
    this.lot = spec.size.lot;
    this.activity = spec.activity;
  }

  /** The per-step drift, volatility, OU decay and jump rate for a step of `dt` years. */
  private coefficients(dt: number): void {
    const { mu, sigma, theta, lambda } = this.spec;
    const k = this.kind === JUMP ? Math.exp(this.jumpMean + (this.jumpStd * this.jumpStd) / 2) - 1 : 0;
    this.jumpRate = this.kind === JUMP ? lambda * dt : 0;
    this.drift = (mu - (sigma * sigma) / 2 - (this.kind === JUMP ? lambda * k : 0)) * dt;
    this.ouDecay = Math.exp(-theta * dt);
    this.vol =
      this.kind === OU ? sigma * Math.sqrt((1 - this.ouDecay * this.ouDecay) / (2 * theta)) : sigma * Math.sqrt(dt);
    this.dt = dt;
  }

  /** Advances the log price by one step of `dt` years of model time. */
  advance(dt: number): void {
    if (dt !== this.dt) this.coefficients(dt);
    const rng = this.rng;
    if (this.kind === GBM) {
      this.logPrice += this.drift + this.vol * rng.normal();
    } else if (this.kind === OU) {
      this.logPrice = this.ouMean + (this.logPrice - this.ouMean) * this.ouDecay + this.vol * rng.normal();
    } else {
      let x = this.logPrice + this.drift + this.vol * rng.normal();
      const n = rng.poisson(this.jumpRate);
      for (let i = 0; i < n; i++) x += this.jumpMean + this.jumpStd * rng.normal();
      this.lastJumps = n;
      this.logPrice = x;
    }
  }

  /**
   * Decides whether the symbol trades at this step (probability `activity`); when it does, sets `price` (rounded)
   * and `size` and returns true.
   */
  trade(): boolean {
    const rng = this.rng;
    if (this.activity < 1 && rng.uniform() >= this.activity) return false;
    const units = Math.max(1, Math.round((Math.exp(this.logPrice) * this.priceScale) / this.priceUnits));
    this.price = (units * this.priceUnits) / this.priceScale;
    const lots = Math.round(Math.exp(this.sizeLogMedian + this.sizeSigma * rng.normal()) / this.lot);
    this.size = Math.max(lots, 1) * this.lot;
    return true;
  }
}

/**
 * The simulated exchange(s): a deterministic sequence of ticks from a set of symbols, a seed and a simulated clock.
 *
 * Clock: step k has event time `start + k·tickInterval` (intraday), or, with `daily`, the weekdays at or after `start`,
 * `stepsPerDay` steps each at 00:00 UTC + j·24h/stepsPerDay (one step: one close per symbol per trading day). Event
 * time never depends on wall time. Each step advances every model by its length in years (calendar.ts).
 *
 * Order: at every step each symbol advances its price model once, then trades with probability `activity`; the
 * ticks of one step come out in symbol order (code-unit order), so the sequence does not depend on the order of the
 * universe file. With the same seed, symbols, start and interval, two runs give byte-identical messages.
 *
 * The hot path allocates nothing but the message string: `next()` returns the symbol model that traded (price and
 * size set on it) and `encode()` concatenates a precomputed prefix with ts, price and size.
 *
 * Identity (docs/messages.md): with `source`, every tick carries `src` = that name and `seq` = its number among the
 * ticks this simulator produced (1, 2, ...; `produced` after the tick), so a simulator restored from a snapshot and
 * producing again gives a re-sent tick the number it had, and the processor counts it once.
 */

import type { Tick } from '../contracts/tick.js';
import { tickProblem } from '../contracts/tick.js';
import { tlError } from '../core/errors.js';
import { dailyStepYears, intradayStepYears } from './calendar.js';
import { SymbolModel } from './models.js';
import type { RngSnapshot } from './rng.js';
import type { SymbolSpec } from './universe.js';

export const DAY_MS = 86_400_000;

export interface SimulatorOptions {
  /** Run seed: any integer or text. */
  seed: number | string;
  /** Event time of the first step, epoch ms UTC. */
  start: number;
  /** Event time between steps, ms (ignored with `daily`). */
  tickIntervalMs: number;
  /** Steps on weekdays only, `stepsPerDay` of them from 00:00 UTC, instead of every tickIntervalMs. */
  daily?: boolean;
  /** With `daily`: steps per weekday, evenly spaced over the day (default 1: one at 00:00 UTC). */
  stepsPerDay?: number;
  /** Stop before the first step whose event time is at or after this (epoch ms); none = unbounded. */
  end?: number;
  /** The ticks' `src` (1–64 printable ASCII characters but `"` and `\`); with it they also carry `seq`. */
  source?: string;
}

/** Day number (days since 1970-01-01) of the first weekday at or after `ms`. */
export function firstTradingDay(ms: number): number {
  let day = Math.ceil(ms / DAY_MS);
  while (isWeekend(day)) day++;
  return day;
}

/** 1970-01-01 was a Thursday: day 0 → weekday 4 (0 = Sunday). */
export function isWeekend(day: number): boolean {
  const wd = (((day + 4) % 7) + 7) % 7;
  return wd === 0 || wd === 6;
}

/** Everything needed to continue a simulator exactly where it stopped (JSON-safe; doubles round-trip). */
export interface SimulatorSnapshot {
  ts: number;
  stepNo: number;
  produced: number;
  day: number;
  index: number;
  /** Daily mode: the step of the day (0-based; absent in snapshots of one step per day). */
  sub?: number;
  /** Years the current step advances `trading` and `24/7` models, for the symbols still to come in it. */
  dt?: [number, number];
  /** Per symbol (by symbol name): the exact log price and the random stream. */
  models: Record<string, { logPrice: number; rng: RngSnapshot }>;
}

export class Simulator {
  /** The models, sorted by symbol. */
  readonly models: SymbolModel[];
  /** Event time of the current step. */
  ts: number;
  /** Number of the current step (0-based; -1 before the first `next()`). */
  stepNo = -1;
  /** Messages produced so far. */
  produced = 0;

  private readonly prefixes: string[];
  /** `,"seq":` when the ticks carry an identity, else empty. */
  private readonly seqKey: string;
  private readonly source: string | undefined;
  private readonly daily: boolean;
  private readonly interval: number;
  private readonly stepsPerDay: number;
  private readonly end: number;
  private day: number;
  /** Daily mode: the step of the current day. */
  private sub: number;
  private index: number;
  private currentIndex = -1;
  /** Years the current step advances models of each calendar (`trading`, `24/7`). */
  private dtTrading = 0;
  private dt247 = 0;

  constructor(symbols: readonly SymbolSpec[], opts: SimulatorOptions) {
    if (symbols.length === 0)
      throw tlError('TL_CONFIG_BAD_VALUE', { setting: 'universe', value: '[]', reason: 'no symbols' });
    if (!opts.daily && !(opts.tickIntervalMs > 0))
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '--tick-interval',
        value: String(opts.tickIntervalMs),
        reason: 'must be > 0',
      });
    if (opts.source !== undefined && !/^[ !#-[\]-~]{1,64}$/.test(opts.source))
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: 'source',
        value: JSON.stringify(opts.source),
        reason: '1-64 printable ASCII characters, no " or \\',
      });
    const sorted = [...symbols].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    this.models = sorted.map((s) => new SymbolModel(s, opts.seed));
    this.source = opts.source;
    const src = opts.source === undefined ? '' : `"src":"${opts.source}",`;
    this.seqKey = opts.source === undefined ? '' : ',"seq":';
    this.prefixes = sorted.map(
      (s) =>
        `{"v":1,"symbol":${JSON.stringify(s.symbol)},"exchange":${JSON.stringify(s.exchange)},"assetClass":"${s.assetClass}",${src}"ts":`,
    );
    // The producers never emit an invalid tick: check each symbol's fixed fields once against the schema.
    for (const s of sorted) {
      const problem = tickProblem({
        v: 1,
        symbol: s.symbol,
        exchange: s.exchange,
        assetClass: s.assetClass,
        ts: 0,
        price: s.startPrice,
        size: s.size.lot,
      });
      if (problem) throw tlError('TL_DATA_BAD_TICK', { reason: `${s.symbol}: ${problem}` });
    }
    this.daily = opts.daily === true;
    this.interval = opts.tickIntervalMs;
    this.stepsPerDay = opts.stepsPerDay ?? 1;
    if (this.daily && !(Number.isInteger(this.stepsPerDay) && this.stepsPerDay >= 1 && this.stepsPerDay <= 1440))
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: 'stepsPerDay',
        value: String(opts.stepsPerDay),
        reason: 'a whole number from 1 to 1440',
      });
    this.end = opts.end ?? Number.POSITIVE_INFINITY;
    this.day = firstTradingDay(opts.start) - 1;
    this.sub = this.stepsPerDay - 1;
    // the step "before" the first: one step's length earlier, so that the first step has its usual length
    this.ts = this.daily ? (this.day + 1) * DAY_MS - this.subStepMs : opts.start - this.interval;
    this.index = this.models.length; // forces a new step on the first next()
  }

  /** Daily mode: event time between the steps of one day. */
  private get subStepMs(): number {
    return DAY_MS / this.stepsPerDay;
  }

  /** Day number and step of the daily step after (day, sub). */
  private nextDaily(day: number, sub: number): [number, number] {
    if (sub + 1 < this.stepsPerDay) return [day, sub + 1];
    let d = day + 1;
    while (isWeekend(d)) d++;
    return [d, 0];
  }

  private newStep(): boolean {
    let ts: number;
    if (this.daily) {
      const [d, sub] = this.nextDaily(this.day, this.sub);
      ts = d * DAY_MS + Math.round(sub * this.subStepMs);
      if (ts >= this.end) return false;
      this.dtTrading = dailyStepYears('trading', ts - this.ts, this.stepsPerDay);
      this.dt247 = dailyStepYears('24/7', ts - this.ts, this.stepsPerDay);
      this.day = d;
      this.sub = sub;
    } else {
      ts = this.ts + this.interval;
      if (ts >= this.end) return false;
      this.dtTrading = intradayStepYears(this.interval);
      this.dt247 = this.dtTrading;
    }
    this.ts = ts;
    this.stepNo++;
    this.index = 0;
    return true;
  }

  /** Advances to the next tick; returns the model that traded, or null when the end time is reached. */
  next(): SymbolModel | null {
    const models = this.models;
    const n = models.length;
    for (;;) {
      if (this.index >= n && !this.newStep()) return null;
      const i = this.index++;
      const m = models[i];
      m.advance(m.spec.calendar === 'trading' ? this.dtTrading : this.dt247);
      if (m.trade()) {
        this.currentIndex = i;
        this.produced++;
        return m;
      }
    }
  }

  /** Event time of the next tick `next()` can return (a lower bound when some symbols may not trade). */
  get upcomingTs(): number {
    if (this.index < this.models.length) return this.ts;
    if (!this.daily) return this.ts + this.interval;
    const [d, sub] = this.nextDaily(this.day, this.sub);
    return d * DAY_MS + Math.round(sub * this.subStepMs);
  }

  /** The state after the last `next()`: a simulator restored from it continues with the very next tick. */
  snapshot(): SimulatorSnapshot {
    const models: SimulatorSnapshot['models'] = {};
    for (const m of this.models) models[m.spec.symbol] = { logPrice: m.logPrice, rng: m.rng.snapshot() };
    return {
      ts: this.ts,
      stepNo: this.stepNo,
      produced: this.produced,
      day: this.day,
      index: this.index,
      ...(this.daily && this.stepsPerDay > 1 ? { sub: this.sub } : {}),
      dt: [this.dtTrading, this.dt247],
      models,
    };
  }

  /**
   * Continues from a snapshot of a simulator over the same symbols. Symbols missing from the snapshot (added to the
   * universe since) start fresh; a symbol removed since is ignored. The tick interval may differ: the next step
   * comes one (new) interval after the snapshot's. The mode may differ too (the history of `ticklake start` runs
   * daily steps, then intraday ones, then hands over to the live exchanges): a daily simulator continues on the next
   * weekday (or step of the day), an intraday one an interval after the snapshot's event time.
   */
  restore(s: SimulatorSnapshot): void {
    this.ts = s.ts;
    this.stepNo = s.stepNo;
    this.produced = s.produced;
    this.day = s.day;
    this.sub = Math.min(s.sub ?? this.stepsPerDay - 1, this.stepsPerDay - 1);
    this.index = Math.min(s.index, this.models.length);
    // a snapshot taken inside a step: the symbols still to come advance by that step's length
    [this.dtTrading, this.dt247] = s.dt ?? [intradayStepYears(this.interval), intradayStepYears(this.interval)];
    for (const m of this.models) {
      const saved = s.models[m.spec.symbol];
      if (!saved) continue;
      m.logPrice = saved.logPrice;
      m.rng.restore(saved.rng);
    }
  }

  /** The current tick as the message value (identical to `encodeTick(this.tick())`). */
  encode(): string {
    const m = this.models[this.currentIndex];
    const seq = this.seqKey === '' ? '' : this.seqKey + this.produced;
    return this.prefixes[this.currentIndex] + this.ts + ',"price":' + m.price + ',"size":' + m.size + seq + '}';
  }

  /** The current tick's key (its symbol). */
  key(): string {
    return this.models[this.currentIndex].spec.symbol;
  }

  /** The current tick as an object (allocates; for tests and replay-style consumers). */
  tick(): Tick {
    const m = this.models[this.currentIndex];
    const s = m.spec;
    const t: Tick = {
      v: 1,
      symbol: s.symbol,
      exchange: s.exchange,
      assetClass: s.assetClass,
      ts: this.ts,
      price: m.price,
      size: m.size,
    };
    if (this.source !== undefined) {
      t.src = this.source;
      t.seq = this.produced;
    }
    return t;
  }
}

/** Convenience: the first `count` ticks (or fewer if the end time comes first) as objects. */
export function simulate(symbols: readonly SymbolSpec[], opts: SimulatorOptions, count: number): Tick[] {
  const sim = new Simulator(symbols, opts);
  const out: Tick[] = [];
  while (out.length < count && sim.next()) out.push(sim.tick());
  return out;
}

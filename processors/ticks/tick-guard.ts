/**
 * The bounds a valid tick must also keep before the processor counts it (docs/processor.md, "Bounds and guards").
 *
 * The schema (contracts/tick.ts) says what a tick is; these say what the processor's arithmetic and sinks can take,
 * and what it believes about event time:
 *
 * - price in [minPrice, maxPrice] (`--min-price`, `--max-price`): a price of 5e-324 made ln(price / previous) the
 *   logarithm of zero, 1e308 made price × size infinite (NaN in the lake, a row MySQL refuses);
 * - size ≤ maxSize (`--max-size`): a window's volume is a BIGINT sum of sizes;
 * - event time before `ceiling`, the end of the last window of the largest size that ends in year 9999 (a lake
 *   date partition has four digits; MySQL's DATETIME stops at 9999-12-31): a tick of 9999-12-31 opened a 1d window
 *   ending in year 10000;
 * - event time at most maxAheadMs (`--max-ahead`) after the earlier of the message's Kafka timestamp and the
 *   processor's clock: one tick dated years ahead would otherwise move its partition's watermark there and make every
 *   later tick of the partition late. The Kafka timestamp (the producer's clock, CreateTime) keeps the decision the
 *   same when a topic is read again later; the clock caps a timestamp that is itself in the future.
 *
 * A tick outside them is dead-lettered (`rejected` and `ticks.dlq`) with a reason naming the field and the setting;
 * it never reaches the watermark, the windows or a sink. Settings are checked against hard limits (`HARD`) that keep
 * every sum finite whatever a user sets.
 */
import { settingDefault } from '../../core/config.js';
import { tlError } from '../../core/errors.js';
import type { WindowSpec } from '../time/windows.js';

export interface TickBounds {
  minPrice: number;
  maxPrice: number;
  maxSize: number;
  /** Largest allowed lead of event time over min(Kafka timestamp, clock), ms; 0 = no such bound. */
  maxAheadMs: number;
}

/** The declared defaults of --min-price, --max-price, --max-size and --max-ahead (core/config.ts). */
export const DEFAULT_BOUNDS: TickBounds = {
  minPrice: settingDefault('minPrice'),
  maxPrice: settingDefault('maxPrice'),
  maxSize: settingDefault('maxSize'),
  maxAheadMs: settingDefault('maxAhead'),
};

/** What the settings may be set to: prices whose ratios and products stay normal doubles, sizes whose sums fit. */
export const HARD = { minPrice: 1e-100, maxPrice: 1e100, maxSize: 1e15 } as const;

/** 9999-12-31T23:59:59.999Z: the last instant a lake date partition and a MySQL DATETIME(3) can hold. */
export const LAST_INSTANT = 253_402_300_799_999;

/** Why a tick is out of bounds (None: it is not). */
export const Breach = { None: 0, Price: 1, Size: 2, Ceiling: 3, Ahead: 4 } as const;
export type Breach = (typeof Breach)[keyof typeof Breach];

/** A tick's bounds for one processor configuration (the ceiling depends on the largest window). */
export class TickGuard {
  readonly minPrice: number;
  readonly maxPrice: number;
  readonly maxSize: number;
  readonly maxAheadMs: number;
  /** Event times must be below this: the end of the last largest window that ends by LAST_INSTANT. */
  readonly ceiling: number;

  constructor(windows: readonly WindowSpec[], bounds: Partial<TickBounds> = {}) {
    const b = { ...DEFAULT_BOUNDS, ...bounds };
    const bad = (setting: string, value: number, reason: string) =>
      tlError('TL_CONFIG_BAD_VALUE', { setting, value: String(value), reason });
    if (!(b.minPrice >= HARD.minPrice)) throw bad('--min-price', b.minPrice, `must be at least ${HARD.minPrice}`);
    if (!(b.maxPrice <= HARD.maxPrice)) throw bad('--max-price', b.maxPrice, `must be at most ${HARD.maxPrice}`);
    if (!(b.minPrice < b.maxPrice)) throw bad('--max-price', b.maxPrice, `must be above --min-price ${b.minPrice}`);
    if (!(b.maxSize >= 1 && b.maxSize <= HARD.maxSize)) {
      throw bad('--max-size', b.maxSize, `must be between 1 and ${HARD.maxSize}`);
    }
    if (!(b.maxAheadMs >= 0)) throw bad('--max-ahead', b.maxAheadMs, 'must be a duration >= 0');
    this.minPrice = b.minPrice;
    this.maxPrice = b.maxPrice;
    this.maxSize = b.maxSize;
    this.maxAheadMs = b.maxAheadMs === 0 ? Number.POSITIVE_INFINITY : b.maxAheadMs;
    const largest = Math.max(...windows.map((w) => w.ms));
    this.ceiling = Math.floor(LAST_INSTANT / largest) * largest;
  }

  /**
   * Which bound the tick breaks, if any. `kafkaTs` is the message's Kafka timestamp (NaN or ≤ 0 when unknown),
   * `now` the processor's clock. A few comparisons: this runs for every tick.
   */
  check(ts: number, price: number, size: number, kafkaTs: number, now: number): Breach {
    if (!(price >= this.minPrice && price <= this.maxPrice)) return Breach.Price;
    if (size > this.maxSize) return Breach.Size;
    if (ts >= this.ceiling) return Breach.Ceiling;
    const ref = kafkaTs > 0 && kafkaTs < now ? kafkaTs : now;
    if (ts - ref > this.maxAheadMs) return Breach.Ahead;
    return Breach.None;
  }

  /** The dead letter's reason for a breach, naming the field, the bound and its setting. */
  reason(breach: Breach, ts: number, price: number, size: number, kafkaTs: number, now: number): string {
    switch (breach) {
      case Breach.Price:
        return `price: ${price} is outside [${this.minPrice}, ${this.maxPrice}] (--min-price, --max-price)`;
      case Breach.Size:
        return `size: ${size} is above ${this.maxSize} (--max-size)`;
      case Breach.Ceiling:
        return `ts: ${iso(ts)} is at or after ${iso(this.ceiling)}, where the last window of the largest size that ends in year 9999 ends`;
      default: {
        const ref = kafkaTs > 0 && kafkaTs < now ? kafkaTs : now;
        const what = ref === now ? 'the processor clock' : 'the Kafka timestamp';
        return `ts: ${iso(ts)} is ${ts - ref} ms ahead of ${what} ${iso(ref)}; at most ${this.maxAheadMs} ms allowed (--max-ahead)`;
      }
    }
  }
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

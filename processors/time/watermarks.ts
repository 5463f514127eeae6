/**
 * Event time, watermarks and lateness: the rules every engine applies (the tick engine's bars, the keyed-table
 * engine's windowed jobs), in one small pure class with no DuckDB and no I/O (tested on timelines in
 * processors/time/test/watermarks.test.ts).
 *
 * Per source partition (a Kafka partition: one ordered sequence of events):
 * - `maxTs` is the largest event time seen, and the watermark is `maxTs − lateness`, never going backwards;
 * - an event meets the watermark *just before it*: the one the events before it on its partition (in offset order)
 *   allow, whatever batch they came in. So whether an event is late never depends on where batches were cut;
 * - an event is late for a window size when the window it falls in has already ended at the watermark it meets:
 *   `windowStart(ts) + size ≤ watermark` (windows include their start and exclude their end);
 * - the watermark itself moves once per batch (`advance`), to what the batch's events allow.
 *
 * Across partitions a result that needs every partition's input (valuations, windowed jobs grouping across keys)
 * waits for the minimum watermark (`minWatermark`): a partition never seen holds it back, unless declared idle.
 */
import { type WindowSpec, windowStart } from './windows.js';

/** Sentinel for "no watermark yet" (also inside SQL, as a BIGINT). */
export const NO_WATERMARK = -(2 ** 62);

/** What the rules keep per partition. */
export interface EventTime {
  /** Largest event time seen (epoch ms), NO_WATERMARK before the first event. */
  maxTs: number;
  /** Watermark as of the last `advance` (epoch ms), NO_WATERMARK before the first. */
  watermark: number;
}

export const noEventTime = (): EventTime => ({ maxTs: NO_WATERMARK, watermark: NO_WATERMARK });

/** Watermark after seeing `maxTs`: never below the previous one. */
export function nextWatermark(previous: number, maxTs: number, latenessMs: number): number {
  return Math.max(previous, maxTs - latenessMs);
}

export class LatenessRules {
  constructor(readonly latenessMs: number) {
    if (!(latenessMs >= 0)) throw new RangeError(`lateness must be a non-negative number of ms, got ${latenessMs}`);
  }

  /** The watermark an event arriving now on this partition meets. */
  met(t: EventTime): number {
    return nextWatermark(t.watermark, t.maxTs, this.latenessMs);
  }

  /** Records an event of time `ts`; returns the watermark it met (the one just before it). */
  observe(t: EventTime, ts: number): number {
    const met = this.met(t);
    if (ts > t.maxTs) t.maxTs = ts;
    return met;
  }

  /** Whether an event at `ts` that met watermark `met` is late for windows of `w` (its window has ended). */
  isLate(ts: number, w: WindowSpec, met: number): boolean {
    return windowStart(ts, w.ms) + w.ms <= met;
  }

  /**
   * End of a batch: the partition's watermark moves to what its events allow. Throws if it would go backwards
   * (it cannot by construction: `nextWatermark` is monotone; the check guards the bookkeeping around it).
   */
  advance(t: EventTime, partition: number): void {
    const wm = this.met(t);
    if (wm < t.watermark) throw new Error(`watermark of partition ${partition} would go backwards`);
    t.watermark = wm;
  }

  /**
   * The watermark that closes everything (a bounded run's end): past the latest watermark and past the end of every
   * window that an event seen so far may still hold open.
   */
  flushTarget(states: Iterable<EventTime>, windows: readonly WindowSpec[]): number {
    let target = NO_WATERMARK;
    for (const st of states) {
      target = Math.max(target, st.watermark);
      if (st.maxTs === NO_WATERMARK) continue;
      for (const w of windows) target = Math.max(target, windowStart(st.maxTs, w.ms) + w.ms);
    }
    return target;
  }
}

/**
 * Minimum watermark over partitions 0..count-1; a partition never seen holds everything back, unless it is `idle`
 * (declared idle by the processor: nothing left to read and no message for a while; docs/processor.md). Idle
 * partitions are left out while any partition is active; when all are idle (the stream paused), the minimum is over
 * those that have a watermark, so a partition that never had an event still holds nothing back.
 */
export function minWatermark(
  watermarks: Map<number, number>,
  partitionCount: number,
  idle: ReadonlySet<number> = new Set(),
): number {
  let allIdle = partitionCount > 0;
  for (let p = 0; p < partitionCount; p++) if (!idle.has(p)) allIdle = false;
  let min = Number.POSITIVE_INFINITY;
  for (let p = 0; p < partitionCount; p++) {
    const w = watermarks.get(p);
    if (allIdle ? w === undefined : idle.has(p)) continue;
    if (w === undefined) return Number.NEGATIVE_INFINITY;
    min = Math.min(min, w);
  }
  return min === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : min;
}

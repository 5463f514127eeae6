/**
 * Pipeline health for the dashboard. The one-command mode knows the running pipeline and passes a provider
 * (`buildApp({ health })`) returning `PipelineHealth`; `ticklake serve` over a lake alone has none, and the
 * dashboard then shows what the lake tells (newest tick, rejected rows, newest closed bar) and n/a for the rest.
 *
 * `HealthTracker` turns successive provider samples into rates and merges them with the lake's numbers into the
 * `HealthEvent` the live stream sends. Ticks/s comes from the growth of the cumulative tick count over the last
 * RATE_WINDOW_MS of samples, not between two samples: the processor counts ticks once per batch (every 2 s by
 * default) while the dashboard samples every second, so a two-sample rate alternates between 0 and twice the
 * real rate (HealthTracker.windowRate). Until the samples span MIN_RATE_SPAN_MS the rate is null (the page says
 * "measuring").
 */
import type { ProcessorStats } from '../../processors/ticks/processor.js';

/** What the running pipeline reports (every field optional: give what you know). */
export interface PipelineHealth {
  /** Ticks processed since start (cumulative); the dashboard derives ticks/s from successive samples. */
  ticks?: number;
  /** Ticks per second, when the provider measures it itself (wins over the derived rate). */
  ticksPerSecond?: number;
  /** Messages in the topic not yet consumed. */
  consumerLag?: number | null;
  /** Lowest partition watermark, epoch ms (event time). */
  watermark?: number | null;
  /** Newest event time seen by the processor, epoch ms; watermark delay = this minus the watermark. */
  maxEventTime?: number | null;
  /** Messages sent to the dead-letter topic (rejected), since start. */
  dlq?: number;
  /** Late ticks (past the watermark), since start. */
  late?: number;
  /** MySQL sink state: up, down (failing, retrying) or off (not configured). */
  mysql?: 'up' | 'down' | 'off';
  /** Parquet files written since start. */
  lakeFiles?: number;
}

export type HealthProvider = () => PipelineHealth | Promise<PipelineHealth>;

/** What the lake shows without a pipeline. */
export interface LakeHealth {
  /** Newest tick event time in the lake, epoch ms. */
  newestTick: number | null;
  /** Rows in the lake table `rejected`. */
  rejected: number | null;
  /** Rows in the lake table `late_ticks` (ticks that arrived after their window closed). */
  late?: number | null;
  /** End of the newest closed bar, epoch ms (a lower bound of the watermark). */
  newestBarEnd: number | null;
}

/** One health message of the live stream; null means n/a. */
export interface HealthEvent {
  /** Wall-clock time of the sample, epoch ms. */
  at: number;
  /** `pipeline` when a provider answered, otherwise `lake`. */
  source: 'pipeline' | 'lake';
  ticksPerSecond: number | null;
  consumerLag: number | null;
  watermark: number | null;
  watermarkDelayMs: number | null;
  dlq: number | null;
  late: number | null;
  mysql: 'up' | 'down' | 'off' | null;
  lakeFiles: number | null;
  newestTick: number | null;
  rejected: number | null;
  /** Last error of the live poller or the provider, if the latest poll failed. */
  error: string | null;
}

/** Maps the processor's stats (processors/ticks/processor.ts) to PipelineHealth; `mysql` comes from the caller. */
export function healthFromStats(s: ProcessorStats, mysql: PipelineHealth['mysql']): PipelineHealth {
  return {
    ticks: s.ticks,
    consumerLag: s.lag,
    watermark: s.watermark,
    dlq: s.rejected,
    late: s.late,
    lakeFiles: s.lakeFiles,
    mysql,
  };
}

const num = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Ticks/s is measured over this much wall time of samples (several processor batches). */
export const RATE_WINDOW_MS = 20_000;
/** No rate before the samples span this much (two batches at the default interval): n/a, not a wild guess. */
export const MIN_RATE_SPAN_MS = 4000;

export class HealthTracker {
  /** Provider samples of the last RATE_WINDOW_MS (and the one just before, the window's base), oldest first. */
  private samples: { at: number; ticks: number }[] = [];
  private rate: number | null = null;

  constructor(
    private readonly provider: HealthProvider | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Merges a provider sample (when there is a provider) with the lake's numbers. */
  async sample(lake: LakeHealth, error: string | null): Promise<HealthEvent> {
    const at = this.clock();
    let p: PipelineHealth | undefined;
    if (this.provider) {
      try {
        p = await this.provider();
      } catch (e) {
        error ??= `health provider: ${(e as Error).message}`;
      }
    }
    if (p && typeof p.ticks === 'number') this.rate = this.windowRate(at, p.ticks);
    const watermark = p ? num(p.watermark) : num(lake.newestBarEnd);
    const newest = p ? (num(p.maxEventTime) ?? num(lake.newestTick)) : num(lake.newestTick);
    return {
      at,
      source: p ? 'pipeline' : 'lake',
      ticksPerSecond: p ? (num(p.ticksPerSecond) ?? this.rate) : null,
      consumerLag: p ? num(p.consumerLag) : null,
      watermark,
      watermarkDelayMs: watermark !== null && newest !== null ? Math.max(0, newest - watermark) : null,
      dlq: p && typeof p.dlq === 'number' ? p.dlq : num(lake.rejected),
      late: p && typeof p.late === 'number' ? p.late : num(lake.late),
      mysql: p?.mysql ?? null,
      lakeFiles: p ? num(p.lakeFiles) : null,
      newestTick: num(lake.newestTick),
      rejected: num(lake.rejected),
      error,
    };
  }

  /**
   * Ticks/s over the window. The count grows in steps, one per processor batch: between the first and the newest
   * step in the window lie whole batches, so their growth over their time apart is the rate without the phase error
   * of a fixed window (which counts 4 or 5 batches of a 2 s interval in 10 s: ±10 %); each step's time is the middle
   * between the samples around it, so over 20 s the error is about 0.5 s / 18 s (±3 %). When samples come no more
   * often than batches (a busy machine slows the poller; most samples see a step), the plain average over the
   * window, off by at most one batch over its span; also when no step came for more than two batch intervals (the
   * stream slowed or stopped), which falls to 0. A count that goes back (a restarted processor) starts over.
   */
  private windowRate(at: number, ticks: number): number | null {
    const last = this.samples[this.samples.length - 1];
    if (last && (ticks < last.ticks || at < last.at)) this.samples = [];
    this.samples.push({ at, ticks });
    // keep one sample at or before the window's start as the base
    while (this.samples.length > 2 && this.samples[1].at <= at - RATE_WINDOW_MS) this.samples.shift();
    const base = this.samples[0];
    if (this.samples.length < 2 || at - base.at < MIN_RATE_SPAN_MS) return null;
    // a step happened between the sample before it and its own: take the middle (half a sample interval off at most)
    const steps = this.samples
      .map((x, i) =>
        i > 0 && x.ticks !== this.samples[i - 1].ticks
          ? { at: (x.at + this.samples[i - 1].at) / 2, ticks: x.ticks }
          : null,
      )
      .filter((x): x is { at: number; ticks: number } => x !== null);
    const sparse = steps.length <= 0.75 * (this.samples.length - 1);
    if (sparse && steps.length >= 2) {
      const first = steps[0];
      const newest = steps[steps.length - 1];
      const interval = (newest.at - first.at) / (steps.length - 1);
      if (at - newest.at <= 2 * interval) return ((newest.ticks - first.ticks) * 1000) / (newest.at - first.at);
    }
    return ((ticks - base.ticks) * 1000) / (at - base.at);
  }

  reset(): void {
    this.samples = [];
    this.rate = null;
  }
}

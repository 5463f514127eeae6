/**
 * What a windowing processor reports about its run (ProcessorStats: the status line, the run file, the API, /metrics)
 * and the helpers both of its loops share to keep it: the single-instance one (processor.ts) and the scaled-out one
 * (scaled-processor.ts).
 */
import type { BatchResult } from './core.js';
import type { ProcessorOptions } from './processor.js';
import { countOf, type TickBatch } from './tick-batch.js';

export interface ProcessorStats {
  consumed: number;
  ticks: number;
  /** Messages dead-lettered (`rejected`, `ticks.dlq`): invalid ones and the valid ticks counted below. */
  rejected: number;
  /** Valid ticks dead-lettered for a price or size outside --min-price/--max-price/--max-size, or a year-9999 date. */
  rejectedOutOfRange: number;
  /**
   * The watermark guard tripping: valid ticks dead-lettered because their event time was more than --max-ahead
   * ahead of their Kafka timestamp (or of the clock, when earlier). They did not move any watermark.
   */
  farFutureTicks: number;
  /** Ticks not counted because their identity (src, symbol, seq) was counted before: producer re-sends. */
  duplicates: number;
  late: number;
  bars: number;
  anomalies: number;
  valuations: number;
  batches: number;
  lakeFiles: number;
  mysqlFailures: number;
  /** Result rows MySQL refused for their data: dead-lettered with the reason; the lake has them. */
  mysqlRefused: number;
  /** Messages in the topic not yet consumed (at the last check). */
  lag: number;
  /** The same per partition, with each partition's watermark (epoch ms, null before a tick) (/metrics). */
  partitions?: { partition: number; lag: number; watermark: number | null }[];
  /** Committed batches not yet delivered to every sink (the outbox), at the last delivery. */
  outboxDepth?: number;
  /** True while the MySQL sink is failing and its rows wait in the outbox. */
  mysqlDown?: boolean;
  /** Messages published to the dead-letter topic. */
  deadLetters?: number;
  /** Times the state database's instance was opened again (`stateReopenBatches`; scaled out: any partition's cache). */
  stateReopens?: number;
  /** Lowest partition watermark, epoch ms (null before any tick). */
  watermark: number | null;
  /** Produce time → row visible in the lake, ms, over a sample of messages. */
  freshnessP50Ms: number | null;
  freshnessP99Ms: number | null;
  startedAt: number;
  /** When the first batch with messages was taken (after joining the group). */
  firstBatchAt: number | null;
  /** `untilIdle`: when every message was consumed, committed and delivered, before the final flush of open windows. */
  caughtUpAt: number | null;
  finishedAt: number | null;
}

/**
 * Starts timing a batch at its submit; the returned function, called when its transaction commits, reports the
 * time to `onBatch` (the single-instance loop and each partition engine of the scaled one). A null result (nothing
 * committed) reports nothing.
 */
export function startBatchTimer(onBatch: ProcessorOptions['onBatch']): (r: BatchResult | null) => void {
  const submittedAt = performance.now();
  return (r) => {
    if (r) onBatch?.({ seconds: (performance.now() - submittedAt) / 1000, messages: r.messages });
  };
}

/** Adds a committed batch's counts to a processor's stats (the single-instance loop and the scaled one). */
export function countBatch(stats: ProcessorStats, r: BatchResult): void {
  stats.batches++;
  stats.consumed += r.messages;
  stats.ticks += r.ticks;
  stats.rejected += r.rejected;
  stats.rejectedOutOfRange += r.outOfRange;
  stats.farFutureTicks += r.ahead;
  stats.duplicates += r.duplicates;
  stats.late += r.late;
  stats.bars += r.bars;
  stats.anomalies += r.anomalies;
  stats.valuations += r.valuations;
}

/** The stats of a processor that has not consumed anything yet (also what a test feeds the metrics with). */
export function emptyProcessorStats(startedAt: number): ProcessorStats {
  return {
    consumed: 0,
    ticks: 0,
    rejected: 0,
    rejectedOutOfRange: 0,
    farFutureTicks: 0,
    duplicates: 0,
    late: 0,
    bars: 0,
    anomalies: 0,
    valuations: 0,
    batches: 0,
    lakeFiles: 0,
    mysqlFailures: 0,
    mysqlRefused: 0,
    lag: 0,
    partitions: [],
    outboxDepth: 0,
    mysqlDown: false,
    stateReopens: 0,
    watermark: null,
    freshnessP50Ms: null,
    freshnessP99Ms: null,
    startedAt,
    firstBatchAt: null,
    caughtUpAt: null,
    finishedAt: null,
  };
}

const FRESHNESS_SAMPLE = 20_000;

/** Produce time → row visible in the lake, ms: a uniform sample of up to 20,000 messages over the whole run. */
export class FreshnessSample {
  private readonly sample: number[] = [];
  private seen = 0;
  private sortedAt = 0;

  /** About 200 Kafka timestamps of the batch's messages, every `step`-th across its parsed batches. */
  record(msgs: TickBatch[], visibleAt: number): void {
    const step = Math.max(1, Math.floor(countOf(msgs) / 200));
    let i = 0;
    for (const b of msgs) {
      for (; i < b.count; i += step) {
        const lat = visibleAt - b.timestamps[i];
        this.seen++;
        if (this.sample.length < FRESHNESS_SAMPLE) this.sample.push(lat);
        else {
          const j = Math.floor(Math.random() * this.seen);
          if (j < FRESHNESS_SAMPLE) this.sample[j] = lat;
        }
      }
      i -= b.count; // the step goes on across the next batch
    }
  }

  /**
   * Sets the stats' percentiles. The sample changes once a batch, while stats are read several times a second
   * (status line, run file, API, /metrics): its 20,000 figures are sorted again only when it has changed.
   */
  fill(stats: ProcessorStats): void {
    if (!this.sample.length || this.sortedAt === this.seen) return;
    this.sortedAt = this.seen;
    const s = Float64Array.from(this.sample).sort();
    stats.freshnessP50Ms = s[Math.floor(s.length * 0.5)]!;
    stats.freshnessP99Ms = s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
  }
}

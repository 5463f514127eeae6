/**
 * The windowing processor's numbers (processors/ticks/processor.ts ProcessorStats and the batch hook): consumer lag
 * and watermark per partition, throughput counters, dead letters, late and rejected ticks, the outbox, the MySQL
 * sink. Lag per partition is exact: the processor's own next offset against the partition's high watermark.
 */
import { Histogram } from 'prom-client';
import type { ProcessorStats } from '../processors/ticks/processor.js';
import { type MetricsRegistry, one } from './registry.js';

/** ProcessorStats running totals → counters. A field missing from the stats (not there yet) is not exported. */
export const PROCESSOR_COUNTERS: [field: keyof ProcessorStats | string, name: string, help: string][] = [
  ['consumed', 'ticklake_processor_messages_total', 'Messages consumed from the ticks topic'],
  ['ticks', 'ticklake_processor_ticks_total', 'Valid ticks processed (rate() is ticks/s)'],
  [
    'rejected',
    'ticklake_processor_rejected_total',
    'Messages dead-lettered (lake table rejected): invalid ones, and ticks out of bounds or far in the future',
  ],
  ['deadLetters', 'ticklake_processor_dead_letters_total', 'Messages published to the dead-letter topic'],
  ['late', 'ticklake_processor_late_ticks_total', 'Ticks that arrived after their window closed'],
  ['bars', 'ticklake_processor_bars_total', 'Bars written'],
  ['anomalies', 'ticklake_processor_anomalies_total', 'Anomalies raised'],
  ['valuations', 'ticklake_processor_valuations_total', 'Portfolio valuations written'],
  ['batches', 'ticklake_processor_batches_total', 'Processing batches committed'],
  [
    'stateReopens',
    'ticklake_processor_state_reopens_total',
    'Times the state database was closed and opened again to give back the memory DuckDB keeps (--state-reopen-every)',
  ],
  ['lakeFiles', 'ticklake_lake_files_written_total', 'Lake files written by the processor'],
  ['mysqlFailures', 'ticklake_mysql_retries_total', 'Failed MySQL deliveries, each retried later'],
  // the watermark guard tripping (issue 21 item 5, docs/processor.md "Bounds and guards")
  [
    'farFutureTicks',
    'ticklake_processor_far_future_ticks_total',
    'Ticks dead-lettered by the watermark guard: event time more than --max-ahead past min(Kafka timestamp, clock)',
  ],
];

export interface ProcessorMetricsOptions {
  stats: () => ProcessorStats;
  topic: string;
  /** MySQL configured for the processor (else ticklake_mysql_up is not exported). */
  mysql: boolean;
  /** Extra MySQL state (the private mariadbd is down), beside the sink's own. */
  mysqlServerUp?: () => boolean;
  now?: () => number;
}

export function processorMetrics(
  m: MetricsRegistry,
  opts: ProcessorMetricsOptions,
): { onBatch: (b: { seconds: number; messages: number }) => void } {
  const now = opts.now ?? Date.now;
  const topic = opts.topic;
  for (const [field, name, help] of PROCESSOR_COUNTERS) {
    m.counterFrom(name, help, [], () => {
      const v = (opts.stats() as unknown as Record<string, unknown>)[field];
      return typeof v === 'number' ? [[{}, v]] : [];
    });
  }
  m.gaugeFrom(
    'ticklake_consumer_lag_messages',
    'Messages in the partition not consumed yet',
    ['topic', 'partition'],
    () => (opts.stats().partitions ?? []).map((p) => [{ topic, partition: p.partition }, p.lag]),
  );
  m.gaugeFrom(
    'ticklake_watermark_timestamp_seconds',
    'Event-time watermark of the partition (max event time seen minus allowed lateness)',
    ['topic', 'partition'],
    () =>
      (opts.stats().partitions ?? [])
        .filter((p) => p.watermark !== null)
        .map((p) => [{ topic, partition: p.partition }, (p.watermark as number) / 1000]),
  );
  m.gaugeFrom(
    'ticklake_watermark_delay_seconds',
    'Wall clock minus the lowest partition watermark (how far event time is behind)',
    ['topic'],
    () => {
      const w = opts.stats().watermark;
      return w === null ? [] : [[{ topic }, (now() - w) / 1000]];
    },
  );
  m.gaugeFrom('ticklake_outbox_batches', 'Committed batches not yet delivered to every sink', [], () =>
    one(opts.stats().outboxDepth),
  );
  m.gaugeFrom(
    'ticklake_processor_freshness_seconds',
    'Produce time to row visible in the lake, over a sample of messages',
    ['quantile'],
    () => {
      const s = opts.stats();
      return [
        ...one(s.freshnessP50Ms === null ? null : s.freshnessP50Ms / 1000, { quantile: '0.5' }),
        ...one(s.freshnessP99Ms === null ? null : s.freshnessP99Ms / 1000, { quantile: '0.99' }),
      ];
    },
  );
  if (opts.mysql) {
    m.gaugeFrom('ticklake_mysql_up', 'MySQL reachable for the component (1) or failing (0)', ['component'], () => {
      const down = opts.stats().mysqlDown === true || (opts.mysqlServerUp ? !opts.mysqlServerUp() : false);
      return [[{ component: 'processor' }, down ? 0 : 1]];
    });
  }
  const hist = new Histogram({
    name: 'ticklake_processor_batch_duration_seconds',
    help: 'Time of one processing batch, from submit to its state transaction committed',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [m.registry],
  });
  return { onBatch: (b) => hist.observe(b.seconds) };
}

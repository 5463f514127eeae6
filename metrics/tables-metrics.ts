/**
 * The keyed-table processor's numbers (processors/tables/processor.ts TablesStats): the messages it consumed, the
 * changes it logged (sources and jobs), the messages it dead-lettered, late window rows, stale changes, batches,
 * lake files, MySQL retries, and its consumer lag over every declared topic. Exported only when the processor runs
 * (sql/sources declares a source other than ticks).
 */
import type { TablesStats } from '../processors/tables/processor.js';
import type { MetricsRegistry } from './registry.js';

export const TABLES_COUNTERS: [field: keyof TablesStats, name: string, help: string][] = [
  ['consumed', 'ticklake_tables_messages_total', 'Messages consumed from the declared sources’ topics'],
  ['changes', 'ticklake_tables_changes_total', 'Changes logged (creates, updates, deletes) in sources and jobs'],
  [
    'rejected',
    'ticklake_tables_rejected_total',
    'Messages dead-lettered to <topic>.dlq and the lake’s rejected: invalid for their declaration',
  ],
  ['late', 'ticklake_tables_late_rows_total', 'Rows of window jobs that arrived after their window closed'],
  ['stale', 'ticklake_tables_stale_changes_total', 'Changes dropped because their key already had a newer one'],
  ['batches', 'ticklake_tables_batches_total', 'Batches committed by the keyed-table engine'],
  ['lakeFiles', 'ticklake_tables_lake_files_written_total', 'Change files written to the lake'],
  ['mysqlFailures', 'ticklake_tables_mysql_retries_total', 'Failed MySQL deliveries of changes, each retried later'],
];

export function tablesMetrics(m: MetricsRegistry, stats: () => TablesStats): void {
  for (const [field, name, help] of TABLES_COUNTERS)
    m.counterFrom(name, help, [], () => [[{}, stats()[field] as number]]);
  m.gaugeFrom('ticklake_tables_consumer_lag_messages', 'Messages of the declared topics not consumed yet', [], () => [
    [{}, stats().lag],
  ]);
}

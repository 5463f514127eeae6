/**
 * The embedded broker's numbers, when it runs in this process (`ticklake start`): requests by API (the broker
 * counts them, broker/server.ts) and, per partition, the log's size on disk and its start and end offsets.
 */
import type { BrokerContext } from '../broker/context.js';
import type { MetricsRegistry, Sample } from './registry.js';

/** Kafka API names by key (the protocol guide's), for readable labels. */
export const API_NAMES: Record<number, string> = {
  0: 'Produce',
  1: 'Fetch',
  2: 'ListOffsets',
  3: 'Metadata',
  8: 'OffsetCommit',
  9: 'OffsetFetch',
  10: 'FindCoordinator',
  11: 'JoinGroup',
  12: 'Heartbeat',
  13: 'LeaveGroup',
  14: 'SyncGroup',
  15: 'DescribeGroups',
  16: 'ListGroups',
  18: 'ApiVersions',
  19: 'CreateTopics',
  20: 'DeleteTopics',
  21: 'DeleteRecords',
  22: 'InitProducerId',
  32: 'DescribeConfigs',
  33: 'AlterConfigs',
  37: 'CreatePartitions',
  42: 'DeleteGroups',
  44: 'IncrementalAlterConfigs',
  47: 'OffsetDelete',
};

function perPartition(ctx: BrokerContext, read: (topic: string, p: number) => number | undefined): Sample[] {
  const out: Sample[] = [];
  for (const topic of ctx.topics.names()) {
    const n = ctx.topics.partitionCount(topic) ?? 0;
    for (let p = 0; p < n; p++) {
      const v = read(topic, p);
      if (v !== undefined) out.push([{ topic, partition: p }, v]);
    }
  }
  return out;
}

export function brokerMetrics(m: MetricsRegistry, ctx: BrokerContext): void {
  m.counterFrom('ticklake_broker_requests_total', 'Requests the embedded broker received, by API', ['api'], () =>
    [...(ctx.stats?.requests ?? new Map<number, number>())].map(([k, v]) => [{ api: API_NAMES[k] ?? `api-${k}` }, v]),
  );
  m.gaugeFrom('ticklake_broker_log_size_bytes', 'Bytes of the partition log on disk', ['topic', 'partition'], () =>
    perPartition(ctx, (t, p) => ctx.topics.partition(t, p)?.sizeBytes),
  );
  m.gaugeFrom('ticklake_broker_log_end_offset', 'Log end offset (high watermark)', ['topic', 'partition'], () =>
    perPartition(ctx, (t, p) => ctx.topics.highWatermark(t, p)),
  );
  m.gaugeFrom('ticklake_broker_log_start_offset', 'First offset still in the log', ['topic', 'partition'], () =>
    perPartition(ctx, (t, p) => ctx.topics.logStartOffset(t, p)),
  );
}

/**
 * The names of every metric ticklake exports, read from a real GET /metrics: an app wired as `ticklake start` wires
 * it (an embedded broker, the processor's, lake, compactor and scheduler sources), each histogram with its
 * `_bucket`, `_sum` and `_count` series. Used to check that alert rules and dashboard panels only name real metrics.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../api/app.js';
import { startBroker } from '../../broker/index.js';
import { emptyTablesStats } from '../../processors/tables/processor.js';
import { emptyProcessorStats } from '../../processors/ticks/processor-stats.js';
import { openScheduler } from '../../scheduler/open.js';
import { brokerMetrics } from '../broker-metrics.js';
import { duckdbMetrics } from '../duckdb-metrics.js';
import { compactorMetrics, lakeMetrics } from '../lake-metrics.js';
import { processorMetrics } from '../processor-metrics.js';
import { MetricsRegistry } from '../registry.js';
import { schedulerMetrics } from '../scheduler-metrics.js';
import { tablesMetrics } from '../tables-metrics.js';
import { threadMetrics } from '../thread-metrics.js';

/** Metric names in PromQL or YAML text: every `ticklake_*` identifier, and `up`. */
export function metricNamesIn(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\b(ticklake_[a-z0-9_]+)\b/g)) out.add(m[1]);
  if (/\bup\{/.test(text)) out.add('up');
  return out;
}

/** Names from Prometheus exposition text (`# TYPE` lines), histograms expanded. */
export function namesFromExposition(text: string): Set<string> {
  const out = new Set<string>(['up']); // Prometheus's own, per target
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    out.add(m[1]);
    if (m[2] === 'histogram' || m[2] === 'summary')
      for (const s of ['_bucket', '_sum', '_count']) out.add(`${m[1]}${s}`);
  }
  return out;
}

let cached: Promise<Set<string>> | undefined;

export function exportedMetricNames(): Promise<Set<string>> {
  cached ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-metric-names-'));
    const broker = await startBroker({ port: 0, dataDir: join(dir, 'broker') });
    const lakeDir = join(dir, 'lake');
    const sched = await openScheduler({ lakeDir });
    const m = new MetricsRegistry();
    try {
      brokerMetrics(m, broker.context);
      duckdbMetrics(m); // the scheduler's lake session is open: its memory is a sample
      threadMetrics(m);
      processorMetrics(m, {
        topic: 'ticks',
        mysql: true,
        stats: () => emptyProcessorStats(0),
      });
      tablesMetrics(m, () => emptyTablesStats(0));
      lakeMetrics(m, lakeDir);
      compactorMetrics(m, () => ({
        runs: 0,
        failures: 0,
        partitions: 0,
        filesMerged: 0,
        rows: 0,
        lastRunSeconds: null,
      }));
      schedulerMetrics(m, () => sched.scheduler, { mysql: () => sched.mysql });
      const app = await buildApp({ lakeDir, metrics: m, scheduler: sched.scheduler });
      try {
        await app.inject({ url: '/health' }); // an HTTP request, so the request metrics have a sample
        const text = (await app.inject({ url: '/metrics' })).body;
        return namesFromExposition(text);
      } finally {
        await app.close();
      }
    } finally {
      await sched.close();
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return cached;
}

/**
 * The keyed-table processor's numbers on GET /metrics (metrics/tables-metrics.ts, wired by `ticklake process
 * --metrics-port` and `ticklake start`): a real processor over the embedded broker reads a keyed topic holding, by
 * hand: 5 creates, 2 updates, 1 upsert equal to the row it replaces (no change), 1 delete (a null value), 1 message
 * that is not JSON and 1 whose qty is not a BIGINT — 11 messages, 8 changes, 2 dead-lettered, nothing left to consume.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { startTablesProcessor } from '../../processors/tables/processor.js';
import { useBroker } from '../../test/helpers/broker.js';
import { serveMetrics } from '../http-endpoint.js';
import { MetricsRegistry } from '../registry.js';
import { tablesMetrics } from '../tables-metrics.js';

const ITEMS = `-- title: Items
-- topic: metrics.items
-- format: plain
create table items (id varchar primary key, name varchar not null, qty bigint);
`;

function sample(text: string, name: string): number | undefined {
  const m = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

describe('keyed-table processor counters on /metrics', () => {
  let dir: string;
  let broker: RunningBroker;
  let text: string;

  const embedded = useBroker('tl-tables-metrics', { groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    await mkdir(join(dir, 'sql', 'sources'), { recursive: true });
    await writeFile(join(dir, 'sql', 'sources', 'items.sql'), ITEMS);
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const row = (id: string, name: string, qty: number | string) => JSON.stringify({ id, name, qty });
    await producer.send({
      topic: 'metrics.items',
      messages: [
        ...['a', 'b', 'c', 'd', 'e'].map((id) => ({ key: id, value: row(id, `item ${id}`, 1) })), // 5 creates
        { key: 'a', value: row('a', 'item a', 2) }, // update
        { key: 'b', value: row('b', 'item b', 1) }, // the same row again: no change
        { key: 'c', value: row('c', 'item c', 7) }, // update
        { key: 'd', value: null }, // delete
        { key: 'x', value: '{not json' }, // dead letter
        { key: 'y', value: row('y', 'item y', 'many') }, // dead letter: qty is not a BIGINT
      ],
    });
    await producer.disconnect();

    const proc = await startTablesProcessor({
      brokers: [broker.address],
      lakeDir: join(dir, 'lake'),
      stateDir: join(dir, 'state'),
      sqlDirs: [join(dir, 'sql')],
      sources: ['items'],
      untilIdle: true,
    });
    if (!proc) throw new Error('the keyed-table processor did not start');
    const m = new MetricsRegistry({ processMetrics: false });
    tablesMetrics(m, () => proc.stats());
    const server = await serveMetrics(m, 0, '127.0.0.1');
    try {
      await proc.done;
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      text = await res.text();
    } finally {
      await server.close();
    }
  }, 120_000);

  it('counts messages, changes and dead letters as the topic holds them', () => {
    expect(text).toMatch(/^# TYPE ticklake_tables_changes_total counter$/m);
    expect({
      messages: sample(text, 'ticklake_tables_messages_total'),
      changes: sample(text, 'ticklake_tables_changes_total'),
      rejected: sample(text, 'ticklake_tables_rejected_total'),
      late: sample(text, 'ticklake_tables_late_rows_total'),
      lag: sample(text, 'ticklake_tables_consumer_lag_messages'),
    }).toEqual({ messages: 11, changes: 8, rejected: 2, late: 0, lag: 0 });
    expect(sample(text, 'ticklake_tables_batches_total')).toBeGreaterThan(0);
  });
});

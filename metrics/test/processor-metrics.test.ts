/**
 * The tick processor's counters on GET /metrics (metrics/processor-metrics.ts, served as `ticklake process
 * --metrics-port` serves them): a real processor over the embedded broker reads a topic holding 180 good ticks, two
 * ticks dated years ahead (the watermark guard, issue 21 item 5) and one message that is not a tick, and the
 * exposition read over HTTP counts them as hand-counted here: `ticklake_processor_far_future_ticks_total` 2 (the
 * guard tripping, stat `farFutureTicks`), `ticklake_processor_rejected_total` 3, `ticklake_processor_ticks_total` 180,
 * no late tick.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { type ProcessorStats, type RunningProcessor, startProcessor } from '../../processors/ticks/processor.js';
import { MessageLog, T0 } from '../../processors/ticks/test/fixtures.js';
import { useBroker } from '../../test/helpers/broker.js';
import { produceAll } from '../../test/helpers/processor-run.js';
import { serveMetrics } from '../http-endpoint.js';
import { processorMetrics } from '../processor-metrics.js';
import { MetricsRegistry } from '../registry.js';

const SYMBOLS = ['AAPL', 'MSFT', 'BTC-USD'];

/** `name{labels} value` lines of the exposition, as a map (no labels: the key ''). */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) out.set(m[1] ?? '', Number(m[2]));
  return out;
}

describe('processor counters on /metrics', () => {
  let dir: string;
  let broker: RunningBroker;
  let proc: RunningProcessor | undefined;
  let stats: ProcessorStats;
  let text: string;

  const embedded = useBroker('tl-processor-metrics', { defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    const log = new MessageLog();
    for (let i = 0; i < 60; i++) {
      for (const [k, symbol] of SYMBOLS.entries()) {
        log.tick({
          v: 1,
          symbol,
          exchange: 'SE1',
          assetClass: 'equity',
          ts: T0 + i * 1000 + k,
          price: 100 + k * 10 + (i % 7),
          size: 1 + (i % 5),
        });
      }
      if (i === 20) {
        const far = { v: 1 as const, exchange: 'SE1', assetClass: 'equity' as const, price: 100, size: 1 };
        log.tick({ ...far, symbol: 'AAPL', ts: Date.UTC(2030, 5, 1) });
        log.tick({ ...far, symbol: 'MSFT', ts: Date.UTC(2031, 0, 1) });
        log.add('MSFT', '{not json');
      }
    }
    await produceAll([broker.address], 'ticks', log.messages);

    const m = new MetricsRegistry({ processMetrics: false });
    processorMetrics(m, { stats: () => (proc as RunningProcessor).stats(), topic: 'ticks', mysql: false });
    const server = await serveMetrics(m, 0, '127.0.0.1');
    try {
      proc = await startProcessor({
        brokers: [broker.address],
        lakeDir: join(dir, 'lake'),
        stateDir: join(dir, 'state'),
        untilIdle: true,
        batchMessages: 50,
      });
      stats = await proc.done;
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      text = await res.text();
    } finally {
      await server.close();
    }
  }, 120_000);

  it('exports the watermark guard tripping as ticklake_processor_far_future_ticks_total', () => {
    expect(text).toMatch(/^# TYPE ticklake_processor_far_future_ticks_total counter$/m);
    expect(samples(text, 'ticklake_processor_far_future_ticks_total')).toEqual(new Map([['', 2]]));
    expect(stats.farFutureTicks).toBe(2);
  });

  it('counts the other ticks as the topic holds them: 180 good, 3 dead-lettered, none late', () => {
    const one = (name: string) => samples(text, name).get('');
    expect({
      messages: one('ticklake_processor_messages_total'),
      ticks: one('ticklake_processor_ticks_total'),
      rejected: one('ticklake_processor_rejected_total'),
      late: one('ticklake_processor_late_ticks_total'),
    }).toEqual({ messages: 183, ticks: 180, rejected: 3, late: 0 });
  });
});

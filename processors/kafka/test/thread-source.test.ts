import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import { logger } from '../../../core/log.js';
import { useBroker } from '../../../test/helpers/broker.js';
import { produceAll } from '../../../test/helpers/processor-run.js';
import type { RawBatch } from '../raw-batch.js';
import { RawSource } from '../raw-source.js';

const count = (bs: RawBatch[]) => bs.reduce((n, b) => n + b.count, 0);

describe('ThreadSource.take: what a waiting take leaves behind', () => {
  let broker: RunningBroker;

  const embedded = useBroker('ticklake-thread-source', { defaultPartitions: 1, groupInitialRebalanceDelayMs: 0 });
  beforeAll(() => {
    broker = embedded.broker;
  });

  it('keeps no waiter of a take whose linger ran out: bounded by the takes waiting, not by the takes made', async () => {
    // the keyed-table engine's case in a tick-only run: a source whose topic gets no message for hours, taken
    // every linger; each waiter used to stay until a batch woke it (bench/HISTORY.md, "The heap's growth")
    const s = new RawSource({
      brokers: [broker.address],
      topics: ['quiet'],
      group: 'g-quiet',
      startOffsets: () => new Map(),
      log: logger('test'),
      queueLimit: 1000,
    });
    await s.connect([]);
    await s.start();
    try {
      const takes = 200;
      let got = 0;
      for (let i = 0; i < takes; i++) got += count(await s.take(100, 2));
      expect(got).toBe(0);
      expect(s.waiting).toBe(0);

      // a take waiting for a batch is one waiter, woken by the batch, which it then hands over
      const waiting = s.take(5, 120_000);
      expect(s.waiting).toBe(1);
      await produceAll(
        [broker.address],
        'quiet',
        Array.from({ length: 5 }, (_, i) => ({ partition: 0, offset: i, key: `k${i}`, value: `{"n":${i}}` })),
        1,
      );
      const batches = await waiting;
      expect(count(batches)).toBe(5);
      expect(batches.flatMap((b) => [...b.offsets])).toEqual([...Array(count(batches)).keys()]);
      expect(s.waiting).toBe(0);
    } finally {
      await s.stop();
    }
  });
});

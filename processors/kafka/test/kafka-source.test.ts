import type { Worker } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import { encodeTick, parseTick } from '../../../contracts/tick.js';
import { logger } from '../../../core/log.js';
import { MetricsRegistry } from '../../../metrics/registry.js';
import { threadMetrics } from '../../../metrics/thread-metrics.js';
import { useBroker } from '../../../test/helpers/broker.js';
import { waitFor } from '../../../test/helpers/poll.js';
import { produceAll } from '../../../test/helpers/processor-run.js';
import { tickAt } from '../../ticks/test/fixtures.js';
import type { TickBatch } from '../../ticks/tick-batch.js';
import { KafkaSource } from '../kafka-source.js';

const TOPIC = 'ticks';

/** A message as taken, one per row of the parsed batches: the tick, or the rejected bytes and reason. */
interface Taken {
  partition: number;
  offset: number;
  timestamp: number;
  got: unknown;
}

function rows(batches: TickBatch[]): Taken[] {
  const out: Taken[] = [];
  for (const b of batches) {
    let r = 0;
    for (let i = 0; i < b.count; i++) {
      let got: unknown;
      if (b.valid[i]) {
        got = tickAt(b, i);
      } else {
        const rej = b.rejected[r++];
        expect(rej.index).toBe(i);
        const text = (v: Uint8Array | null) => (v === null ? null : Buffer.from(v).toString());
        got = { reason: rej.reason, key: text(rej.key), value: text(rej.value) };
      }
      out.push({ partition: b.partitions[i], offset: b.offsets[i], timestamp: b.timestamps[i], got });
    }
    expect(r).toBe(b.rejected.length);
  }
  return out;
}

/** What `rows` must give for a sent message: parseTick's verdict on its value. */
function expected(m: { key: string; value: string }): unknown {
  const p = parseTick(Buffer.from(m.value));
  if ('error' in p) return { reason: p.error, key: m.key, value: m.value };
  const { symbol, exchange, assetClass, ts, price, size } = p.tick;
  return { symbol, exchange, assetClass, ts, price, size };
}

describe('KafkaSource: the consumer in its own thread', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  // offsets as the broker assigns them: one partition in three, in order; valid ticks and a few that are not
  const sent = Array.from({ length: 300 }, (_, i) => ({
    partition: i % 3,
    offset: Math.floor(i / 3),
    key: `k${i}`,
    value:
      i % 7 === 0
        ? `{"n":${i},"s":"é"}`
        : encodeTick({
            v: 1,
            symbol: `S${i % 5}`,
            exchange: i % 2 ? 'SE1' : 'SE2',
            assetClass: 'equity',
            ts: 1_767_225_600_000 + i,
            price: 100 + i / 8,
            size: i + 1,
          }),
  }));

  const embedded = useBroker('ticklake-source', { defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    broker = embedded.broker;
    kafka = new Kafka({ clientId: 'test', brokers: [broker.address], logLevel: logLevel.NOTHING });
    await produceAll([broker.address], TOPIC, sent);
  });

  /** A source connected and started: its consumer thread joined the group and fetches. */
  async function started(group: string, queueLimit: number, start = new Map<number, number>()) {
    const s = new KafkaSource({
      brokers: [broker.address],
      topic: TOPIC,
      group,
      startOffsets: () => start,
      log: logger('test'),
      queueLimit,
    });
    await s.connect([]);
    await s.start();
    return s;
  }

  /** Takes until `count` messages came, at most `max` a time; every take within `max`. */
  async function takeAll(s: KafkaSource, count: number, max = 1000): Promise<Taken[]> {
    const got: Taken[] = [];
    const deadline = Date.now() + 30_000;
    while (got.length < count && Date.now() < deadline) {
      const taken = rows(await s.take(max, 200));
      expect(taken.length).toBeLessThanOrEqual(max);
      got.push(...taken);
    }
    return got;
  }

  it('hands over every message once, as produced, from the state offsets on; commits go to the group', async () => {
    // the state says partition 1 is consumed up to offset 40: the thread seeks there on joining
    const s = await started('g-all', 1000, new Map([[1, 40]]));
    try {
      // the thread decodes with kafkajs-fast-fetch.ts (the kafkajs version it was written for is installed)
      expect(s.fastFetch).toBe(true);
      const want = sent.filter((m) => m.partition !== 1 || m.offset >= 40);
      // 37 at a time: partition batches are cut (the rest stays first in the queue)
      const got = await takeAll(s, want.length, 37);
      // per partition in offset order, as fetched
      for (const p of [0, 1, 2]) {
        const offs = got.filter((m) => m.partition === p).map((m) => m.offset);
        expect(offs).toEqual([...offs].sort((a, b) => a - b));
      }
      expect(
        got
          .map((m) => ({ partition: m.partition, offset: m.offset, got: m.got }))
          .sort((a, b) => a.partition - b.partition || a.offset - b.offset),
      ).toEqual(
        want
          .map((m) => ({ partition: m.partition, offset: m.offset, got: expected(m) }))
          .sort((a, b) => a.partition - b.partition || a.offset - b.offset),
      );
      expect(got.some((m) => 'reason' in (m.got as object))).toBe(true);
      for (const m of got) expect(Math.abs(m.timestamp - Date.now())).toBeLessThan(120_000);
      expect(await s.take(1000, 300)).toEqual([]);
      expect(s.queued).toBe(0);

      await s.commitPartitions(
        new Map([
          [0, 100],
          [1, 100],
          [2, 77],
        ]),
      );
      const admin = kafka.admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: 'g-all', topics: [TOPIC] });
      await admin.disconnect();
      expect(committed.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
        [0, '100'],
        [1, '100'],
        [2, '77'],
      ]);
    } finally {
      await s.stop();
    }
  });

  it('stops fetching while its queue is full and goes on when the queue is taken', async () => {
    const s = await started('g-limit', 20);
    try {
      // the first fetch (a fixed sleep found nothing queued yet on a loaded machine), then 1.5 s more: time enough
      // to fetch everything if nothing held it back
      await waitFor('the first messages queued', () => s.queued > 0);
      await new Promise((r) => setTimeout(r, 1500));
      // the thread posts a fetched partition batch, then waits: at most the limit plus one partition's batch
      expect(s.queued).toBeLessThan(20 + 100);
      expect(s.queued).toBeLessThan(sent.length);
      const got = await takeAll(s, sent.length);
      expect(got).toHaveLength(sent.length);
    } finally {
      await s.stop();
    }
  });

  it('reports the consumer thread’s own V8 heap on /metrics, and forgets it once stopped', async () => {
    const m = new MetricsRegistry({ processMetrics: false });
    threadMetrics(m);
    const gauge = async (name: string) => {
      const re = new RegExp(`^${name}\\{thread="kafka-consumer/ticklake-processor"\\} (\\S+)$`, 'm');
      const v = re.exec(await m.render())?.[1];
      return v === undefined ? undefined : Number(v);
    };
    const s = await started('g-memory', 1000);
    try {
      await takeAll(s, sent.length);
      // the thread reports when it starts and every 5 s: a V8 isolate's heap is megabytes, used within reserved
      const total = await gauge('ticklake_thread_heap_size_total_bytes');
      const used = await gauge('ticklake_thread_heap_size_used_bytes');
      expect(total).toBeGreaterThan(1_000_000);
      expect(used).toBeGreaterThan(1_000_000);
      expect(used).toBeLessThanOrEqual(total as number);
      expect(await gauge('ticklake_thread_external_memory_bytes')).toBeGreaterThan(0);
    } finally {
      await s.stop();
    }
    expect(await gauge('ticklake_thread_heap_size_total_bytes')).toBeUndefined();
  });

  it('fails take() when the consumer thread dies, instead of leaving the processor waiting', async () => {
    const s = await started('g-dies', 1000);
    await (s as unknown as { thread: Worker }).thread.terminate();
    await expect(s.take(1000, 10_000)).rejects.toThrow(/consumer thread exited/);
    await s.stop();
  });
});

/**
 * core/kafkajs.ts: kafkajs's producer grouping replaced by a one-pass one. The replacement must group exactly as
 * kafkajs's own (compiled here from kafkajs's source file, not through the module cache core/kafkajs.ts fills), and
 * a process that loads kafkajs the product's way must produce through it: a TickSender request of 12,000 keyed
 * messages, read back with kcat (librdkafka), lands each key on its partition in the order sent.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import { kcatRead } from '../../test/helpers/cdc.js';
import { runFresh } from '../../test/helpers/fresh-process.js';
import { requireTool } from '../../test/helpers/tools.js';
import { groupingModulePath, groupMessagesInOnePass } from '../kafkajs.js';

const require = createRequire(import.meta.url);

type Msg = { key: string | null; value: string; partition?: number };
type Grouping = (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: Msg[];
  partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: Msg }) => number;
}) => Record<string, Msg[]>;

/** kafkajs's own grouping, compiled from its file (whatever the module cache holds for that path). */
function stockGrouping(): Grouping {
  const mod = { exports: {} as unknown };
  new Function('module', 'exports', 'require', readFileSync(groupingModulePath, 'utf8'))(mod, mod.exports, require);
  return mod.exports as Grouping;
}

const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
  partitionErrorCode: 0,
  partitionId,
  leader: 0,
  replicas: [0],
  isr: [0],
}));

describe('core/kafkajs.ts: one-pass grouping of a produce request by partition', () => {
  it('groups exactly as kafkajs 2.2.4 does: same partitions, same message objects in the same order', () => {
    const stock = stockGrouping();
    expect(stock.toString()).toContain('[...current, message]'); // it is the quadratic original
    // kafkajs's partitioner, except that messages without a key go round robin from 0 rather than from a random
    // start, so that two partitioners made alike assign alike
    const makePartitioner = () => {
      const byKey = Partitioners.DefaultPartitioner();
      let next = 0;
      return (a: { topic: string; partitionMetadata: unknown[]; message: Msg }) =>
        a.message.key === null && a.message.partition === undefined ? next++ % 6 : byKey(a as never);
    };
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const messages: Msg[] = Array.from({ length: 20_000 }, (_, i) => {
      const r = rnd();
      if (r < 0.05) return { key: null, value: `v${i}` }; // no key: round robin
      if (r < 0.1) return { key: `k${i}`, value: `v${i}`, partition: Math.floor(rnd() * 6) }; // explicit partition
      return { key: `SYM${Math.floor(rnd() * 50)}`, value: `v${i}` };
    });
    const args = (p: ReturnType<typeof makePartitioner>) => ({
      topic: 't',
      partitionMetadata,
      messages,
      partitioner: p,
    });
    const expected = stock(args(makePartitioner()));
    const actual = groupMessagesInOnePass(args(makePartitioner()));
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
    expect(Object.keys(actual).length).toBe(6);
    for (const p of Object.keys(expected)) {
      expect(actual[p]?.length).toBe(expected[p]?.length);
      expect(actual[p]?.every((m, i) => m === expected[p]?.[i])).toBe(true);
    }
    for (const empty of [[], partitionMetadata.slice(0, 0)]) {
      expect(groupMessagesInOnePass({ ...args(makePartitioner()), partitionMetadata: empty })).toEqual({});
    }
    expect(groupMessagesInOnePass({ ...args(makePartitioner()), messages: [] })).toEqual({});
  });

  describe.skipIf(!requireTool('kcat'))('a process loading kafkajs the way the product does', () => {
    const embedded = useBroker('tl-kafkajs-grouping');
    const topic = 'grouped';
    beforeAll(async () => {
      const admin = new Kafka({ brokers: [embedded.address], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
      await admin.disconnect();
    });

    it('produces through the one-pass grouping, each key on its partition in the order sent', async () => {
      const n = 12_000;
      const code = `
        const { groupingModulePath, groupMessagesInOnePass, onePassGrouping } = await import('./core/kafkajs.ts');
        const { TickSender } = await import('./producers/sender.ts');
        const { createRequire } = await import('node:module');
        const used = createRequire(import.meta.url)(groupingModulePath) === groupMessagesInOnePass;
        const sender = await TickSender.connect({ brokers: [${JSON.stringify(embedded.address)}], topic: '${topic}', batchSize: ${n}, retries: 2 });
        for (let i = 0; i < ${n}; i++) sender.push('SYM' + (i % 37), String(i));
        await sender.flush();
        await sender.close();
        console.log(JSON.stringify({ onePassGrouping, used, acked: sender.acked, requests: sender.requests }));`;
      const { exit, out, err } = await runFresh(code, { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' });
      expect({ exit, err }).toEqual({ exit: 0, err: '' });
      expect(JSON.parse(out)).toEqual({ onePassGrouping: true, used: true, acked: n, requests: 1 });

      const read = await kcatRead([embedded.address], topic);
      expect(read.length).toBe(n);
      const partitioner = Partitioners.DefaultPartitioner();
      for (const m of read) {
        const expected = partitioner({ topic, partitionMetadata, message: { key: m.key, value: m.value } });
        if (m.partition !== expected) throw new Error(`key ${m.key} on partition ${m.partition}, expected ${expected}`);
      }
      // per partition, the values (send order) increase with the offset
      for (let i = 1; i < read.length; i++) {
        const [a, b] = [read[i - 1], read[i]];
        if (a && b && a.partition === b.partition) expect(Number(b.value)).toBeGreaterThan(Number(a.value));
      }
      expect(new Set(read.map((m) => m.partition)).size).toBe(6);
    });
  });
});

/**
 * Avro ticks through the real processor (embedded broker, consumer thread, DuckDB, lake): the seeded run of the
 * processor tests (price jumps, a volume spike, out-of-order and late ticks, invalid messages) goes in three times,
 * to three topics with the same partitions and order: as JSON; with every valid tick as Avro; and mixed (Avro and
 * JSON alternating on one topic), followed there by Avro dead letters. The ticks, bars, anomalies, valuations and
 * late ticks of the Avro and mixed runs must equal the JSON run's (test/helpers/lake-compare.ts says how exactly);
 * the dead letters must carry the reasons the JSON path gives for the same ticks, and an unknown schema id its own
 * reason.
 */
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { parseTick, type Tick } from '../../contracts/tick.js';
import { TICK_AVRO_SCHEMA, tickAvroEncoder, tickSubject } from '../../contracts/tick-avro.js';
import { logger } from '../../core/log.js';
import { startProcessor } from '../../processors/ticks/processor.js';
import { seededRun } from '../../processors/ticks/test/fixtures.js';
import { useBroker } from '../../test/helpers/broker.js';
import { compareLakes, lakeTable } from '../../test/helpers/lake-compare.js';
import { parseAvroSchema } from '../avro-schema.js';
import { RegistryService } from '../service.js';

interface Msg {
  partition: number;
  key: string | null;
  value: string | Buffer | null;
}

let dir: string;
let broker: RunningBroker;
let db: DuckDBConnection;
const stats: Record<string, { ticks: number; rejected: number; late: number }> = {};
let deadReasons: { bad: string; expected: string }[] = [];

async function produce(brokers: string[], topic: string, messages: Msg[]): Promise<void> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < messages.length; i += 2000)
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
  await producer.disconnect();
}

const lake = (run: string, table: string) => lakeTable(join(dir, run, 'lake'), table);

const embedded = useBroker('ticklake-avro-e2e', { defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 });
beforeAll(async () => {
  ({ dir, broker } = embedded);
  const brokers = [broker.address];
  const registry = new RegistryService({ brokers, log: logger('registry') });
  await registry.start({ tail: false, retry: false });
  const id = await registry.registerParsed(tickSubject('t-avro'), parseAvroSchema(JSON.stringify(TICK_AVRO_SCHEMA)));
  // a schema id that is not a record: a framed string is a dead letter like the JSON text "hello"
  const stringId = await registry.registerParsed('strings-value', parseAvroSchema('"string"'));
  await registry.close();
  const avro = tickAvroEncoder(id);

  const run = await seededRun();
  const json: Msg[] = run.log.messages.map((m) => ({
    partition: m.partition,
    key: m.key === null ? null : String(m.key),
    value: m.value === null ? null : String(m.value),
  }));
  // every valid tick as Avro; invalid messages stay as they were (they are dead letters either way)
  const asAvro = (m: Msg): Msg => {
    const p = parseTick(m.value as string);
    return 'tick' in p ? { ...m, value: avro(p.tick) } : m;
  };
  const allAvro = json.map(asAvro);
  expect(allAvro.filter((m) => Buffer.isBuffer(m.value)).length).toBe(json.length - run.invalid);
  const mixed = json.map((m, i) => (i % 2 === 0 ? asAvro(m) : m));

  const victim = parseTick(json.find((m) => 'tick' in parseTick(m.value as string))?.value as string) as { tick: Tick };
  const framed = (schemaId: number, body: Buffer) => {
    const b = Buffer.alloc(5);
    b.writeUInt32BE(schemaId, 1);
    return Buffer.concat([b, body]);
  };
  const good = avro(victim.tick);
  const dead: { value: Buffer; expected: string }[] = [
    {
      value: framed(987654, good.subarray(5)),
      expected: "value: unknown schema id 987654 (not in the schema registry's _schemas topic)",
    },
    {
      value: avro({ ...victim.tick, price: -1 }),
      expected: (parseTick(JSON.stringify({ ...victim.tick, price: -1 })) as { error: string }).error,
    },
    {
      value: avro({ ...victim.tick, size: 0 }),
      expected: (parseTick(JSON.stringify({ ...victim.tick, size: 0 })) as { error: string }).error,
    },
    {
      value: framed(stringId, Buffer.from([10, ...Buffer.from('hello')])),
      expected: (parseTick('"hello"') as { error: string }).error,
    },
  ];
  const truncated = good.subarray(0, good.length - 4);
  for (const d of dead) mixed.push({ partition: 1, key: victim.tick.symbol, value: d.value });
  mixed.push({ partition: 1, key: victim.tick.symbol, value: truncated });

  for (const [name, messages] of [
    ['t-json', json],
    ['t-avro', allAvro],
    ['t-mixed', mixed],
  ] as const) {
    await produce(brokers, name, messages);
    const proc = await startProcessor({
      brokers,
      topic: name,
      group: `g-${name}`,
      lakeDir: join(dir, name, 'lake'),
      stateDir: join(dir, name, 'state'),
      untilIdle: true,
      batchMessages: 2000,
    });
    const s = await proc.done;
    stats[name] = { ticks: s.ticks, rejected: s.rejected, late: s.late };
  }
  db = await (await DuckDBInstance.create(':memory:')).connect();
  const reasons = await db.runAndReadAll(
    `SELECT reason FROM ${lake('t-mixed', 'rejected')} WHERE kafka_partition = 1 ORDER BY kafka_offset DESC LIMIT ${dead.length + 1}`,
  );
  const got = reasons
    .getRowObjectsJS()
    .map((r) => String(r.reason))
    .reverse();
  deadReasons = dead.map((d, i) => ({ bad: got[i], expected: d.expected }));
  deadReasons.push({ bad: got[dead.length], expected: 'truncated' });
}, 240_000);

afterAll(async () => {
  db?.closeSync();
});

describe('Avro ticks and JSON ticks of the same run', () => {
  it('count the same ticks, late ticks and dead letters (the mixed topic has its 5 extra dead letters)', () => {
    expect(stats['t-json'].ticks).toBeGreaterThan(10_000);
    expect(stats['t-avro']).toEqual(stats['t-json']);
    expect(stats['t-mixed']).toEqual({ ...stats['t-json'], rejected: stats['t-json'].rejected + 5 });
  });

  for (const run of ['t-avro', 't-mixed']) {
    it(`give the same ticks, bars, anomalies, valuations and late ticks (${run} against t-json)`, async () => {
      const { problems, counts } = await compareLakes(db, join(dir, 't-json', 'lake'), join(dir, run, 'lake'));
      expect(problems).toEqual([]);
      for (const table of ['ticks', 'bars', 'anomalies', 'valuations', 'late_ticks'])
        expect(counts[table], table).toBeGreaterThan(0);
    });
  }

  it('dead-letter Avro messages with the reasons the JSON path gives, and unknown schema ids with theirs', () => {
    for (const d of deadReasons.slice(0, -1)) expect(d.bad).toBe(d.expected);
    expect(deadReasons.at(-1)?.bad).toMatch(/^value: not Avro of schema id \d+ \(/);
  });
});

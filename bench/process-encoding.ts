/**
 * The JSON-vs-Avro section of `npm run bench:process` (issue 18): the same seeded ticks in both encodings, side by
 * side in one run.
 *
 * - bytes per message value (the key, the symbol, is the same in both);
 * - the consumer thread's parse alone (packTicks over fetched-like Buffers: scanTick for JSON, avsc plus the same
 *   tickProblem for Avro), in memory, alternating rounds, median;
 * - end to end: the ticks pre-produced to one topic per encoding on the bench's broker, then `startProcessor
 *   --until-idle` (lake only) over each, alternating JSON, Avro, JSON, Avro, … with fresh state each time; the
 *   sustained rate (first batch to all delivered, as the e2e figure) per run, medians reported, and the highest RSS
 *   sampled during each encoding's runs; and the CPU time per tick of this process (processor threads, DuckDB) and
 *   of the broker process, which, unlike wall time, other jobs on a shared machine do not inflate.
 */
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { parseTick } from '../contracts/tick.js';
import { parseTickAvro, TICK_AVRO_SCHEMA, tickAvroEncoder, tickSubject } from '../contracts/tick-avro.js';
import { logger } from '../core/log.js';
import { startProcessor } from '../processors/ticks/processor.js';
import { packTicks, type TickParser } from '../processors/ticks/tick-batch.js';
import type { Simulator } from '../producers/simulator.js';
import { parseAvroSchema } from '../registry/avro-schema.js';
import { RegistryService } from '../registry/service.js';
import { wireSchemaId } from '../registry/wire-format.js';
import { median } from './stats.js';

export interface EncodingResult {
  bytes: { json: number; avro: number };
  parse: { json: number; avro: number };
  e2e: { json: number[]; avro: number[] };
  /** Processing batches (state transactions) per run. */
  batches: { json: number[]; avro: number[] };
  /** CPU time per tick (µs) of this process (processor, both threads, DuckDB) and of the broker, per run. */
  cpuUs: { json: number[]; avro: number[] };
  brokerCpuUs: { json: number[]; avro: number[] };
  rssMiB: { json: number; avro: number };
  schemaId: number;
}

export async function benchEncodings(opts: {
  brokers: string[];
  dir: string;
  ticks: number;
  rounds: number;
  simulator: () => Simulator;
  partitions: number;
  /** CPU seconds the broker process has used so far (user + system). */
  brokerCpuSeconds: () => number;
}): Promise<EncodingResult & { medians: { json: number; avro: number } }> {
  const registry = new RegistryService({ brokers: opts.brokers, log: logger('registry') });
  await registry.start({ tail: false, retry: false });
  const schemaId = await registry.registerParsed(
    tickSubject('enc-avro'),
    parseAvroSchema(JSON.stringify(TICK_AVRO_SCHEMA)),
  );
  await registry.close();
  const avro = tickAvroEncoder(schemaId);

  // the same ticks, both encodings
  const sim = opts.simulator();
  const keys: string[] = [];
  const json: Buffer[] = [];
  const bin: Buffer[] = [];
  while (keys.length < opts.ticks && sim.next()) {
    const t = sim.tick();
    keys.push(t.symbol);
    json.push(Buffer.from(sim.encode()));
    bin.push(avro(t));
  }
  const size = (bs: Buffer[]) => bs.reduce((a, b) => a + b.length, 0) / bs.length;

  // the consumer thread's parse, alone
  const type = parseAvroSchema(JSON.stringify(TICK_AVRO_SCHEMA)).type;
  const avroParse: TickParser = (v) => {
    const id = wireSchemaId(v);
    return id < 0 ? parseTick(v) : parseTickAvro(v as Buffer, id, () => type);
  };
  const asMessages = (bs: Buffer[]) => bs.map((value, i) => ({ offset: i, key: null, value }));
  const parseRate = (bs: Buffer[], parse: TickParser) => {
    const ms = asMessages(bs);
    const t0 = performance.now();
    for (let i = 0; i < ms.length; i += 15_000) packTicks(ms.slice(i, i + 15_000), 0, parse);
    return bs.length / ((performance.now() - t0) / 1000);
  };
  const parseJson: number[] = [];
  const parseAvro: number[] = [];
  for (let r = 0; r < 5; r++) {
    parseJson.push(parseRate(json, parseTick));
    parseAvro.push(parseRate(bin, avroParse));
  }

  // end to end
  const kafka = new Kafka({ brokers: opts.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: ['enc-json', 'enc-avro'].map((topic) => ({ topic, numPartitions: opts.partitions })),
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (const [topic, values] of [
    ['enc-json', json],
    ['enc-avro', bin],
  ] as const)
    for (let i = 0; i < values.length; i += 10_000)
      await producer.send({
        topic,
        acks: -1,
        messages: values.slice(i, i + 10_000).map((value, j) => ({ key: keys[i + j], value })),
      });
  await producer.disconnect();

  const e2e = { json: [] as number[], avro: [] as number[] };
  const batches = { json: [] as number[], avro: [] as number[] };
  const cpuUs = { json: [] as number[], avro: [] as number[] };
  const brokerCpuUs = { json: [] as number[], avro: [] as number[] };
  const rssMiB = { json: 0, avro: 0 };
  for (let r = 0; r < opts.rounds; r++) {
    for (const enc of ['json', 'avro'] as const) {
      const proc = await startProcessor({
        brokers: opts.brokers,
        topic: `enc-${enc}`,
        group: `enc-${enc}-${r}`,
        lakeDir: join(opts.dir, `enc-${enc}-${r}`, 'lake'),
        stateDir: join(opts.dir, `enc-${enc}-${r}`, 'state'),
        untilIdle: true,
      });
      const cpu0 = process.cpuUsage();
      const broker0 = opts.brokerCpuSeconds();
      const sampler = setInterval(() => {
        rssMiB[enc] = Math.max(rssMiB[enc], Math.round(process.memoryUsage().rss / 2 ** 20));
      }, 100);
      const s = await proc.done;
      clearInterval(sampler);
      const cpu = process.cpuUsage(cpu0);
      cpuUs[enc].push((cpu.user + cpu.system) / s.consumed);
      brokerCpuUs[enc].push(((opts.brokerCpuSeconds() - broker0) * 1e6) / s.consumed);
      if (s.ticks !== keys.length) throw new Error(`enc-${enc}: ${s.ticks} of ${keys.length} ticks processed`);
      e2e[enc].push(s.consumed / (((s.caughtUpAt ?? Number.NaN) - (s.firstBatchAt ?? Number.NaN)) / 1000));
      batches[enc].push(s.batches);
    }
  }
  return {
    bytes: { json: size(json), avro: size(bin) },
    parse: { json: median(parseJson), avro: median(parseAvro) },
    e2e,
    batches,
    cpuUs,
    brokerCpuUs,
    medians: { json: median(e2e.json), avro: median(e2e.avro) },
    rssMiB,
    schemaId,
  };
}

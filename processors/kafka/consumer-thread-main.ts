/**
 * The processor's consumer thread: the kafkajs consumer-group member, off the main thread (thread-source.ts says
 * why), for one or more topics. Its `eachBatch` packs each fetched partition batch into columns — parsed ticks
 * (tick-batch.ts: `parseTick` on every value as kafkajs fetched it, so the main thread neither parses nor allocates
 * per message) or the raw messages (raw-batch.ts) — and posts them, the memory moved, not copied. It waits while the main thread has `queueLimit` messages queued (a counter both threads
 * share), heart-beating meanwhile, so a slow processor holds the fetches back instead of filling memory. On joining
 * the group it seeks every assigned partition to the state's next offset, the latest the main thread sent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { parseTick } from '../../contracts/tick.js';
import { parseTickAvro } from '../../contracts/tick-avro.js';
import { PartitionAssigners } from '../../core/kafkajs.js';
import type { Logger } from '../../core/log.js';
import { SchemaLookup } from '../../registry/schema-lookup.js';
import { wireSchemaId } from '../../registry/wire-format.js';
import { packTicks, type TickParser, transferList } from '../ticks/tick-batch.js';
import type { ConsumerThreadConfig, FromThread, LogLevel, OffsetTriple, ToThread } from './consumer-protocol.js';
import { processorKafka } from './kafka-client.js';
import { fastFetchInstalled } from './kafkajs-fast-fetch.js';
import { packRaw, rawTransferList } from './raw-batch.js';
import { stickyAssigner } from './sticky-assigner.js';

const port = parentPort;
if (!port) throw new Error('consumer-thread-main.ts runs as a worker thread (see thread-source.ts)');
const cfg = workerData as ConsumerThreadConfig;
const queued = new Int32Array(cfg.queued);
/** Next offset per topic and partition, as the main thread last said. */
const offsets = new Map<string, Map<number, number>>();
const setOffsets = (triples: OffsetTriple[]) => {
  for (const [topic, p, o] of triples) {
    const m = offsets.get(topic) ?? new Map<number, number>();
    offsets.set(topic, m);
    m.set(p, o);
  }
};
setOffsets(cfg.offsets);

const post = (m: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
// this isolate's heap is not in the main thread's process.memoryUsage(): report it for /metrics
const MEMORY_REPORT_MS = 5000;
const reportMemory = () => {
  const { heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  post({ t: 'memory', memory: { heapTotal, heapUsed, external, arrayBuffers } });
};
reportMemory();
setInterval(reportMemory, MEMORY_REPORT_MS).unref();
const log = (level: LogLevel, obj: Record<string, unknown>, msg: string) => post({ t: 'log', level, obj, msg });
/** `log` with a pino-like face, for modules that take a Logger. */
function pinoLike() {
  const at = (level: LogLevel) => (obj: Record<string, unknown>, msg: string) => log(level, obj, msg);
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } as unknown as Logger;
}

const kafka = processorKafka(cfg.brokers, cfg.clientId, log);
// kafkajs decodes a whole fetch response before the first eachBatch of it: at 1 MiB per partition (Kafka's own
// max.partition.fetch.bytes default) one decode is ~15k messages, so the main thread's queue refills in small steps
// instead of waiting for one 24 MB response to be decoded
// sticky: a member joining or leaving moves only the partitions it must (sticky-assigner.ts); round-robin stays
// listed for a group with members of an older ticklake
const sticky = stickyAssigner();
const consumer = kafka.consumer({
  groupId: cfg.group,
  partitionAssigners: [sticky.assigner, PartitionAssigners.roundRobin],
  maxBytesPerPartition: 1024 * 1024,
  maxBytes: 10 * 1024 * 1024,
  maxWaitTimeInMs: 100,
  sessionTimeout: cfg.sessionTimeoutMs,
  // Kafka's rule of thumb: a third of the session timeout at most
  heartbeatInterval: Math.max(100, Math.min(3000, Math.floor(cfg.sessionTimeoutMs / 3))),
});
// ticks in JSON and Avro (Confluent wire format) on one topic: a framed value is read under the schema its id names,
// found in the `_schemas` topic (registry/schema-lookup.ts; nothing is read from it until a framed value arrives)
const schemas = new SchemaLookup({ brokers: cfg.brokers, clientId: `${cfg.clientId}-schemas`, log: pinoLike() });
const parse: TickParser = (value) => {
  const id = wireSchemaId(value);
  return id < 0 ? parseTick(value) : parseTickAvro(value as Buffer, id, schemas.typeOf);
};

consumer.on(consumer.events.GROUP_JOIN, (e) => {
  // the state decides, also for a partition it has never seen (from the start; an offset below the log start is
  // reset to the earliest by the consumer), whatever this group committed to Kafka before. The offsets may be a
  // batch behind the state's: what is fetched again is below the state's offsets and dropped by the engine.
  sticky.remember(e.payload.memberAssignment);
  const assigned: Record<string, number[]> = {};
  for (const topic of cfg.topics) {
    const parts = e.payload.memberAssignment[topic] ?? [];
    assigned[topic] = parts;
    for (const p of parts) consumer.seek({ topic, partition: p, offset: String(offsets.get(topic)?.get(p) ?? 0) });
  }
  log('info', { assigned }, 'joined the group');
  post({ t: 'assigned', assignment: assigned });
});
consumer.on(consumer.events.CRASH, (e) => {
  if (!e.payload.restart) post({ t: 'crash', error: e.payload.error.message });
});

port.on('message', (m: ToThread) => {
  switch (m.t) {
    case 'offsets':
      setOffsets(m.offsets);
      break;
    case 'commit':
      setOffsets(m.offsets);
      consumer
        .commitOffsets(m.offsets.map(([topic, partition, offset]) => ({ topic, partition, offset: String(offset) })))
        .then(
          () => post({ t: 'reply', id: m.id }),
          (e: Error) => post({ t: 'reply', id: m.id, error: e.message }),
        );
      break;
    case 'seek':
      setOffsets([[m.topic, m.partition, m.offset]]);
      consumer.seek({ topic: m.topic, partition: m.partition, offset: String(m.offset) });
      break;
    case 'pause':
      consumer.pause(cfg.topics.map((topic) => ({ topic })));
      break;
    case 'resume':
      consumer.resume(cfg.topics.map((topic) => ({ topic })));
      break;
    case 'stop':
      Promise.all([consumer.disconnect(), schemas.close()])
        .catch(() => {})
        .then(() => post({ t: 'reply', id: m.id })); // the main thread then terminates this thread
      break;
  }
});

await consumer.connect();
await consumer.subscribe({ topics: cfg.topics, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: true,
  eachBatch: async ({ batch, isRunning, isStale, heartbeat }) => {
    if (batch.messages.length === 0) return;
    if (cfg.mode === 'ticks') {
      await schemas.prepare(batch.messages.map((m) => m.value));
      const packed = packTicks(batch.messages, batch.partition, parse);
      Atomics.add(queued, 0, batch.messages.length);
      post({ t: 'batch', batch: packed }, transferList(packed));
    } else {
      const packed = packRaw(batch.topic, batch.partition, batch.messages);
      Atomics.add(queued, 0, batch.messages.length);
      post({ t: 'batch', batch: packed }, rawTransferList(packed));
    }
    while (Atomics.load(queued, 0) >= cfg.queueLimit && isRunning() && !isStale()) {
      await sleep(20);
      await heartbeat();
    }
  },
});
post({ t: 'started', fastFetch: fastFetchInstalled() });

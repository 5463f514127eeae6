/**
 * Log compaction end to end: kcat produces keyed records (updates and tombstones, every codec librdkafka has)
 * to a topic created with cleanup.policy=compact; after compaction kcat reads exactly the latest record per
 * key at its original offset (the expectation is a fold over the lines the test wrote, computed here), and a
 * kafkajs consumer reads the same across the offset gaps. Tombstones go once delete.retention.ms has passed.
 * A small offset map (the cleaner's memory bound) takes several passes to the same result.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import { requireTool } from '../../test/helpers/tools.js';
import { type RunningBroker, startBroker } from '../index.js';
import { consumeAll } from './consume-all.js';

const run = promisify(execFile);
const kcat = requireTool('kcat');

let dir: string;
let broker: RunningBroker;

// The background cleaner off: each test runs passes itself (one test turns to the timer).
const embedded = useBroker('tl-broker-compact', { defaultPartitions: 1, cleanerIntervalMs: 0 });
beforeAll(() => {
  ({ dir, broker } = embedded);
});

async function kc(args: string[], address = broker.address): Promise<string> {
  const { stdout } = await run(kcat!, ['-b', address, '-X', 'log_level=0', ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** A keyed workload: n records over `keys` keys, every 7th a delete (tombstone), then a barrier record. */
function workload(n: number, keys: number, tag: string): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  for (let i = 0; i < n; i++) {
    const key = `${tag}-k${(i * 7919) % keys}`;
    out.push([key, i % 7 === 3 ? null : `${tag}-v${i}-${'p'.repeat(i % 50)}`]);
  }
  return out;
}

/**
 * Produces with kcat to partition 0 (so the i-th line gets offset i), then one record larger than the segment
 * size: it rolls the log, leaving every workload record in closed segments.
 */
async function produce(topic: string, records: Array<[string, string | null]>, codec: string, segmentBytes: number) {
  const file = join(dir, `${topic}.txt`);
  await writeFile(file, `${records.map(([k, v]) => `${k}\t${v ?? ''}`).join('\n')}\n`);
  // Batches of 40 records, so that segments roll and batches are partly compacted.
  await kc(['-P', '-t', topic, '-p', '0', '-K', '\t', '-Z', '-z', codec, '-X', 'batch.num.messages=40', '-l', file]);
  await writeFile(file, `barrier\t${'b'.repeat(segmentBytes + 100)}\n`);
  await kc(['-P', '-t', topic, '-p', '0', '-K', '\t', '-l', file]);
}

/** Expected after compaction: the last record of each key, at its offset (a fold written here). */
function latest(records: Array<[string, string | null]>, keepTombstones: boolean): string[] {
  const last = new Map<string, { offset: number; value: string | null }>();
  records.forEach(([k, v], offset) => {
    last.set(k, { offset, value: v });
  });
  const out: string[] = [];
  for (const [k, { offset, value }] of last) {
    if (value === null && !keepTombstones) continue;
    out.push(`${offset} ${k}=${value ?? 'NULL'}`);
  }
  out.push(`${records.length} barrier=`);
  return out.sort();
}

async function readAll(topic: string): Promise<string[]> {
  const out = await kc(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-Z', '-f', '%o %k=%s\n']);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (l.includes(' barrier=') ? l.replace(/=b+$/, '=') : l))
    .sort();
}

async function createCompacted(topic: string, configs: Record<string, string>) {
  expect(await broker.context.topics.create(topic, 1, false, { 'cleanup.policy': 'compact', ...configs })).toBe(0);
}

describe.skipIf(!kcat)('log compaction', () => {
  it('keeps only the latest record per key, at its offset, for every codec; kafkajs reads across the gaps', async () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `compact-${codec}`;
      await createCompacted(topic, { 'segment.bytes': '8192' });
      const records = workload(3000, 150, codec);
      await produce(topic, records, codec, 8192);
      const before = await readAll(topic);
      expect(before).toHaveLength(records.length + 1);
      const results = await broker.context.topics.compactAll({ topic, force: true });
      expect(results).toHaveLength(1);
      expect(results[0].bytesAfter).toBeLessThan(results[0].bytesBefore / 3);
      expect(await readAll(topic)).toEqual(latest(records, true));
      // The high watermark did not move; the log start neither.
      expect(broker.context.topics.highWatermark(topic, 0)).toBe(records.length + 1);
      expect(broker.context.topics.logStartOffset(topic, 0)).toBe(0);
    }
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const want = latest(workload(3000, 150, 'gzip'), true);
    const got = await consumeAll(kafka, 'compact-gzip', want.length, { timeoutMs: 20_000 });
    const lines = got.map((m) => `${m.offset} ${m.key}=${m.value ?? 'NULL'}`.replace(/=b+$/, '=')).sort();
    expect(lines).toEqual(want);
  });

  it('drops tombstones once delete.retention.ms has passed, also without new data', async () => {
    // The cleaner's clock is passed in (compactAll's `now`): with wall-clock sleeps this test failed on a loaded
    // machine, where reading the topic back between two passes took longer than the retention.
    await createCompacted('tomb', { 'segment.bytes': '4096', 'delete.retention.ms': '60000' });
    const records = workload(800, 40, 'tomb');
    await produce('tomb', records, 'none', 4096);
    await broker.context.topics.compactAll({ topic: 'tomb', force: true });
    // Not yet: a pass right after changes nothing.
    expect(await broker.context.topics.compactAll({ topic: 'tomb', now: Date.now() })).toEqual([]);
    const withTombstones = latest(records, true);
    expect(withTombstones.some((l) => l.endsWith('=NULL'))).toBe(true);
    expect(await readAll('tomb')).toEqual(withTombstones);
    // Once delete.retention.ms has passed, a pass drops them, also without new data.
    const again = await broker.context.topics.compactAll({ topic: 'tomb', now: Date.now() + 60_001 });
    expect(again).toHaveLength(1);
    expect(await readAll('tomb')).toEqual(latest(records, false));
  });

  it('with a small offset map, compacts in several passes to the same result', async () => {
    const d = await mkdtemp(join(tmpdir(), 'tl-broker-compact-small-'));
    // 24 bytes a slot: 100 slots, 90 keys per pass, against 600 keys.
    const b = await startBroker({ port: 0, dataDir: d, cleanerIntervalMs: 0, cleanerBufferBytes: 2400 });
    try {
      expect(
        await b.context.topics.create('small-map', 1, false, { 'cleanup.policy': 'compact', 'segment.bytes': '4096' }),
      ).toBe(0);
      const records = workload(4000, 600, 'sm');
      const file = join(d, 'in.txt');
      await writeFile(file, `${records.map(([k, v]) => `${k}\t${v ?? ''}`).join('\n')}\n`);
      await kc(
        ['-P', '-t', 'small-map', '-p', '0', '-K', '\t', '-Z', '-X', 'batch.num.messages=20', '-l', file],
        b.address,
      );
      // The barrier on its own (a separate run, so never batched with the records): it rolls the segment.
      await writeFile(file, `barrier\t${'b'.repeat(4200)}\n`);
      await kc(['-P', '-t', 'small-map', '-p', '0', '-K', '\t', '-l', file], b.address);
      let passes = 0;
      while ((await b.context.topics.compactAll({ topic: 'small-map', force: true })).length > 0) passes++;
      expect(passes).toBeGreaterThan(3);
      const out = await kc(
        ['-C', '-t', 'small-map', '-p', '0', '-o', 'beginning', '-e', '-Z', '-f', '%o %k=%s\n'],
        b.address,
      );
      const got = out
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.replace(/ barrier=b+$/, ' barrier='))
        .sort();
      expect(got).toEqual(latest(records, true));
    } finally {
      await b.close();
      await rm(d, { recursive: true, force: true });
    }
  });

  it('runs in the background on its own timer and leaves the active segment alone', async () => {
    const d = await mkdtemp(join(tmpdir(), 'tl-broker-compact-bg-'));
    const b = await startBroker({ port: 0, dataDir: d, cleanerIntervalMs: 100 });
    try {
      expect(
        await b.context.topics.create('bg', 1, false, { 'cleanup.policy': 'compact', 'segment.bytes': '1000000' }),
      ).toBe(0);
      const kafka = new Kafka({ brokers: [b.address], logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      // Everything in the active segment: never compacted, all 200 records stay.
      for (let i = 0; i < 200; i++)
        await producer.send({ topic: 'bg', messages: [{ key: `k${i % 5}`, value: `v${i}` }] });
      await new Promise((r) => setTimeout(r, 400));
      expect(b.context.topics.partition('bg', 0)!.closedSegments()).toHaveLength(0);
      // A smaller segment size (AlterConfigs would do the same) rolls the log; the timer then compacts it.
      Object.assign(b.context.topics.partition('bg', 0)!.settings, { segmentBytes: 1000 });
      await producer.send({ topic: 'bg', messages: [{ key: 'last', value: 'x'.repeat(1200) }] });
      await producer.disconnect();
      const deadline = Date.now() + 10_000;
      while (b.context.topics.partition('bg', 0)!.cleanerCheckpoint === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const out = await kc(['-C', '-t', 'bg', '-p', '0', '-o', 'beginning', '-e', '-f', '%k=%s\n'], b.address);
      expect(out.split('\n').filter((l) => l !== '' && !l.startsWith('last='))).toEqual([
        'k0=v195',
        'k1=v196',
        'k2=v197',
        'k3=v198',
        'k4=v199',
      ]);
    } finally {
      await b.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});

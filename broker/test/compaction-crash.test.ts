/**
 * SIGKILL during compaction loses no latest value. A `ticklake broker` child with the cleaner on a short timer
 * kills itself (TICKLAKE_CRASH_AT, core/crash-points.ts) at each step of a compaction pass: while writing a
 * compacted copy, before a segment swap, between deleting the index and renaming, after one swap of several,
 * before the checkpoint. After a restart, folding what the log holds (in offset order, a null value deleting
 * its key) gives exactly the fold of what kafkajs had acknowledged; once the restarted broker has compacted,
 * kcat reads exactly the latest record per key at its original offset.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../../test/helpers/tools.js';
import { type BrokerProcess, killBrokerProcess, startBrokerProcess } from './broker-process.js';

const run = promisify(execFile);
const kcat = requireTool('kcat');

let root: string;
let live: BrokerProcess | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-broker-compact-crash-'));
});
afterEach(async () => {
  await killBrokerProcess(live);
  live = undefined;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const FLAGS = ['--cleaner-interval', '200ms', '--default-partitions', '1'];

interface Sent {
  offset: number;
  key: string;
  value: string | null;
}

/** Produces 1500 keyed records (100 keys once, then 60 keys again and again; every 9th a tombstone) in batches of 25, acks=-1; returns them with their offsets. */
async function produceWorkload(address: string): Promise<Sent[]> {
  const kafka = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      {
        topic: 'crash',
        numPartitions: 1,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'segment.bytes', value: '6000' },
          // No pass while the test still produces: the whole workload is in place when the cleaner starts.
          { name: 'min.compaction.lag.ms', value: '6000' },
        ],
      },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const sent: Sent[] = [];
  for (let b = 0; b < 60; b++) {
    const batch = Array.from({ length: 25 }, (_, j) => {
      const i = b * 25 + j;
      // The first 100 keys are written once (their only, latest value sits in the oldest segments), the rest
      // updates 60 keys over and over.
      const key = i < 100 ? `once-${i}` : `key-${(i * 37) % 60}`;
      return { key, value: i % 9 === 4 ? null : `value-${i}-${'z'.repeat(i % 40)}` };
    });
    const [meta] = await producer.send({ topic: 'crash', acks: -1, messages: batch });
    batch.forEach((m, j) => {
      sent.push({ offset: Number(meta.baseOffset) + j, key: m.key, value: m.value });
    });
  }
  // A last record in a segment of its own: everything above is in closed segments, open to compaction.
  await producer.send({ topic: 'crash', acks: -1, messages: [{ key: 'barrier', value: 'b'.repeat(7000) }] });
  await producer.disconnect();
  return sent;
}

/** key → latest value, deletes removed: the state a consumer of the topic builds. */
function fold(records: Array<{ key: string; value: string | null }>): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of records) {
    if (r.value === null) m.delete(r.key);
    else m.set(r.key, r.value);
  }
  return m;
}

async function readLog(address: string): Promise<Sent[]> {
  const { stdout } = await run(
    kcat!,
    [
      '-b',
      address,
      '-X',
      'log_level=0',
      '-C',
      '-t',
      'crash',
      '-p',
      '0',
      '-o',
      'beginning',
      '-e',
      '-Z',
      '-f',
      '%o\t%k\t%s\n',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [offset, key, value] = l.split('\t');
      return { offset: Number(offset), key, value: value === 'NULL' ? null : value };
    })
    .filter((r) => r.key !== 'barrier');
}

/** The latest record of each key (tombstones included), in offset order. */
function latestRecords(sent: Sent[]): Sent[] {
  const last = new Map<string, Sent>();
  for (const s of sent) last.set(s.key, s);
  return [...last.values()].sort((a, b) => a.offset - b.offset);
}

const POINTS = [
  'cleaner-mid-write:1',
  'cleaner-before-swap:2',
  'cleaner-mid-swap:1',
  'cleaner-after-swap:2',
  'cleaner-before-checkpoint:1',
];

describe.skipIf(!kcat)('SIGKILL during compaction', () => {
  it.each(POINTS)('at %s loses no latest value', { timeout: 120_000 }, async (point) => {
    const dataDir = join(root, point.replace(':', '-'));
    live = await startBrokerProcess(dataDir, FLAGS, { TICKLAKE_CRASH_AT: point });
    const sent = await produceWorkload(live.address);
    // The cleaner starts once the compaction lag has passed, and the crash hook kills the broker mid-pass.
    const how = await Promise.race([live.exited, new Promise<string>((r) => setTimeout(() => r('alive'), 40_000))]);
    expect(how, live.stderr()).toBe('SIGKILL');
    expect(live.stderr()).toContain(`killing myself at ${point}`);

    live = await startBrokerProcess(dataDir, ['--cleaner-interval', '0', '--default-partitions', '1']);
    const after = await readLog(live.address);
    // Every record still there is one that was sent, at its offset; the fold is exactly the acknowledged one.
    const byOffset = new Map(sent.map((s) => [s.offset, s]));
    for (const r of after) expect(byOffset.get(r.offset)).toEqual(r);
    expect(fold(after)).toEqual(fold(sent));
    await killBrokerProcess(live);

    // A restarted broker with its cleaner on finishes the job: exactly the latest record per key.
    live = await startBrokerProcess(dataDir, FLAGS);
    const want = latestRecords(sent);
    const deadline = Date.now() + 15_000;
    let got = await readLog(live.address);
    while (got.length !== want.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      got = await readLog(live.address);
    }
    expect(got).toEqual(want);
  });
});

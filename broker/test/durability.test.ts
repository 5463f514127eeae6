/**
 * Durability across a crash: a broker in a child process (`ticklake broker`) is killed with SIGKILL while a
 * kafkajs producer with acks=-1 is sending; a new broker on the same data dir must hold every message that
 * was acknowledged before the kill.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, truncateSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess } from './broker-process.js';
import { consumeAll } from './consume-all.js';

let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-broker-durable-'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function startChild(dataDir: string): Promise<{ child: ChildProcess; address: string }> {
  const p = await startBrokerProcess(dataDir, ['--default-partitions', '2']);
  children.push(p.child);
  return p;
}

describe('durability', () => {
  it('keeps every acks=-1 acknowledged message after SIGKILL and restart', async () => {
    const first = await startChild(dir);
    const kafka = new Kafka({ brokers: [first.address], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();

    const acked: string[] = [];
    let killed = false;
    // Four concurrent senders, each waiting for acks=-1 before its next batch; the kill lands mid-flight.
    const sender = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const values = Array.from({ length: 20 }, (_, j) => `w${w}-b${i}-m${j}-${'p'.repeat(100)}`);
        try {
          await producer.send({ topic: 'durable', acks: -1, messages: values.map((value) => ({ value })) });
          if (!killed) acked.push(...values);
        } catch {
          return;
        }
      }
    };
    const senders = [0, 1, 2, 3].map(sender);
    while (acked.length < 2000) await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(senders);
    await producer.disconnect().catch(() => {});
    // Anything acknowledged before SIGKILL was recorded before `killed` flipped (same event loop turn order).
    const mustHave = [...acked];
    expect(mustHave.length).toBeGreaterThanOrEqual(2000);

    const second = await startChild(dir);
    const kafka2 = new Kafka({ brokers: [second.address], logLevel: logLevel.NOTHING });
    const admin2 = kafka2.admin();
    await admin2.connect();
    const offsets = await admin2.fetchTopicOffsets('durable');
    await admin2.disconnect();
    const total = offsets.reduce((n, o) => n + Number(o.high), 0);
    expect(total).toBeGreaterThanOrEqual(mustHave.length);
    const got = new Set((await consumeAll(kafka2, 'durable', total, { timeoutMs: 30_000 })).map((m) => m.value));
    const missing = mustHave.filter((v) => !got.has(v));
    expect(missing).toEqual([]);
    second.child.kill('SIGKILL');
    await new Promise((r) => second.child.once('exit', r));

    // A torn tail: garbage after partition 0's last batch, and partition 1 cut in the middle of its last batch.
    const segment = (p: number) => {
      const d = join(dir, 'topics', `durable-${p}`);
      return join(
        d,
        readdirSync(d)
          .filter((f) => f.endsWith('.log'))
          .sort()
          .at(-1)!,
      );
    };
    appendFileSync(segment(0), Buffer.from('\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0007garbage after a crash'));
    const lastBatchStart = (file: string) => {
      const b = readFileSync(file);
      let pos = 0;
      let last = 0;
      while (pos + 12 <= b.length) {
        last = pos;
        pos += b.readInt32BE(pos + 8) + 12;
      }
      return { last, size: b.length, records: b.readInt32BE(last + 57) };
    };
    const cut = lastBatchStart(segment(1));
    truncateSync(segment(1), cut.last + Math.floor((cut.size - cut.last) / 2));
    const high1 = Number(offsets.find((o) => o.partition === 1)!.high);

    const third = await startChild(dir);
    const kafka3 = new Kafka({ brokers: [third.address], logLevel: logLevel.NOTHING });
    const admin3 = kafka3.admin();
    await admin3.connect();
    const after = await admin3.fetchTopicOffsets('durable');
    await admin3.disconnect();
    const highs = Object.fromEntries(after.map((o) => [o.partition, Number(o.high)]));
    // Partition 0 keeps everything; partition 1 loses exactly the records of its cut batch.
    expect(highs[0]).toBe(Number(offsets.find((o) => o.partition === 0)!.high));
    expect(cut.records).toBeGreaterThan(0);
    expect(highs[1]).toBe(high1 - cut.records);
    const again = await consumeAll(kafka3, 'durable', highs[0] + highs[1], { timeoutMs: 30_000 });
    expect(again).toHaveLength(highs[0] + highs[1]);
    third.child.kill('SIGTERM');
    await new Promise((r) => third.child.once('exit', r));
  });
});

/**
 * Durability across a crash: a broker in a child process (`ticklake broker`) is killed with SIGKILL while a
 * kafkajs producer with acks=-1 is sending; a new broker on the same data dir must hold every message that
 * was acknowledged before the kill.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeAll } from './consume-all.js';

const BIN = join(import.meta.dirname, '..', '..', 'cli', 'bin.js');

let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-broker-durable-'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Starts `ticklake broker --port 0` and resolves with its address once it prints the listening line. */
function startChild(dataDir: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(
    process.execPath,
    [BIN, 'broker', '--port', '0', '--data-dir', dataDir, '--default-partitions', '2'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /broker listening on (\S+)/.exec(out);
      if (m) resolve({ child, address: m[1] });
    });
    child.stderr!.resume();
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening: ${out}`)));
  });
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
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });
});

/**
 * A balanced consumer group of two kcat processes (librdkafka 2.0, a C client written elsewhere): the group
 * splits a 4-partition topic between them, together they read every message exactly once, and the offsets
 * librdkafka committed are the log ends. A member killed with SIGKILL (no LeaveGroup) is evicted when its
 * session times out, and the survivor takes over its partitions from the committed offsets.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import { waitFor } from '../../test/helpers/poll.js';
import { requireTool } from '../../test/helpers/tools.js';
import type { RunningBroker } from '../index.js';

const kcat = requireTool('kcat');
const TOPIC = 'kc-orders';
const GROUP = 'kc-group';

let broker: RunningBroker;
const procs: ChildProcess[] = [];

const embedded = useBroker('tl-groups-kcat', { groupInitialRebalanceDelayMs: 1000 });
beforeAll(async () => {
  broker = embedded.broker;
  expect(await broker.context.topics.create(TOPIC, 4)).toBe(0);
});
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});

interface Member {
  proc: ChildProcess;
  /** `partition:value` lines printed by kcat. */
  got: string[];
  /** Partitions of the last "assigned:" rebalance line on stderr. */
  assigned: number[] | null;
  stderr: string;
}

function member(sessionMs = 6000): Member {
  const proc = spawn(
    kcat!,
    [
      '-b',
      broker.address,
      '-G',
      GROUP,
      '-u',
      TOPIC,
      '-f',
      '%p:%s\\n',
      '-X',
      'auto.offset.reset=earliest',
      '-X',
      `session.timeout.ms=${sessionMs}`,
      '-X',
      'heartbeat.interval.ms=200',
      '-X',
      'auto.commit.interval.ms=200',
      '-X',
      'fetch.wait.max.ms=100',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  procs.push(proc);
  const m: Member = { proc, got: [], assigned: null, stderr: '' };
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    m.got.push(...lines);
  });
  proc.stderr!.on('data', (d: Buffer) => {
    m.stderr += d.toString();
    // "% Group kc-group rebalanced (memberid ...): assigned: kc-orders [0], kc-orders [1]"
    for (const line of m.stderr.split('\n')) {
      if (!line.includes('assigned:')) continue;
      m.assigned = [...line.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort();
    }
  });
  return m;
}

describe.skipIf(!kcat)('kcat balanced consumer group (-G)', () => {
  it('two members split the partitions and together consume every message exactly once', async () => {
    const [a, b] = [member(), member()];
    await waitFor('both kcat members assigned 2+2', () => a.assigned?.length === 2 && b.assigned?.length === 2);
    expect([...a.assigned!, ...b.assigned!].sort()).toEqual([0, 1, 2, 3]);

    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 400 }, (_, i) => ({ partition: i % 4, value: `k${i}` }));
    await producer.send({ topic: TOPIC, messages: sent });
    await producer.disconnect();
    const expected = sent.map((m) => `${m.partition}:${m.value}`).sort();

    await waitFor('400 messages', () => a.got.length + b.got.length >= 400);
    // Each read only its own partitions, each message once.
    for (const m of [a, b]) expect(new Set(m.got.map((g) => Number(g.split(':')[0])))).toEqual(new Set(m.assigned));
    expect([...a.got, ...b.got].sort()).toEqual(expected);

    // SIGTERM: kcat closes its consumer (final commit, LeaveGroup) and exits.
    const exits = [a, b].map((m) => new Promise((r) => m.proc.once('exit', r)));
    a.proc.kill('SIGTERM');
    b.proc.kill('SIGTERM');
    await Promise.all(exits);
    const committed = broker.context.groups.fetchOffsets(GROUP, [{ name: TOPIC, partitions: [0, 1, 2, 3] }]);
    expect(committed[0].partitions.map((p) => p.offset)).toEqual([100, 100, 100, 100]);
    expect(broker.context.groups.describeGroup(GROUP).state).toBe('Empty');
  });

  it('evicts a killed member after its session timeout; the survivor resumes its partitions from the commits', async () => {
    const [a, b] = [member(1500), member(1500)];
    await waitFor('both assigned 2+2', () => a.assigned?.length === 2 && b.assigned?.length === 2);
    b.proc.kill('SIGKILL');
    await waitFor('the survivor owning all 4 partitions', () => a.assigned?.length === 4);

    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `late${i}` }));
    await producer.send({ topic: TOPIC, messages: sent });
    await producer.disconnect();
    await waitFor('the 40 new messages', () => a.got.length >= 40);
    // Everything before was committed by the first pair, so nothing of it comes again.
    expect([...a.got, ...b.got].sort()).toEqual(sent.map((m) => `${m.partition}:${m.value}`).sort());
    const exit = new Promise((r) => a.proc.once('exit', r));
    a.proc.kill('SIGTERM');
    await exit;
  });
});

/**
 * A live exchange killed before its first periodic checkpoint (every 2 s) keeps its identity: on its first start it
 * stores its `src` before it sends anything, so the restart sends the same ticks again as the same (src, seq), which
 * the processor counts once. Before, the restart drew a new `src` and the re-sent trades became new ones: under load
 * crash-double-count.test.ts found 4 or 5 sources for 3 exchanges. The kill is exact: `TICKLAKE_CRASH_AT=
 * exchange-sent:1` (core/crash-points.ts) SIGKILLs `ticklake produce --live` once its first ticks are acknowledged.
 * The topic is read back with a second client (kafkajs consumer, test/helpers/processor-run.ts).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import type { Tick } from '../../contracts/tick.js';
import { useBroker } from '../../test/helpers/broker.js';
import { waitFor } from '../../test/helpers/poll.js';
import { readTopic } from '../../test/helpers/processor-run.js';

const BIN = new URL('../../cli/bin.js', import.meta.url).pathname;

describe('a live exchange killed before its first periodic checkpoint', () => {
  let dir: string;
  let broker: RunningBroker;
  const embedded = useBroker('tl-first-cp', { defaultPartitions: 1, groupInitialRebalanceDelayMs: 0 });
  beforeAll(() => {
    ({ dir, broker } = embedded);
  });

  /** `ticklake produce --live` of one exchange; `exit` resolves with its exit code or signal. */
  function produce(env: Record<string, string>) {
    const args = ['produce', '--live', '--brokers', broker.address, '--data-dir', join(dir, 'data')];
    const child = spawn(
      process.execPath,
      [BIN, ...args, '--exchange', 'SE1', '--seed', '5', '--tick-interval', '50ms'],
      { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exit = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, out })),
    );
    return { child, exit, out: () => out };
  }

  it('sends the ticks it sent before the kill again under the same identity', async () => {
    const killed = await produce({ TICKLAKE_CRASH_AT: 'exchange-sent:1' }).exit;
    expect(killed.signal, killed.out).toBe('SIGKILL');
    expect(killed.out).toMatch(/killing myself at exchange-sent:1/);
    const before = (await readTopic([broker.address], 'ticks')).map((m) => JSON.parse(String(m.value)) as Tick);
    expect(before.length).toBeGreaterThan(0);

    // the restart runs until it has sent at least as many ticks again, then stops cleanly
    const restarted = produce({});
    await waitFor(
      'the restarted exchange to send as many ticks again',
      async () => (await readTopic([broker.address], 'ticks')).length >= 2 * before.length + 5,
      {
        timeoutMs: 60_000,
        everyMs: 500,
        failIf: () => (restarted.child.exitCode !== null ? 'produce exited' : undefined),
        detail: restarted.out,
      },
    );
    restarted.child.kill('SIGINT');
    const stopped = await restarted.exit;
    expect(stopped.code, stopped.out).toBe(0);

    const all = (await readTopic([broker.address], 'ticks')).map((m) => JSON.parse(String(m.value)) as Tick);
    const after = all.slice(before.length);
    // one identity for the exchange, whatever the crash
    expect(new Set(all.map((t) => t.src))).toEqual(new Set([before[0].src]));
    // the restart began again at the first tick: every tick sent before the kill comes again, same trade, same seq
    const id = (t: Tick) => `${t.symbol}\0${t.seq}\0${t.price}\0${t.size}`;
    const again = new Set(after.map(id));
    expect(before.filter((t) => !again.has(id(t)))).toEqual([]);
    expect(after[0].seq).toBe(1);
  }, 180_000);
});

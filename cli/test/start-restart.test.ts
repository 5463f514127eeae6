/**
 * `ticklake start` after a `kill -9`: the restart is not silent while the processor waits for the killed run's Kafka
 * consumer session to expire (up to 30 s, before which the group cannot rebalance): it says so first, before the
 * banner that follows once the processor has joined. The run file (./data/ticklake.json) names the live start and its addresses, and is the data dir's
 * lock; a clean stop records `stoppedAt`, and the next start has nothing to explain.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const BIN = new URL('../bin.js', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];
let dir = '';

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

async function start(): Promise<Run> {
  const child = spawn(
    process.execPath,
    [BIN, 'start', '--port', '0', '--broker-port', '0', '--history', '0', '--history-intraday', '0'],
    {
      cwd: dir,
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', TICKLAKE_PRIVATE_MYSQL: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  while (!/^ticklake urls:|did not stop cleanly/m.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`start exited:\n${out}\n${err}`);
    await sleep(200);
  }
  return { child, out: () => out, err: () => err, exit };
}

const runFile = () =>
  JSON.parse(readFileSync(join(dir, 'data', 'ticklake.json'), 'utf8')) as Record<string, unknown> & {
    pid: number;
    stoppedAt?: string;
    watermark?: number | null;
  };

it('after kill -9 the restart says it waits for the old consumer session; a clean stop leaves nothing to say', async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-start-restart-'));
  const first = await start();
  expect(first.out()).toContain('ticklake urls:');
  expect(first.out()).not.toContain('did not stop cleanly');
  // the run file names this process, its Kafka and API, and the lake; the processor's watermark arrives
  const kafka = /^ticklake urls: dashboard=(\S+) docs=\S+ kafka=(\S+)$/m.exec(first.out());
  expect(runFile()).toMatchObject({
    v: 1,
    pid: first.child.pid,
    brokers: [kafka?.[2]],
    api: kafka?.[1].replace(/\/$/, ''),
    lakeDir: join(dir, 'data', 'lake'),
  });
  for (let i = 0; i < 240 && typeof runFile().watermark !== 'number'; i++) await sleep(250);
  expect(typeof runFile().watermark).toBe('number');

  // a second start on the same data dir while the first runs is refused
  const twice = spawn(process.execPath, [BIN, 'start', '--port', '0', '--broker-port', '0'], {
    cwd: dir,
    env: { ...process.env, TICKLAKE_PRIVATE_MYSQL: 'false' },
  });
  let twiceErr = '';
  twice.stderr.on('data', (d) => (twiceErr += d));
  expect(await new Promise((r) => twice.once('exit', r))).toBe(2);
  expect(twiceErr).toContain(`in use by ticklake pid ${first.child.pid}`);

  first.child.kill('SIGKILL');
  await first.exit;

  const second = await start();
  const notice = `ticklake start: the previous run (pid ${first.child.pid}) did not stop cleanly (killed?): waiting for its Kafka consumer session to expire (up to 30 s) before the processor rejoins the group and the API starts ...`;
  expect(second.out()).toContain(notice);
  // then, once the processor has joined, the banner
  for (let i = 0; i < 400 && !/^ticklake urls:/m.test(second.out()); i++) await sleep(250);
  expect(second.out().indexOf(notice)).toBeLessThan(second.out().indexOf('ticklake urls:'));
  expect(second.out().indexOf(notice)).toBeGreaterThanOrEqual(0);
  second.child.kill('SIGINT');
  expect(await second.exit).toBe(0);
  expect(runFile().stoppedAt).toEqual(expect.any(String));

  const third = await start();
  expect(third.out()).toContain('ticklake urls:');
  expect(third.out()).not.toContain('did not stop cleanly');
  third.child.kill('SIGINT');
  expect(await third.exit).toBe(0);
}, 240_000);

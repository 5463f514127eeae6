import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RawClient } from '../../broker/test/raw-client.js';

const BIN = new URL('../bin.js', import.meta.url).pathname;

it('ticklake broker prints its address when ready, serves requests, and exits 0 on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tl-cli-broker-'));
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--data-dir', join(dir, 'b')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /broker listening on (\S+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready`)));
  });
  const [host, port] = line.split(':');
  expect(host).toBe('127.0.0.1');
  const c = await RawClient.connect(Number(port));
  c.request(18, 0, 1, Buffer.alloc(0));
  expect((await c.response())!.readInt16BE(4)).toBe(0);
  c.close();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

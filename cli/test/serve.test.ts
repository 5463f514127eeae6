/**
 * `ticklake serve` over a real socket: the CLI starts the API on a free port, plain `fetch` talks HTTP to it
 * (JSON, a streamed CSV, the token, docs), and SIGTERM stops it cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { VALUATIONS, writeSampleLake } from '../../test/helpers/sample-lake.js';

const BIN = new URL('../bin.js', import.meta.url).pathname;
let lake: LakeFixture;
let server: ChildProcess;
let base: string;
let stderr = '';

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  server = spawn(
    process.execPath,
    [BIN, 'serve', '--lake-dir', lake.dir, '--port', '0', '--token', 's3cret', '--max-rows', '150000'],
    { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' } },
  );
  base = await new Promise<string>((resolve, reject) => {
    server.stderr!.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    server.on('close', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
});
afterAll(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  lake?.close();
});

describe('ticklake serve over a real socket', () => {
  it('answers health, reports and docs', async () => {
    expect(((await (await fetch(`${base}/health`)).json()) as { status: string }).status).toBe('ok');
    const r = await fetch(`${base}/api/reports/nav-stats?portfolio=P2`);
    const body = (await r.json()) as { rows: { mean_nav: number }[] };
    const p2 = VALUATIONS.filter((v) => v[0] === 'P2').map((v) => v[2]);
    expect(body.rows.map((x: { mean_nav: number }) => x.mean_nav)).toEqual([(p2[0] + p2[1]) / 2]);
    expect((await fetch(`${base}/docs`)).status).toBe(200);
  });

  it('prints no warning of Node.js or a library on its way up (Fastify 5.12 deprecated an option we passed)', () => {
    expect(stderr).toContain('listening on');
    expect(stderr).not.toMatch(/Warning|DEP\d{3}/);
  });

  it('streams a large CSV to a client holding the token, and refuses one without', async () => {
    const denied = await fetch(`${base}/api/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'select 1' }),
    });
    expect([denied.status, ((await denied.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      'TL_API_UNAUTHORIZED',
    ]);
    const r = await fetch(`${base}/api/query?format=csv`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret' },
      body: JSON.stringify({ sql: 'select range as n from range(120000)' }),
    });
    expect(r.headers.get('transfer-encoding')).toBe('chunked');
    let lines = 0;
    let last = '';
    const decoder = new TextDecoder();
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      const text = last + decoder.decode(chunk, { stream: true });
      const parts = text.split('\r\n');
      last = parts.pop()!;
      lines += parts.length;
    }
    expect(lines).toBe(1 + 120000);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const code = await new Promise<number | null>((resolve) => {
      server.once('close', (c) => resolve(c));
      server.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});

/**
 * The registry's durability and agreement, with real processes: `ticklake broker` and `ticklake registry` as
 * children. The broker is SIGKILLed and restarted on its data directory, the registry is SIGKILLed and started
 * again: every subject, version, id, deleted flag and level must come back as it was. While the broker is down the
 * registry keeps answering reads and fails writes with Confluent's 50001/50002 instead of hanging.
 *
 * Then several instances on one topic: concurrent registrations of different schemas into one subject through two
 * registries (and concurrently within each) all succeed, every id returned names the schema its client sent, and
 * both instances end with the same versions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../broker/index.js';
import { logger } from '../../core/log.js';
import { startRegistryServer } from '../server.js';

const BIN = new URL('../../cli/bin.js', import.meta.url).pathname;
const children: ChildProcess[] = [];
const dirs: string[] = [];

function startChild(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.on('exit', (code) => reject(new Error(`ticklake ${args[0]} exited with ${code}: ${err}`)));
  });
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as never };
};
const post = (url: string, body: unknown, method = 'POST') =>
  json(url, {
    method,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify(body),
  });
const rec = (fields: object[], name = 'Ev') => JSON.stringify({ type: 'record', name, fields });

/** Everything a registry holds, as its REST API tells it. */
async function snapshot(url: string) {
  const subjects = (await json(`${url}/subjects?deleted=true`)).body as string[];
  const out: Record<string, unknown> = { config: (await json(`${url}/config`)).body };
  for (const s of subjects) {
    const versions = (await json(`${url}/subjects/${s}/versions?deleted=true`)).body as number[];
    const live = (await json(`${url}/subjects/${s}/versions`)).body;
    const each: unknown[] = [];
    for (const v of versions) each.push((await json(`${url}/subjects/${s}/versions/${v}?deleted=true`)).body);
    out[s] = { versions, live, each, config: (await json(`${url}/config/${s}`)).body };
  }
  return out;
}

describe('a registry over a broker that is SIGKILLed, and a registry that is SIGKILLed', () => {
  it('keeps every id, version, deletion and level', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ticklake-registry-durable-'));
    dirs.push(dir);
    const brokerArgs = ['broker', '--data-dir', join(dir, 'broker'), '--default-partitions', '3'];
    let b = await startChild([...brokerArgs, '--port', '0'], /broker listening on (\S+)/);
    const address = b.match[1];
    const port = address.split(':').pop() as string;
    const regArgs = ['registry', '--brokers', address, '--port', '0'];
    let r = await startChild(regArgs, /registry listening on (\S+)/);
    let url = r.match[1];

    const ids: number[] = [];
    for (const [subject, schema] of [
      ['a-value', rec([{ name: 'x', type: 'int' }])],
      [
        'a-value',
        rec([
          { name: 'x', type: 'int' },
          { name: 'y', type: 'string', default: '' },
        ]),
      ],
      ['b-value', rec([{ name: 'x', type: 'int' }])],
      ['c-value', '"string"'],
    ]) {
      const res = await post(`${url}/subjects/${subject}/versions`, { schema });
      expect(res.status).toBe(200);
      ids.push((res.body as { id: number }).id);
    }
    expect(ids[2]).toBe(ids[0]);
    await post(`${url}/config/b-value`, { compatibility: 'FULL' }, 'PUT');
    await post(`${url}/config`, { compatibility: 'FORWARD_TRANSITIVE' }, 'PUT');
    expect((await json(`${url}/subjects/a-value/versions/1`, { method: 'DELETE' })).body).toBe(1);
    await json(`${url}/subjects/c-value`, { method: 'DELETE' });
    const before = await snapshot(url);

    // the broker dies: reads still answer from memory, writes fail with a Confluent 5xx, promptly
    await kill9(b.child);
    expect(await snapshot(url)).toEqual(before);
    const t0 = Date.now();
    const failed = await post(`${url}/subjects/d-value/versions`, { schema: rec([{ name: 'z', type: 'long' }]) });
    expect(failed.status).toBe(500);
    expect([50001, 50002]).toContain((failed.body as { error_code: number }).error_code);
    expect(Date.now() - t0).toBeLessThan(30_000);

    // the broker comes back on its data: writes work again, nothing was lost
    b = await startChild([...brokerArgs, '--port', port], /broker listening on/);
    let d: { status: number; body: { id?: number } } = { status: 0, body: {} };
    for (let i = 0; i < 40 && d.status !== 200; i++) {
      d = await post(`${url}/subjects/d-value/versions`, { schema: rec([{ name: 'z', type: 'long' }]) });
      if (d.status !== 200) await new Promise((res) => setTimeout(res, 500));
    }
    expect(d.status).toBe(200);
    const withD = await snapshot(url);
    expect({ ...withD, 'd-value': undefined }).toEqual({ ...before, 'd-value': undefined });

    // the registry dies and a new one reads everything back from _schemas
    await kill9(r.child);
    r = await startChild(regArgs, /registry listening on (\S+)/);
    url = r.match[1];
    let again: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${url}/subjects`);
      if (res.status === 200) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    again = await snapshot(url);
    expect(again).toEqual(withD);
    expect((await json(`${url}/schemas/ids/${ids[1]}`)).body).toEqual({
      schema: rec([
        { name: 'x', type: 'int' },
        { name: 'y', type: 'string', default: '' },
      ]),
    });
    await kill9(r.child);
    await kill9(b.child);
  }, 120_000);
});

describe('several registries on one topic', () => {
  it('agree under concurrent registrations, and every id names the schema its client sent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ticklake-registry-agree-'));
    dirs.push(dir);
    const broker = await startBroker({ dataDir: join(dir, 'broker'), port: 0 });
    const opts = { brokers: [broker.address], host: '127.0.0.1', port: 0 };
    const one = await startRegistryServer({ ...opts, log: logger('registry-1') });
    const two = await startRegistryServer({ ...opts, log: logger('registry-2') });
    try {
      await post(`${one.url}/config/race-value`, { compatibility: 'NONE' }, 'PUT');
      const schemas = Array.from({ length: 12 }, (_, i) => rec([{ name: `f${i}`, type: 'int' }], `R${i}`));
      // all at once, alternating between the instances; the last two are the same schema, through both
      schemas.push(schemas[0]);
      const results = await Promise.all(
        schemas.map((schema, i) => post(`${(i % 2 === 0 ? one : two).url}/subjects/race-value/versions`, { schema })),
      );
      for (const r of results) expect(r.status).toBe(200);
      const ids = results.map((r) => (r.body as { id: number }).id);
      expect(new Set(ids.slice(0, 12)).size).toBe(12);
      expect(ids[12]).toBe(ids[0]);
      for (const [i, id] of ids.entries())
        for (const reg of [one, two])
          expect((await json(`${reg.url}/schemas/ids/${id}`)).body).toEqual({ schema: schemas[i] });
      const versionsOf = async (url: string) => {
        const vs = (await json(`${url}/subjects/race-value/versions`)).body as number[];
        return Promise.all(vs.map(async (v) => (await json(`${url}/subjects/race-value/versions/${v}`)).body));
      };
      const seenByOne = await versionsOf(one.url);
      expect(seenByOne).toHaveLength(12);
      expect(new Set(seenByOne.map((v: { id: number }) => v.id))).toEqual(new Set(ids));
      // the other instance follows the topic: it converges on the same versions
      let seenByTwo = await versionsOf(two.url);
      for (let i = 0; i < 20 && JSON.stringify(seenByTwo) !== JSON.stringify(seenByOne); i++) {
        await new Promise((r) => setTimeout(r, 100));
        seenByTwo = await versionsOf(two.url);
      }
      expect(seenByTwo).toEqual(seenByOne);
      const lost = one.service.state.illegalRecords + two.service.state.illegalRecords;
      process.stderr.write(`several registries: ${lost} records lost a race and were repaired\n`);
    } finally {
      await one.close();
      await two.close();
      await broker.close();
    }
  }, 60_000);
});

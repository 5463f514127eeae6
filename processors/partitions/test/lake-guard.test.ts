/**
 * The guards of lake-guard.ts: the single-writer lease on a lake (refused while alive, taken over when stale, when
 * its process is gone or by the same state directory), a lake with a partition commit log, and — as a user would
 * meet them — a second `ticklake process` on the same lake, or on the same state directory, refused at start with
 * the documented errors while the first runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import { isTicklakeError } from '../../../core/errors.js';
import { useBroker } from '../../../test/helpers/broker.js';
import { produceAll } from '../../../test/helpers/processor-run.js';
import { seededRun } from '../../ticks/test/fixtures.js';
import { claimSingleWriter, joinCoordinated, leasePath } from '../lake-guard.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'cli', 'bin.js');

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isTicklakeError(e, 'TL_LAKE_UNCOORDINATED')) return e.message;
    throw e;
  }
  throw new Error('not refused');
}

describe('scaled-out processors joining a lake (--scale-out)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-join-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('share a lake with each other, and keep a single-instance processor out once one has joined', async () => {
    const lake = join(dir, 'shared');
    await joinCoordinated({ lakeDir: lake, topic: 'ticks' });
    await joinCoordinated({ lakeDir: lake, topic: 'ticks' }); // a second scaled-out instance
    const msg = await refusal(claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/x', writer: 'X' }));
    expect(msg).toContain('is written by partition-scoped processors');
  });

  it('are refused beside a live single-instance processor, and on a lake one wrote', async () => {
    const lake = join(dir, 'single');
    const a = await claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/a', writer: 'A' });
    expect(await refusal(joinCoordinated({ lakeDir: lake, topic: 'ticks' }))).toContain(
      'is being written by a single-instance processor of ticks (A, state /s/a)',
    );
    await a.release();
    // stopped, but its results are there (a result file named by batch): the two layouts do not mix
    await mkdir(join(lake, 'bars', 'window=1m', 'date=2026-01-01'), { recursive: true });
    await writeFile(join(lake, 'bars', 'window=1m', 'date=2026-01-01', 'b1.parquet'), '');
    expect(await refusal(joinCoordinated({ lakeDir: lake, topic: 'ticks' }))).toContain(
      'holds the results of a single-instance processor',
    );
    expect(await readdir(lake)).not.toContain('_commits');
  });
});

describe('the single-writer lease', () => {
  let lake: string;
  beforeAll(async () => {
    lake = await mkdtemp(join(tmpdir(), 'ticklake-guard-'));
  });
  afterAll(async () => {
    await rm(lake, { recursive: true, force: true });
  });

  it('a second writer is refused while the first lives; after release it may start', async () => {
    const a = await claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/a', writer: 'A' });
    const msg = await refusal(claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/b', writer: 'B' }));
    expect(msg).toContain(`The lake ${lake} is being written by another processor of ticks (A, state /s/a`);
    // another topic on the same lake is another writer's business
    const other = await claimSingleWriter({ lakeDir: lake, topic: 'fx', stateDir: '/s/b', writer: 'B' });
    await other.release();
    await a.release();
    const b = await claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/b', writer: 'B' });
    expect(JSON.parse(await readFile(leasePath(lake, 'ticks'), 'utf8')).writer).toBe('B');
    await b.release();
  });

  it('a lease not renewed for staleMs, of a dead process, or of the same state directory is taken over', async () => {
    const path = leasePath(lake, 'ticks');
    await mkdir(join(lake, '_leases'), { recursive: true });
    const put = async (lease: object, ageMs: number) => {
      await writeFile(path, JSON.stringify(lease));
      const t = new Date(Date.now() - ageMs);
      await utimes(path, t, t);
    };
    const elsewhere = { writer: 'far', host: 'another-host', pid: 1, stateDir: '/s/far', since: 0 };
    await put(elsewhere, 20_000);
    await (await claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/x', writer: 'X' })).release();
    await put(elsewhere, 1000); // alive on another host: refused
    await refusal(claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/x', writer: 'X' }));
    // this host, a pid that does not exist (a processor SIGKILLed and restarted at once)
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.on('exit', r));
    await put({ ...elsewhere, host: hostname(), pid: dead.pid }, 0);
    await (await claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/x', writer: 'X' })).release();
    // the same state directory, alive (the same processor starting again)
    await put({ ...elsewhere, stateDir: '/s/x' }, 0);
    await (await claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/x', writer: 'X' })).release();
  });

  it('a lake with a partition commit log refuses a single-instance processor', async () => {
    await mkdir(join(lake, '_commits', 'ticks', '0'), { recursive: true });
    const msg = await refusal(claimSingleWriter({ lakeDir: lake, topic: 'ticks', stateDir: '/s/y', writer: 'Y' }));
    expect(msg).toContain('is written by partition-scoped processors');
    await rm(join(lake, '_commits'), { recursive: true });
  });
});

describe('two `ticklake process` as a user would start them', () => {
  let dir: string;
  let broker: RunningBroker;
  const children: ChildProcess[] = [];

  const start = (stateDir: string, lakeDir: string, more: string[] = []) => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'process',
        '--brokers',
        broker.address,
        '--group',
        'twins',
        '--lake-dir',
        lakeDir,
        '--state-dir',
        stateDir,
        '--max-batch',
        '500',
        ...more,
      ],
      { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(child);
    let err = '';
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    const exit = new Promise<{ code: number | null; err: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, err })),
    );
    return { child, exit, err: () => err };
  };

  const embedded = useBroker('ticklake-twins', { groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    const run = await seededRun(12);
    await produceAll([broker.address], 'ticks', run.log.messages.slice(0, 3000), 6);
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('the second on the same lake and the third on the same state directory are refused at start', async () => {
    const lake = join(dir, 'lake');
    const first = start(join(dir, 'state-1'), lake);
    // the first one is processing once its first tick files are in the lake
    const deadline = Date.now() + 60_000;
    while ((await readdir(join(lake, 'ticks'), { recursive: true }).catch(() => [])).length === 0) {
      if (Date.now() > deadline) throw new Error(`the first processor did not start: ${first.err()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // a refused processor exits at once; one that is not refused keeps running
    const within = (p: Promise<{ code: number | null; err: string }>) =>
      Promise.race([
        p,
        new Promise<{ code: string; err: string }>((r) => setTimeout(() => r({ code: 'running', err: '' }), 30_000)),
      ]);
    const second = await within(start(join(dir, 'state-2'), lake).exit);
    expect(second.code).toBe(1);
    expect(second.err).toMatch(
      /The lake .*lake is being written by another processor of ticks .*\[TL_LAKE_UNCOORDINATED\]/,
    );
    const third = await within(start(join(dir, 'state-1'), join(dir, 'lake-3')).exit);
    expect(third.code).toBe(2);
    expect(third.err).toMatch(
      /The state directory .*state-1 is in use by another process .*\[TL_CONFIG_STATE_IN_USE\]/,
    );
    // the first one was not disturbed: still running; once it is idle (its signal handlers are set up after both
    // engines started, so a SIGTERM sent at once may meet the default action) it stops cleanly and gives the lake back
    expect([first.child.exitCode, first.child.signalCode]).toEqual([null, null]);
    let files = '';
    for (let same = 0; same < 20; ) {
      const now = (await readdir(join(lake, 'ticks'), { recursive: true })).sort().join();
      same = now === files ? same + 1 : 0;
      files = now;
      await new Promise((r) => setTimeout(r, 100));
    }
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
    await expect(readFile(leasePath(lake, 'ticks'), 'utf8')).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it('a second keyed-table engine on the same lake is refused too', async () => {
    await mkdir(join(dir, 'sql', 'sources'), { recursive: true });
    await writeFile(
      join(dir, 'sql', 'sources', 'items.sql'),
      '-- title: Items\n-- topic: guard.items\n-- format: plain\ncreate table items (id varchar primary key, name varchar);\n',
    );
    const lake = join(dir, 'tables-lake');
    const tables = ['--sql-dir', join(dir, 'sql'), '--sources', 'items'];
    const first = start(join(dir, 'tables-1'), lake, tables);
    const deadline = Date.now() + 60_000;
    while (!(await readFile(leasePath(lake, 'tables-engine'), 'utf8').catch(() => ''))) {
      if (Date.now() > deadline) throw new Error(`the first engine did not start: ${first.err()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = await Promise.race([
      start(join(dir, 'tables-2'), lake, tables).exit,
      new Promise<{ code: string; err: string }>((r) => setTimeout(() => r({ code: 'running', err: '' }), 30_000)),
    ]);
    expect(second.code).toBe(1);
    expect(second.err).toMatch(/is being written by another processor of tables-engine .*\[TL_LAKE_UNCOORDINATED\]/);
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
  }, 120_000);
});

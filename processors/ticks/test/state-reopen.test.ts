/**
 * Reopening the state database's DuckDB instance between batches (state-reopen.ts, `--state-reopen-every`): the open
 * windows' ticks go through the state file and come back, and the run ends with the lake of a run that never
 * reopened, bit for bit. A process killed between writing the buffer into the file and opening the file again
 * starts from the file alone (its tick archive moved away to prove it); a file whose held buffer disagrees with the
 * counts committed beside it fails start. Either way the buffer comes back compressed.
 * The processor reopens every `stateReopenBatches` while its open windows hold few enough ticks, and only then
 * (counting the batch in flight as the reopen comes due).
 */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { isTicklakeError } from '../../../core/errors.js';
import { logger } from '../../../core/log.js';
import { compareLakes } from '../../../test/helpers/lake-compare.js';
import { produceAll } from '../../../test/helpers/processor-run.js';
import { Delivery } from '../../sinks/delivery.js';
import type { InMessage, ProcessorCore } from '../core.js';
import { startProcessor } from '../processor.js';
import type { StateDb } from '../state.js';
import { holdBuffer } from '../state-reopen.js';
import { openTestCore, seededRun } from './fixtures.js';

interface Opened {
  state: StateDb;
  core: ProcessorCore;
  delivery: Delivery;
  deliveryConn: DuckDBConnection;
}

async function open(dir: string): Promise<Opened> {
  const { state, core } = await openTestCore(dir, '1m,1d');
  const deliveryConn = await state.instance.connect();
  return {
    state,
    core,
    deliveryConn,
    delivery: new Delivery({ conn: deliveryConn, lakeDir: join(dir, 'lake'), log: logger('test') }),
  };
}

/** Feeds `messages` in batches of 1,500; `afterBatch` runs after each one's delivery. */
async function feed(o: Opened, messages: InMessage[], afterBatch?: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < messages.length; i += 1500) {
    await o.core.submit(messages.slice(i, i + 1500));
    await o.delivery.deliverAll();
    await afterBatch?.(i / 1500);
  }
}

async function finish(o: Opened): Promise<void> {
  await o.core.flush();
  await o.delivery.deliverAll();
  o.core.close();
  o.deliveryConn.closeSync();
  o.state.conn.closeSync();
  o.state.instance.closeSync();
}

/** As the processor's loop does it: its own connection closed first, opened again on the new instance after. */
async function reopen(o: Opened): Promise<void> {
  o.deliveryConn.closeSync();
  expect(await o.core.reopen()).toBe(true);
  o.deliveryConn = await o.state.instance.connect();
  o.delivery.useConnection(o.deliveryConn);
}

async function buffered(o: Opened): Promise<number> {
  const r = await o.state.conn.runAndReadAll('SELECT count(*)::INTEGER FROM temp.buf');
  return Number(r.getRowsJS()[0][0]);
}

/** Tables named `buf` in the state file itself (not the temp catalog). */
async function bufInFile(o: Opened): Promise<number> {
  const r = await o.state.conn.runAndReadAll(
    `SELECT count(*)::INTEGER FROM duckdb_tables() WHERE table_name = 'buf' AND NOT temporary`,
  );
  return Number(r.getRowsJS()[0][0]);
}

/**
 * Whether `buf` is stored as a checkpoint of the temp catalog leaves it: its segments' compressions the same before
 * and after one more `CHECKPOINT temp`. Rows a restore inserted stay uncompressed until then (~57 bytes a tick
 * against ~9), which made every reopen a spike of the buffer's size six times over.
 */
async function compressedAlready(o: Opened): Promise<boolean> {
  const kinds = async () =>
    JSON.stringify(
      (
        await o.state.conn.runAndReadAll(`SELECT compression, count(*)::INTEGER FROM pragma_storage_info('temp.buf')
          GROUP BY 1 ORDER BY 1`)
      ).getRowsJS(),
    );
  const now = await kinds();
  await o.state.conn.run('CHECKPOINT temp');
  return now === (await kinds());
}

describe('reopening the state database between batches', { timeout: 180_000 }, () => {
  let dir: string;
  let messages: InMessage[];
  let ref: DuckDBConnection;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-reopen-'));
    messages = (await seededRun()).log.messages;
    const whole = await open(join(dir, 'whole'));
    await feed(whole, messages);
    await finish(whole);
    ref = await (await DuckDBInstance.create(':memory:')).connect();
  });

  afterAll(async () => {
    ref?.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the open windows and ends with the lake of a run that never reopened, bit for bit', async () => {
    const other = join(dir, 'reopened');
    const o = await open(other);
    const instances = new Set([o.state.instance]);
    const carried: [number, number][] = [];
    await feed(o, messages, async (i) => {
      if (i % 3 !== 2) return;
      const before = await buffered(o);
      await reopen(o);
      instances.add(o.state.instance);
      carried.push([before, await buffered(o)]);
      expect(await bufInFile(o)).toBe(0);
      expect(await compressedAlready(o)).toBe(true);
    });
    await finish(o);
    // the seeded run's 1d window stays open: thousands of ticks went through the file each time
    expect(carried.length).toBeGreaterThanOrEqual(3);
    expect(carried.every(([a]) => a > 1000)).toBe(true);
    expect(carried.map(([, b]) => b)).toEqual(carried.map(([a]) => a));
    expect(instances.size).toBe(carried.length + 1);
    const cmp = await compareLakes(ref, join(dir, 'whole', 'lake'), join(other, 'lake'));
    expect(cmp.problems).toEqual([]);
    expect(cmp.counts.bars).toBeGreaterThan(100);
  });

  it('after a kill between holding the buffer in the file and opening it again, starts from the file alone', async () => {
    const other = join(dir, 'killed');
    const half = Math.floor(messages.length / 2);
    const first = await open(other);
    await feed(first, messages.slice(0, half));
    const before = await buffered(first);
    // the first half of a reopen, then the process is gone (nothing more runs on it)
    await first.core.settled();
    await holdBuffer(first.state.conn);
    first.core.close();
    first.deliveryConn.closeSync();
    first.state.conn.closeSync();
    first.state.instance.closeSync();
    // not from the lake: its tick archive is away while the state opens
    await rename(join(other, 'lake', 'ticks'), join(other, 'ticks-moved'));
    const second = await open(other);
    expect(await buffered(second)).toBe(before);
    expect(await bufInFile(second)).toBe(0);
    expect(await compressedAlready(second)).toBe(true);
    await rename(join(other, 'ticks-moved'), join(other, 'lake', 'ticks'));
    await feed(second, messages.slice(half));
    await finish(second);
    expect((await compareLakes(ref, join(dir, 'whole', 'lake'), join(other, 'lake'))).problems).toEqual([]);
  });

  it('a buffer held in the file that disagrees with the committed counts fails start, naming the state file', async () => {
    const other = join(dir, 'damaged');
    const first = await open(other);
    await feed(first, messages.slice(0, Math.floor(messages.length / 2)));
    await first.core.settled();
    await holdBuffer(first.state.conn);
    // one held tick lost, as damage to the file would lose it (the file's buf, not the temp catalog's)
    const db = (await first.state.conn.runAndReadAll('SELECT current_database()')).getRowsJS()[0][0];
    const held = `"${String(db)}".main.buf`;
    const gone = await first.state.conn.runAndReadAll(
      `DELETE FROM ${held} WHERE rowid = (SELECT min(rowid) FROM ${held}) RETURNING kafka_partition`,
    );
    const partition = Number(gone.getRowsJS()[0][0]);
    const counted = Number(
      (
        await first.state.conn.runAndReadAll(`SELECT buffered FROM partitions WHERE kafka_partition = ${partition}`)
      ).getRowsJS()[0][0],
    );
    await first.state.conn.run('CHECKPOINT');
    first.core.close();
    first.deliveryConn.closeSync();
    first.state.conn.closeSync();
    first.state.instance.closeSync();
    const err = await open(other).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isTicklakeError(err) && err.code).toBe('TL_LAKE_STATE_BUFFER');
    expect((err as Error).message).toContain(join(other, 'state'));
    expect((err as Error).message).toContain(`counts ${counted} ticks of open windows on partition ${partition}`);
    expect((err as Error).message).toContain(`has ${counted - 1}`);
  });
});

describe('when the processor reopens its state', { timeout: 180_000 }, () => {
  let dir: string;
  let broker: RunningBroker;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-reopen-proc-'));
    broker = await startBroker({
      dataDir: join(dir, 'broker'),
      port: 0,
      defaultPartitions: 3,
      groupInitialRebalanceDelayMs: 0,
    });
    await produceAll([broker.address], 'ticks', (await seededRun(12)).log.messages);
  });

  afterAll(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (name: string, maxBuffered: number, scaleOut = false) => {
    const p = await startProcessor({
      brokers: [broker.address],
      group: name,
      lakeDir: join(dir, name, 'lake'),
      stateDir: join(dir, name, 'state'),
      untilIdle: true,
      batchMessages: 500,
      stateReopenBatches: 2,
      stateReopenMaxBuffered: maxBuffered,
      scaleOut,
    });
    return p.done;
  };

  it('every few batches while the open windows are small enough, never while they hold more; the same lake', async () => {
    // the default windows of `process` (1m,1d): the day stays open, so the buffer holds every tick so far
    const [often, never] = await Promise.all([run('often', Number.POSITIVE_INFINITY), run('never', 0)]);
    expect(often.batches).toBeGreaterThan(8);
    // every 2 committed batches, or 3 when a batch was in flight as the reopening came due
    expect(often.stateReopens).toBeGreaterThanOrEqual(Math.floor(often.batches / 3) - 1);
    expect(often.stateReopens).toBeLessThanOrEqual(often.batches / 2);
    expect(never.stateReopens).toBe(0);
    const ref = await (await DuckDBInstance.create(':memory:')).connect();
    const cmp = await compareLakes(ref, join(dir, 'never', 'lake'), join(dir, 'often', 'lake'));
    ref.closeSync();
    expect(cmp.problems).toEqual([]);
    expect(cmp.counts.bars).toBeGreaterThan(0);
  });

  it('scaled out: each partition cache every few of its batches; the same lake as one that never reopens', async () => {
    const [often, never] = await Promise.all([
      run('scaled-often', Number.POSITIVE_INFINITY, true),
      run('scaled-never', 0, true),
    ]);
    // 3 partitions, each cache reopened after every 2 of its batches, but not after its final flush nor when its
    // last batch ends the run (26 batches gave 11 reopens)
    expect(often.batches).toBeGreaterThan(12);
    expect(often.stateReopens).toBeGreaterThanOrEqual(Math.floor(often.batches / 4));
    expect(often.stateReopens).toBeLessThanOrEqual(often.batches / 2);
    expect(never.stateReopens).toBe(0);
    const ref = await (await DuckDBInstance.create(':memory:')).connect();
    const cmp = await compareLakes(ref, join(dir, 'scaled-never', 'lake'), join(dir, 'scaled-often', 'lake'));
    ref.closeSync();
    expect(cmp.problems).toEqual([]);
    expect(cmp.counts.bars).toBeGreaterThan(0);
  });

  it('not when the batch in flight, committed, takes the open windows past the bound', async () => {
    // batches of 500 ticks that all stay buffered (the 1d window): due after 2 committed batches (~1,000 ticks),
    // but the third, in flight then, takes the buffer to ~1,500
    const p = await run('bound', 1250);
    expect(p.ticks - p.late).toBeGreaterThan(p.batches * 480);
    expect(p.stateReopens).toBe(0);
  });
});

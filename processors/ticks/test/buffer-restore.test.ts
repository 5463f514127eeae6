/**
 * The buffer of open windows lives in memory (window-buffer.ts): a core opened again on a state whose windows are
 * open rebuilds it from the lake's `ticks` archive. Checked against a run that never stopped, on the same seeded
 * input: the same lake, table by table. A lake that lost the open date's tick files must stop the core with
 * TL_LAKE_TICKS_MISSING rather than compute the open windows from what is left; a state written before the buffer
 * moved to memory (its buffer a table in the file) carries its buffer over without reading the lake.
 */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../../core/errors.js';
import { logger } from '../../../core/log.js';
import { compareLakes } from '../../../test/helpers/lake-compare.js';
import { Delivery } from '../../sinks/delivery.js';
import type { InMessage, ProcessorCore } from '../core.js';
import type { StateDb } from '../state.js';
import { openTestCore, seededRun } from './fixtures.js';

interface Opened {
  state: StateDb;
  core: ProcessorCore;
  delivery: Delivery;
}

async function open(dir: string, bufferCheckpointRows?: number): Promise<Opened> {
  const { state, core } = await openTestCore(dir, '1m,1d', { bufferCheckpointRows });
  return { state, core, delivery: new Delivery({ conn: state.conn, lakeDir: join(dir, 'lake'), log: logger('test') }) };
}

async function feed(o: Opened, messages: InMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 1500) {
    await o.core.submit(messages.slice(i, i + 1500));
    await o.delivery.deliverAll();
  }
}

function shut(o: Opened): void {
  o.core.close();
  o.state.conn.closeSync();
  o.state.instance.closeSync();
}

async function buffered(o: Opened): Promise<number> {
  const r = await o.state.conn.runAndReadAll('SELECT count(*)::INTEGER FROM buf');
  return Number(r.getRowsJS()[0][0]);
}

// each test runs the seeded input through one to three cores in this process (15-25 CPU-s): vitest's default 60 s
// was too short beside a benchmark
describe('the open windows after a restart', { timeout: 180_000 }, () => {
  let dir: string;
  let messages: InMessage[];
  let half: number;
  let ref: DuckDBConnection;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-restore-'));
    messages = (await seededRun()).log.messages;
    half = Math.floor(messages.length / 2);
    const whole = await open(join(dir, 'whole'));
    await feed(whole, messages);
    await whole.core.flush();
    await whole.delivery.deliverAll();
    shut(whole);
    ref = await (await DuckDBInstance.create(':memory:')).connect();
  });

  afterAll(async () => {
    ref?.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * What the lake of `other` has that the run that never stopped has not, and the other way: every table, every
   * column, bit for bit (EXCEPT ALL both ways, test/helpers/lake-compare.ts); empty when they agree. A restart changes
   * the batches, not the order in which the stream SQL adds its doubles, so no rounding is needed.
   */
  async function differences(other: string): Promise<string[]> {
    return (await compareLakes(ref, join(dir, 'whole', 'lake'), join(other, 'lake'))).problems;
  }

  const same: string[] = [];

  it('rebuilds the buffer from the lake and ends with the lake of a run that never stopped', async () => {
    const other = join(dir, 'restarted');
    const first = await open(other);
    await feed(first, messages.slice(0, half));
    const before = await buffered(first);
    shut(first);
    const second = await open(other);
    // the 1d window of the seeded run is open: about half the input is buffered, all of it comes back
    expect(before).toBeGreaterThan(half / 2);
    expect(await buffered(second)).toBe(before);
    await feed(second, messages.slice(half));
    await second.core.flush();
    await second.delivery.deliverAll();
    expect(await buffered(second)).toBe(0);
    shut(second);
    expect(await differences(other)).toEqual(same);
  });

  it('refuses to start when the lake lost tick files of an open window, naming the partition', async () => {
    const other = join(dir, 'lost');
    const first = await open(other);
    await feed(first, messages.slice(0, half));
    shut(first);
    await rename(join(other, 'lake', 'ticks'), join(other, 'ticks-moved'));
    const err = await open(other).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isTicklakeError(err) && err.code).toBe('TL_LAKE_TICKS_MISSING');
    expect(String((err as Error).message)).toMatch(/on partition \d+ .* has 0 of them/);
    // with the files back the same state starts and finishes like the run that never stopped
    await rename(join(other, 'ticks-moved'), join(other, 'lake', 'ticks'));
    const second = await open(other);
    await feed(second, messages.slice(half));
    await second.core.flush();
    await second.delivery.deliverAll();
    shut(second);
    expect(await differences(other)).toEqual(same);
  });

  it('carries over the buffer table of a state written before the buffer moved to memory', async () => {
    const other = join(dir, 'old-state');
    const first = await open(other);
    await feed(first, messages.slice(0, half));
    // the old layout: the buffer as a table of the state file, and no count per partition
    const db = String((await first.state.conn.runAndReadAll('SELECT current_database()')).getRowsJS()[0][0]);
    await first.state.conn.run(`CREATE TABLE "${db}".main.buf AS SELECT * FROM temp.buf`);
    await first.state.conn.run(`CREATE TABLE "${db}".main.buf_late (kafka_partition INTEGER)`);
    await first.state.conn.run('UPDATE partitions SET buffered = NULL');
    const before = await buffered(first);
    shut(first);
    // the lake cannot be where the buffer comes from
    await rename(join(other, 'lake', 'ticks'), join(other, 'ticks-moved'));
    const second = await open(other);
    expect(await buffered(second)).toBe(before);
    const left = await second.state.conn.runAndReadAll(
      `SELECT count(*)::INTEGER FROM duckdb_tables() WHERE table_name IN ('buf', 'buf_late') AND NOT temporary`,
    );
    expect(Number(left.getRowsJS()[0][0])).toBe(0);
    await rename(join(other, 'ticks-moved'), join(other, 'lake', 'ticks'));
    await feed(second, messages.slice(half));
    await second.core.flush();
    await second.delivery.deliverAll();
    shut(second);
    expect(await differences(other)).toEqual(same);
  });

  it('gives the memory of dropped ticks back: checkpoints of the temp catalog leave no deleted rows behind', async () => {
    // row groups of buf, deleted rows included (DuckDB keeps a temp table's deleted rows until a checkpoint)
    const groups = async (o: Opened) =>
      Number(
        (
          await o.state.conn.runAndReadAll(`SELECT estimated_size::INTEGER FROM duckdb_tables()
            WHERE table_name = 'buf' AND temporary`)
        ).getRowsJS()[0][0],
      );
    for (const [name, every, after] of [
      ['ckpt-often', 1000, 0],
      // the default is far above this input: what the checkpoint gives back is still held
      ['ckpt-default', undefined, messages.length / 2],
    ] as const) {
      const o = await open(join(dir, name), every);
      await feed(o, messages);
      await o.core.flush();
      expect(await buffered(o)).toBe(0);
      if (after === 0) expect([name, await groups(o)]).toEqual([name, 0]);
      else expect(await groups(o)).toBeGreaterThan(after);
      shut(o);
    }
  });
});

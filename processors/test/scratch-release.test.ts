/**
 * The per-batch scratch tables of the processor core must not keep the rows of past batches (regression: the RSS
 * of `ticklake process` grew with stream length, because DuckDB never checkpoints a connection's temp database and
 * so never reclaimed the rows each batch deleted from its scratch tables; docs/deploy.md).
 *
 * Two cores over real DuckDB state files take the same seeded input in the same batches (no delivery: it touches
 * no scratch table); one runs a ScratchReleaser after every batch as startProcessor does (releasing every 1,000
 * messages instead of 50,000, so that this short stream needs several checkpoints), the other does not. What the
 * scratch tables hold is DuckDB's own count: duckdb_tables().estimated_size of the tables of the in-memory
 * databases, which counts deleted rows until a checkpoint reclaims them. Expected values come from the input and
 * from the run without release, not from the code under test: without the release the tables hold at least every
 * valid tick of the stream (each passed through the batch's tick table); with it they never hold more than the run
 * without release held after two release intervals.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPortfolioSeeds } from '../../producers/portfolios.js';
import { ProcessorCore } from '../core.js';
import { ScratchReleaser, scratchDatabases } from '../scratch-release.js';
import { createSchema, openState, type StateDb } from '../state.js';
import { parseWindows } from '../windows.js';
import { PARTITIONS, type SeededRun, seededRun, T0 } from './fixtures.js';

const BATCH = 200;
const EVERY = 1000;
const WINDOWS = parseWindows('10s,1m');

interface Run {
  state: StateDb;
  /** Rows the scratch tables hold after each batch, deleted ones included. */
  held: number[];
  released: boolean[];
}

async function rowsHeld(state: StateDb, dbs: string[]): Promise<number> {
  const r = await state.conn.runAndReadAll(
    `SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables()
      WHERE database_name IN (${dbs.map((d) => `'${d}'`).join(', ')})`,
  );
  return Number(r.getRowsJS()[0][0]);
}

async function runCore(dir: string, run: SeededRun, release: boolean): Promise<Run> {
  const seeds = await loadPortfolioSeeds();
  const state = await openState(join(dir, 'state'));
  await createSchema(state.conn);
  const core = await ProcessorCore.open({
    state,
    lakeDir: join(dir, 'lake'),
    windows: WINDOWS,
    latenessMs: 2000,
    topic: 'ticks',
    partitionCount: PARTITIONS,
    portfolios: seeds.portfolios,
    holdings: seeds.holdings,
    clock: () => T0 + 3_600_000,
  });
  const dbs = await scratchDatabases(state.conn);
  const releaser = release ? await ScratchReleaser.open(state.conn, EVERY) : undefined;
  const out: Run = { state, held: [], released: [] };
  const msgs = run.log.messages;
  for (let i = 0; i < msgs.length; i += BATCH) {
    const batch = msgs.slice(i, i + BATCH);
    await core.processBatch(batch);
    out.released.push((await releaser?.afterBatch(batch.length)) ?? false);
    out.held.push(await rowsHeld(state, dbs));
  }
  return out;
}

describe('processor scratch tables: bounded by the release interval, not by the stream', () => {
  let dir: string;
  let run: SeededRun;
  let kept: Run;
  let released: Run;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-scratch-'));
    run = await seededRun(10);
    kept = await runCore(join(dir, 'kept'), run, false);
    released = await runCore(join(dir, 'released'), run, true);
  }, 120_000);

  afterAll(async () => {
    kept?.state.conn.closeSync();
    released?.state.conn.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it('the scratch tables live in in-memory databases the releaser checkpoints (temp at least)', async () => {
    expect(await scratchDatabases(released.state.conn)).toContain('temp');
  });

  it('without the release, every batch’s deleted scratch rows stay (the DuckDB behaviour worked around)', () => {
    const validTicks = run.log.messages.length - run.invalid;
    expect(kept.held.length).toBeGreaterThan(30);
    expect(kept.held.at(-1)).toBeGreaterThanOrEqual(validTicks);
  });

  it('the releaser checkpoints once EVERY messages went through (every 5th batch of 200), not after each batch', () => {
    const at = released.released.flatMap((r, i) => (r ? [i] : []));
    expect(at.slice(0, 4)).toEqual([4, 9, 14, 19]);
  });

  it('with the release, the rows held never exceed what two release intervals leave without it', () => {
    const bound = kept.held[(2 * EVERY) / BATCH - 1];
    for (let b = 0; b < released.held.length; b++) {
      expect({ batch: b, within: released.held[b] <= bound }).toEqual({ batch: b, within: true });
    }
    // while without it they went on growing, well past that bound
    expect(kept.held.at(-1)).toBeGreaterThan(3 * bound);
  });
});

/**
 * The per-batch scratch tables of the processor core must not keep the rows of past batches (regression: the RSS
 * of `ticklake process` grew with stream length, because DuckDB never checkpoints a connection's temp database and
 * so kept every row each batch DELETEd from its scratch tables; the core now empties them by creating them again,
 * state.ts SCRATCH_TABLES; docs/deploy.md).
 *
 * A core over a real DuckDB state file takes a seeded stream in small batches. What the scratch tables hold is
 * DuckDB's own count: duckdb_tables().estimated_size of the tables of the in-memory databases (temp and the attached
 * scratch database), which counts deleted rows until a checkpoint reclaims them. The bound comes from the input: one
 * batch can put at most BATCH ticks in the tick table, BATCH anomalies, BATCH late marks and one bar per tick and
 * window; add the portfolio seeds (loaded once) and a few dozen dictionary strings. A DELETE-emptied table instead
 * ends up holding at least every valid tick of the stream, many times that bound.
 *
 * `buf`, the ticks of the open windows, is a TEMP table too but not scratch: it is bounded by the open windows plus
 * the rows dropped since the last checkpoint of the temp catalog (processors/ticks/test/buffer-restore.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPortfolioSeeds } from '../../../contracts/portfolio-seeds.js';
import { parseWindows } from '../../time/windows.js';
import { ProcessorCore } from '../core.js';
import { createSchema, openState, type StateDb } from '../state.js';
import { PARTITIONS, type SeededRun, seededRun, T0 } from './fixtures.js';

const BATCH = 200;
const WINDOWS = parseWindows('10s,1m');

async function inMemoryDatabases(state: StateDb): Promise<string[]> {
  const r = await state.conn.runAndReadAll(
    `SELECT database_name FROM duckdb_databases() WHERE path IS NULL AND type = 'duckdb' AND database_name <> 'system'`,
  );
  return r.getRowsJS().map((row) => String(row[0]));
}

async function rowsHeld(state: StateDb, dbs: string[]): Promise<number> {
  const r = await state.conn.runAndReadAll(
    `SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables()
      WHERE database_name IN (${dbs.map((d) => `'${d}'`).join(', ')}) AND table_name <> 'buf'`,
  );
  return Number(r.getRowsJS()[0][0]);
}

describe('processor scratch tables: bounded by one batch, not by the stream', () => {
  let dir: string;
  let run: SeededRun;
  let state: StateDb;
  let dbs: string[];
  const held: number[] = [];
  let seedRows = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-scratch-'));
    run = await seededRun(10);
    const seeds = await loadPortfolioSeeds();
    seedRows = seeds.portfolios.length + seeds.holdings.length;
    state = await openState(join(dir, 'state'));
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
    dbs = await inMemoryDatabases(state);
    const msgs = run.log.messages;
    for (let i = 0; i < msgs.length; i += BATCH) {
      await core.submit(msgs.slice(i, i + BATCH));
      held.push(await rowsHeld(state, dbs));
    }
  }, 120_000);

  afterAll(async () => {
    state?.conn.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it('the scratch tables live in in-memory databases: temp and the attached scratch database', () => {
    expect([...dbs].sort()).toEqual(['scratch', 'temp']);
  });

  it('after every batch they hold at most what one batch can put there, however long the stream', () => {
    const validTicks = run.log.messages.length - run.invalid;
    const bound = seedRows + 100 + BATCH * (3 + WINDOWS.length);
    // the stream is long enough that keeping past batches' rows would break the bound many times over
    expect(held.length).toBeGreaterThan(30);
    expect(validTicks).toBeGreaterThan(5 * bound);
    for (let b = 0; b < held.length; b++) {
      expect({ batch: b, within: held[b] <= bound }).toEqual({ batch: b, within: true });
    }
  });
});

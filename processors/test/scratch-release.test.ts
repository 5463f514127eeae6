/**
 * The per-batch scratch tables of the processor core must not keep the rows of past batches (regression: the RSS
 * of `ticklake process` grew with stream length, because DuckDB never checkpoints a connection's temp database and
 * so never reclaimed the rows each batch deleted from its scratch tables; docs/deploy.md).
 *
 * Two cores over real DuckDB state files take the same seeded input in the same batches (no delivery: it touches
 * no scratch table); one checkpoints its in-memory databases after every batch (releaseScratch, as startProcessor
 * does), the other does not. What their scratch tables hold is DuckDB's own count (duckdb_tables().estimated_size
 * counts deleted rows until they are reclaimed). Expected values come from the input, not from the code: without
 * the release the scratch tables hold at least every valid tick of the stream (each one passed through the batch's
 * tick table); with it they hold exactly their live rows, which one batch put there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPortfolioSeeds } from '../../producers/portfolios.js';
import { ProcessorCore } from '../core.js';
import { releaseScratch, scratchDatabases, scratchRowsHeld } from '../scratch-release.js';
import { createSchema, openState, type StateDb } from '../state.js';
import { parseWindows } from '../windows.js';
import { PARTITIONS, type SeededRun, seededRun, T0 } from './fixtures.js';

const BATCH = 200;
const WINDOWS = parseWindows('10s,1m');

interface Run {
  state: StateDb;
  /** Rows held by the in-memory databases after each batch. */
  held: number[];
  /** Live rows of the connection's scratch tables after each batch (count(*), deleted rows excluded). */
  live: number[];
}

async function liveRows(state: StateDb, dbs: string[]): Promise<number> {
  const tables = await state.conn.runAndReadAll(
    `SELECT database_name, schema_name, table_name FROM duckdb_tables()
      WHERE database_name IN (${dbs.map((d) => `'${d}'`).join(', ')})`,
  );
  let n = 0;
  for (const [d, s, t] of tables.getRowsJS()) {
    const r = await state.conn.runAndReadAll(`SELECT count(*) FROM "${d}"."${s}"."${t}"`);
    n += Number(r.getRowsJS()[0][0]);
  }
  return n;
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
  const out: Run = { state, held: [], live: [] };
  const msgs = run.log.messages;
  for (let i = 0; i < msgs.length; i += BATCH) {
    await core.processBatch(msgs.slice(i, i + BATCH));
    if (release) await releaseScratch(state.conn, dbs);
    out.held.push(await scratchRowsHeld(state.conn, dbs));
    out.live.push(await liveRows(state, dbs));
  }
  return out;
}

describe('processor scratch tables: bounded by one batch, not by the stream', () => {
  let dir: string;
  let run: SeededRun;
  let kept: Run;
  let released: Run;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-scratch-'));
    run = await seededRun(8);
    kept = await runCore(join(dir, 'kept'), run, false);
    released = await runCore(join(dir, 'released'), run, true);
  }, 120_000);

  afterAll(async () => {
    kept?.state.conn.closeSync();
    released?.state.conn.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it('the scratch tables live in in-memory databases the release checkpoints (temp at least)', async () => {
    expect(await scratchDatabases(released.state.conn)).toContain('temp');
  });

  it('without the release, the deleted rows of every batch stay (DuckDB behaviour the release works around)', () => {
    const validTicks = run.log.messages.length - run.invalid;
    expect(run.log.messages.length / BATCH).toBeGreaterThan(30);
    expect(kept.held.at(-1)).toBeGreaterThanOrEqual(validTicks);
    // and it only grows: the last batch holds more than the tenth
    expect(kept.held.at(-1)).toBeGreaterThan(3 * kept.held[9]);
  });

  it('with the release, what the scratch tables hold after each batch is that batch’s live rows', () => {
    for (let b = 0; b < released.held.length; b++) {
      // deleted rows reclaimed: held rows are the live rows, which one batch of BATCH messages produced
      expect({ batch: b, held: released.held[b] }).toEqual({ batch: b, held: released.live[b] });
    }
    // the live rows themselves are per batch (the ticks of one batch, the closing windows' ticks, its bars)
    const max = Math.max(...released.live);
    expect(max).toBeLessThan(run.log.messages.length / 4);
  });
});

/**
 * The core checkpoints its state database every STATE_CHECKPOINT_BATCHES batches (core.ts): DuckDB alone folds the
 * WAL into the file only at 16 MiB, and until then what the batches changed stays in memory beside the file. Two
 * cores take the same seeded input in 120 batches, one at the default and one with the core's checkpoints off
 * (`stateCheckpointBatches: 0`): the first's WAL holds only the batches after its checkpoint at batch 100, the
 * second's all of them. Both then agree on every table of the state, so the checkpoint lost nothing.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../../core/log.js';
import { Delivery } from '../../sinks/delivery.js';
import type { InMessage, ProcessorCore } from '../core.js';
import { STATE_FILE, type StateDb } from '../state.js';
import { openTestCore, seededRun } from './fixtures.js';

const BATCHES = 120;

interface Run {
  state: StateDb;
  core: ProcessorCore;
  wal: string;
}

async function run(dir: string, messages: InMessage[], stateCheckpointBatches?: number): Promise<Run> {
  const { state, core } = await openTestCore(dir, '1m', { stateCheckpointBatches });
  const delivery = new Delivery({ conn: state.conn, lakeDir: join(dir, 'lake'), log: logger('test') });
  const n = messages.length;
  let batches = 0;
  for (let i = 0; i < BATCHES; i++) {
    const r = await core.submit(messages.slice(Math.floor((i * n) / BATCHES), Math.floor(((i + 1) * n) / BATCHES)));
    if (r) batches = r.batchId;
    await delivery.deliverAll();
  }
  expect(batches).toBe(BATCHES);
  return { state, core, wal: join(dir, 'state', `${STATE_FILE}.wal`) };
}

function walBytes(r: Run): number {
  return existsSync(r.wal) ? statSync(r.wal).size : 0;
}

async function tableRows(r: Run, table: string): Promise<string[]> {
  const res = await r.state.conn.runAndReadAll(`SELECT * FROM ${table} ORDER BY ALL`);
  return res.getRowsJS().map((row) => JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
}

describe('checkpoints of the state database', { timeout: 120_000 }, () => {
  let dir: string;
  let checkpointed: Run;
  let walOnly: Run;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-state-checkpoint-'));
    const messages = (await seededRun(12)).log.messages;
    checkpointed = await run(join(dir, 'default'), messages);
    walOnly = await run(join(dir, 'off'), messages, 0);
  });

  afterAll(async () => {
    for (const r of [checkpointed, walOnly]) {
      if (!r) continue;
      r.core.close();
      r.state.conn.closeSync();
      r.state.instance.closeSync();
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps only the batches since the last checkpoint in the WAL', () => {
    const off = walBytes(walOnly);
    // 120 batches without a checkpoint: far below DuckDB's own 16 MiB threshold, so all of them are in the WAL
    expect(off).toBeGreaterThan(100_000);
    // batches 101-120 of 120, with room for the WAL's fixed part
    expect(walBytes(checkpointed)).toBeLessThan(off * 0.35);
  });

  it('loses nothing the batches committed', async () => {
    for (const table of ['partitions', 'last_tick', 'seq_seen', 'bar_hist', 'val_last', 'val_progress', 'meta']) {
      expect(await tableRows(checkpointed, table), table).toEqual(await tableRows(walOnly, table));
    }
  });
});

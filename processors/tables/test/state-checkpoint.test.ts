/**
 * The keyed-table engine checkpoints its state database every STATE_CHECKPOINT_BATCHES batches
 * (processors/state-checkpoints.ts), as the ticks core does: DuckDB alone folds the WAL into the file only at 16 MiB,
 * and until then every version of the rows the batches upserted and deleted stays in memory beside the file. Two
 * engines take the same 120 batches of product upserts and deletes, one at the default and one with the checkpoints
 * off: the first's WAL holds only the batches after its checkpoint at batch 100. Both then hold the same current
 * rows, outbox of changes and offsets, and the current rows equal a replay of the messages written here.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserSqlDir } from '../../../test/helpers/user-sql-dir.js';
import { loadTableCatalog } from '../catalog.js';
import { TablesEngine } from '../engine.js';
import type { RawMessage } from '../stage.js';
import { openTablesState, TABLES_STATE_FILE, type TablesState } from '../state.js';

const BATCHES = 120;
const PER_BATCH = 25;
const KEYS = 40;
const E = Date.UTC(2026, 0, 5);

/** Batch after batch of upserts and deletes of KEYS products on two partitions (a key keeps its partition). */
function messages(): RawMessage[][] {
  const offsets = [0, 0];
  const out: RawMessage[][] = [];
  for (let b = 0; b < BATCHES; b++) {
    const batch: RawMessage[] = [];
    for (let i = 0; i < PER_BATCH; i++) {
      const n = (b * 7 + i * 13) % KEYS;
      const id = `P${n}`;
      const partition = n % 2;
      const del = (b + i) % 9 === 0;
      batch.push({
        topic: 'products',
        partition,
        offset: offsets[partition]++,
        timestamp: E + (b * PER_BATCH + i) * 1000,
        key: id,
        value: del ? null : JSON.stringify({ product_id: id, price: `${10 + ((b + i) % 17)}.50` }),
      });
    }
    out.push(batch);
  }
  return out;
}

/** The current price per product, by replaying the messages in order (each key lives on one partition). */
function replay(batches: RawMessage[][]): [string, string][] {
  const cur = new Map<string, string>();
  for (const m of batches.flat()) {
    if (m.value === null) cur.delete(String(m.key));
    else cur.set(String(m.key), JSON.parse(String(m.value)).price);
  }
  return [...cur].sort((a, b) => a[0].localeCompare(b[0]));
}

interface Run {
  state: TablesState;
  wal: string;
}

const rows = async (r: Run, sql: string): Promise<string[]> =>
  (await r.state.conn.runAndReadAll(sql))
    .getRowsJS()
    .map((row) => JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));

describe('checkpoints of the keyed-table state database', { timeout: 120_000 }, () => {
  let sql: UserSqlDir;
  let dir: string;
  const batches = messages();
  let checkpointed: Run;
  let walOnly: Run;

  async function run(name: string, stateCheckpointBatches?: number): Promise<Run> {
    const catalog = await loadTableCatalog([sql.dir], { bundled: false });
    expect(catalog.errors).toEqual([]);
    const state = await openTablesState(join(dir, name));
    const engine = await TablesEngine.open({ state, catalog, clock: () => E, stateCheckpointBatches });
    let last = 0;
    for (const batch of batches) {
      const r = await engine.process(batch);
      if (r) last = r.batchId;
    }
    expect(last).toBe(BATCHES);
    return { state, wal: join(dir, name, `${TABLES_STATE_FILE}.wal`) };
  }

  beforeAll(async () => {
    sql = UserSqlDir.withFiles('ticklake-tables-checkpoint-sql-', {
      'sources/products.sql': `-- title: Products
-- topic: products
-- format: plain
create table products (product_id varchar primary key, price decimal(10,2));
`,
    });
    dir = mkdtempSync(join(tmpdir(), 'ticklake-tables-checkpoint-'));
    checkpointed = await run('default');
    walOnly = await run('off', 0);
  });

  afterAll(() => {
    for (const r of [checkpointed, walOnly]) {
      if (!r) continue;
      r.state.conn.closeSync();
      r.state.instance.closeSync();
    }
    sql?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const walBytes = (r: Run) => (existsSync(r.wal) ? statSync(r.wal).size : 0);

  it('keeps only the batches since the last checkpoint in the WAL', () => {
    const off = walBytes(walOnly);
    // 120 batches without a checkpoint: far below DuckDB's own 16 MiB threshold, so all of them are in the WAL
    expect(off).toBeGreaterThan(100_000);
    // batches 101-120 of 120, with room for the WAL's fixed part
    expect(walBytes(checkpointed)).toBeLessThan(off * 0.35);
  });

  it('loses nothing the batches committed', async () => {
    const cur = 'SELECT product_id, price::VARCHAR FROM cur.products ORDER BY product_id';
    expect((await rows(checkpointed, cur)).map((r) => JSON.parse(r))).toEqual(replay(batches));
    for (const q of [cur, 'SELECT * FROM ob.products ORDER BY ALL', 'SELECT * FROM offsets ORDER BY ALL']) {
      expect(await rows(checkpointed, q), q).toEqual(await rows(walOnly, q));
    }
  });
});

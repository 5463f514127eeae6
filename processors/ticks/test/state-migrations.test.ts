/**
 * The state file's layout versions (state-migrations.ts): a file at each older layout — before the open windows
 * moved to memory (no `partitions.buffered`, whole-number volumes and sizes), and before fractional sizes (BIGINT
 * volumes and sizes) — starts under the current code with the same tables and column types as a new file, its rows
 * kept, and the current version recorded; a file of a newer version (a downgrade) is refused with the file named.
 *
 * The old layouts are written here by hand from what those versions created (git b072aa2^ and 74072ec^ state.ts),
 * independently of the migration steps.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../../core/errors.js';
import { createSchema, openState, STATE_FILE } from '../state.js';
import { STATE_VERSION } from '../state-migrations.js';

let dir: string;

/** Every persistent column of the state file: table, column, type. */
async function layout(stateDir: string): Promise<string[]> {
  const s = await openState(stateDir);
  const r = await s.conn.runAndReadAll(`SELECT table_name || '.' || column_name || ' ' || data_type
    FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' ORDER BY table_name, column_index`);
  s.conn.closeSync();
  s.instance.closeSync();
  return r.getRowsJS().map((x) => String(x[0]));
}

/** A state created by the current code, then taken back to an older layout by `sql`, with a few rows in it. */
async function oldState(name: string, sql: string[]): Promise<string> {
  const d = join(dir, name);
  const s = await openState(d);
  await createSchema(s.conn);
  await s.conn.run(
    `INSERT INTO partitions (kafka_partition, next_offset, max_ts, watermark) VALUES (0, 42, 1000, 900)`,
  );
  await s.conn.run(`INSERT INTO bar_hist VALUES ('AAPL', '1m', TIMESTAMP '2026-01-05 09:30:00', 101.5, 12)`);
  await s.conn.run(`INSERT INTO meta VALUES ('next_batch_id', '7')`);
  await s.conn.run(`DELETE FROM meta WHERE key = 'state_version'`);
  for (const q of sql) await s.conn.run(q);
  s.conn.closeSync();
  s.instance.closeSync();
  return d;
}

/** Opens `d` as the processor does (createSchema migrates it); returns the kept rows and the recorded version. */
async function reopen(d: string): Promise<unknown[]> {
  const s = await openState(d);
  await createSchema(s.conn);
  const r = await s.conn.runAndReadAll(`SELECT
    (SELECT next_offset FROM partitions WHERE kafka_partition = 0)::INTEGER,
    (SELECT volume FROM bar_hist WHERE symbol = 'AAPL'),
    (SELECT value FROM meta WHERE key = 'next_batch_id'),
    (SELECT value FROM meta WHERE key = 'state_version')`);
  s.conn.closeSync();
  s.instance.closeSync();
  return r.getRowsJS()[0];
}

const WHOLE_SIZES = [
  'ALTER TABLE bar_hist ALTER COLUMN volume SET DATA TYPE BIGINT',
  'ALTER TABLE ob_bars ALTER COLUMN volume SET DATA TYPE BIGINT',
  'ALTER TABLE ob_late_ticks ALTER COLUMN size SET DATA TYPE BIGINT',
];

describe('state files of older layouts', () => {
  let fresh: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-state-mig-'));
    const s = await openState(join(dir, 'fresh'));
    await createSchema(s.conn);
    s.conn.closeSync();
    s.instance.closeSync();
    fresh = await layout(join(dir, 'fresh'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a new file records the current version', async () => {
    expect(STATE_VERSION).toBe(2);
    expect(fresh).toContain('partitions.buffered BIGINT');
    expect(fresh).toContain('bar_hist.volume DOUBLE');
    const s = await openState(join(dir, 'fresh'));
    const r = await s.conn.runAndReadAll(`SELECT value FROM meta WHERE key = 'state_version'`);
    s.conn.closeSync();
    s.instance.closeSync();
    expect(r.getRowsJS()).toEqual([['2']]);
  });

  for (const [name, sql] of [
    [
      'unversioned, before the open windows moved to memory',
      ['ALTER TABLE partitions DROP COLUMN buffered', ...WHOLE_SIZES],
    ],
    ['unversioned, before fractional sizes', WHOLE_SIZES],
    ['version 1', [...WHOLE_SIZES, `INSERT INTO meta VALUES ('state_version', '1')`]],
  ] as const) {
    it(`${name}: migrated to the current layout, its rows kept`, async () => {
      const d = await oldState(name.replace(/\W+/g, '-'), [...sql]);
      expect(await layout(d)).not.toEqual(fresh);
      expect(await reopen(d)).toEqual([42, 12, '7', '2']);
      expect(await layout(d)).toEqual(fresh);
      // and again: nothing changes on the next start
      expect(await reopen(d)).toEqual([42, 12, '7', '2']);
      expect(await layout(d)).toEqual(fresh);
    });
  }

  it('a file of a newer version is refused, naming the file and both versions', async () => {
    const d = await oldState('newer', [`INSERT INTO meta VALUES ('state_version', '9')`]);
    const err = await reopen(d).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isTicklakeError(err) && err.code).toBe('TL_CONFIG_BAD_VALUE');
    expect(String((err as Error).message)).toContain(join(d, STATE_FILE));
    expect(String((err as Error).message)).toMatch(/layout version 9, written by a newer ticklake .*up to 2/);
  });
});

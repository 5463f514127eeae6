/**
 * The state file's layout version and the ordered steps from each older layout to the current one, so that a
 * processor upgraded over an existing `--state-dir` keeps its offsets, open windows and outbox (the alternative, a
 * new state dir, would also need a new lake: an empty state over a populated lake is refused, TL_LAKE_NOT_EMPTY).
 *
 * `meta.state_version` holds the version a file was last migrated to. Files written before the version was kept
 * have none (0): every step runs on them, which is why each step is safe on a file that already has its change.
 * A file of a newer version than this code knows (a downgrade) is refused, never guessed at.
 *
 * Versions:
 *  1. the open windows' ticks moved out of the file into a TEMP table rebuilt from the lake's tick archive
 *     (b072aa2): `partitions.buffered` holds each partition's count. The old `buf` table's rows are carried over by
 *     window-buffer.ts `restoreBuffer`, which needs the TEMP table this step cannot create (it lives per connection).
 *  2. fractional trade sizes (0.015 BTC, 74072ec): volumes and sizes kept in the state become DOUBLE.
 *
 * Adding a step: append it with the next version, write it so it is safe to run twice, and add the layout before it
 * to processors/ticks/test/state-migrations.test.ts.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';

export interface StateMigration {
  version: number;
  what: string;
  statements: string[];
}

export const STATE_MIGRATIONS: readonly StateMigration[] = [
  {
    version: 1,
    what: 'the open windows in memory: a tick count per partition',
    statements: ['ALTER TABLE partitions ADD COLUMN IF NOT EXISTS buffered BIGINT'],
  },
  {
    version: 2,
    what: 'fractional trade sizes: volumes and sizes as DOUBLE',
    statements: [
      'ALTER TABLE bar_hist ALTER COLUMN volume SET DATA TYPE DOUBLE',
      'ALTER TABLE ob_bars ALTER COLUMN volume SET DATA TYPE DOUBLE',
      'ALTER TABLE ob_late_ticks ALTER COLUMN size SET DATA TYPE DOUBLE',
    ],
  },
];

/** The version a state file created by this code has. */
export const STATE_VERSION = STATE_MIGRATIONS[STATE_MIGRATIONS.length - 1].version;

/**
 * Brings the state's tables (created with IF NOT EXISTS, so an old file keeps its old ones) to the current layout,
 * in one transaction with the new version. Returns the version the file had.
 */
export async function migrateState(conn: DuckDBConnection): Promise<number> {
  const r = await conn.runAndReadAll(`SELECT value FROM meta WHERE key = 'state_version'`);
  const found = r.getRowsJS().length ? Number(r.getRowsJS()[0][0]) : 0;
  if (!Number.isInteger(found) || found > STATE_VERSION) {
    const db = await conn.runAndReadAll('SELECT path FROM duckdb_databases() WHERE database_name = current_database()');
    const path = String(db.getRowsJS()[0]?.[0] ?? 'the state file');
    throw tlError('TL_CONFIG_BAD_VALUE', {
      setting: '--state-dir',
      value: path,
      reason: `the state file has layout version ${r.getRowsJS()[0]?.[0]}, written by a newer ticklake (this one knows up to ${STATE_VERSION}); run that version, or start a new --state-dir with a new --lake-dir`,
    });
  }
  if (found === STATE_VERSION) return found;
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const m of STATE_MIGRATIONS) {
      if (m.version <= found) continue;
      for (const sql of m.statements) await conn.run(sql);
    }
    await conn.run(`DELETE FROM meta WHERE key = 'state_version'`);
    await conn.run(`INSERT INTO meta VALUES ('state_version', '${STATE_VERSION}')`);
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => {});
    throw e;
  }
  return found;
}

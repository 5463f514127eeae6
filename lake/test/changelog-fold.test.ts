/**
 * Folding a change log: the views read the same before and after a fold (latest rows, every change once, the state
 * as of a time), also when the fold is interrupted after any step and finished later; a batch re-delivered after it
 * was folded is skipped instead of showing twice. Expected rows come from plain SQL over the change files as written
 * (before any fold), not from the views under test.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChangelogTable, ensureSchemaFile, layerDir, viewStatements, writeChangeFile } from '../changelog.js';
import { foldTable, recoverFold } from '../changelog-fold.js';

const T: ChangelogTable = {
  name: 'items',
  columns: [
    { name: 'id', type: 'VARCHAR' },
    { name: 'qty', type: 'BIGINT' },
  ],
  key: ['id'],
};

let lake: string;
let conn: DuckDBConnection;
beforeEach(async () => {
  lake = await mkdtemp(join(tmpdir(), 'ticklake-fold-'));
  conn = await (await DuckDBInstance.create(':memory:')).connect();
});
afterEach(async () => {
  conn.closeSync();
  await rm(lake, { recursive: true, force: true });
});

/** Batches of changes: 40 keys, 12 batches of updates, deletes and re-creates; _ts = the batch number in seconds. */
function batches(): string[] {
  const out: string[] = [];
  let lsn = 0;
  for (let b = 1; b <= 12; b++) {
    const rows: string[] = [];
    for (let k = 0; k < 40; k++) {
      if ((k + b) % 3 !== 0) continue;
      const op = b === 1 ? 'c' : (k * b) % 7 === 0 ? 'd' : 'u';
      rows.push(
        `('K${k}', ${op === 'd' ? 'NULL' : b * 100 + k}, '${op}', ${++lsn}, make_timestamp(${b}::BIGINT * 1000000))`,
      );
    }
    out.push(`SELECT * FROM (VALUES ${rows.join(', ')}) v(id, qty, _op, _lsn, _ts)`);
  }
  return out;
}

async function views() {
  for (const sql of viewStatements(lake, T)) await conn.run(sql);
  const all = async (sql: string) => (await conn.runAndReadAll(sql)).getRowsJS().map((r) => r.map(String).join('|'));
  return {
    latest: await all('SELECT id, qty FROM items ORDER BY id'),
    changes: await all('SELECT id, qty, _op, _lsn FROM items_changes ORDER BY _lsn'),
    asOf: await all('SELECT id, qty FROM items_as_of(make_timestamp(6000000)) ORDER BY id'),
  };
}

describe('foldTable', () => {
  it('moves the change files into a base and a history file; the views do not change', async () => {
    await ensureSchemaFile(conn, lake, T);
    const bs = batches();
    for (let i = 0; i < bs.length; i++) await writeChangeFile(conn, lake, T, `b${i + 1}.parquet`, bs[i]);
    // expected, by plain SQL over the files as written
    const files = `'${layerDir(lake, 'items', 'changes')}/b*.parquet'`;
    const expectLatest = (
      await conn.runAndReadAll(
        `SELECT id, qty FROM read_parquet(${files}) QUALIFY row_number() OVER (PARTITION BY id ORDER BY _lsn DESC) = 1 AND _op <> 'd' ORDER BY id`,
      )
    )
      .getRowsJS()
      .map((r) => r.map(String).join('|'));
    const before = await views();
    expect(before.latest).toEqual(expectLatest);
    const r = await foldTable(conn, { lakeDir: lake, table: T, upToBatch: 10 });
    expect(r.folded).toBe(10);
    expect((await readdir(layerDir(lake, 'items', 'changes'))).filter((f) => f.endsWith('.parquet')).sort()).toEqual([
      'b11.parquet',
      'b12.parquet',
      expect.stringMatching(/^schema-/),
    ]);
    expect(await readdir(layerDir(lake, 'items', 'base'))).toEqual([r.base]);
    expect(await views()).toEqual(before);
    // batch 3 delivered again after it was folded: skipped, not shown twice
    const again = await writeChangeFile(conn, lake, T, 'b3.parquet', bs[2]);
    expect(again.mergedInto).toBe(`../history/${r.history}`);
    // a second fold takes the rest into a new base, replacing the first
    const r2 = await foldTable(conn, { lakeDir: lake, table: T });
    expect(r2.folded).toBe(2);
    expect(await readdir(layerDir(lake, 'items', 'base'))).toEqual([r2.base]);
    expect(await views()).toEqual(before);
  });

  it.each(['written', 'pending-recorded', 'published', 'sources-deleted'] as const)(
    'an interruption after "%s" loses and doubles nothing once finished',
    async (step) => {
      await ensureSchemaFile(conn, lake, T);
      const bs = batches();
      for (let i = 0; i < bs.length; i++) await writeChangeFile(conn, lake, T, `b${i + 1}.parquet`, bs[i]);
      const before = await views();
      await expect(
        foldTable(conn, {
          lakeDir: lake,
          table: T,
          onStep: (s) => {
            if (s === step) throw new Error(`crash after ${s}`);
          },
        }),
      ).rejects.toThrow(/crash after/);
      await recoverFold(lake, T);
      // before the commit point the fold never happened (its temp files are not read); after it, it completes
      expect(await views()).toEqual(before);
      await foldTable(conn, { lakeDir: lake, table: T });
      expect(await views()).toEqual(before);
    },
  );
});

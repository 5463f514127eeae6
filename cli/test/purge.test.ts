/**
 * `ticklake purge`: after a key was deleted, every row of it leaves every Parquet file of the table (changes, a
 * fold's base and history) and the engine's state, while the other keys' rows and views stay exactly as they were;
 * a key that still exists is refused. Checked by reading the raw files with plain DuckDB, not through the views.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../core/log.js';
import { ensureSchemaFile, viewStatements } from '../../lake/changelog.js';
import { foldTable } from '../../lake/changelog-fold.js';
import { ChangeDelivery } from '../../processors/sinks/change-delivery.js';
import { loadTableCatalog } from '../../processors/tables/catalog.js';
import { TablesEngine } from '../../processors/tables/engine.js';
import { deliveredTables } from '../../processors/tables/lake-tables.js';
import type { RawMessage } from '../../processors/tables/stage.js';
import { openTablesState } from '../../processors/tables/state.js';

const BIN = join(import.meta.dirname, '..', 'bin.js');

describe('ticklake purge', () => {
  let dir: string;
  const lake = () => join(dir, 'lake');
  const sql = () => join(dir, 'sql');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-purge-'));
    await mkdir(join(sql(), 'sources'), { recursive: true });
    await writeFile(
      join(sql(), 'sources', 'clients.sql'),
      `-- title: Clients
-- topic: purge.clients
-- format: plain
create table clients (client_id varchar primary key, name varchar, email varchar);
`,
    );
    const catalog = await loadTableCatalog([sql()], { bundled: false });
    const state = await openTablesState(join(dir, 'state'));
    const engine = await TablesEngine.open({ state, catalog });
    const conn = await state.instance.connect();
    const tables = deliveredTables(catalog);
    for (const t of tables) await ensureSchemaFile(conn, lake(), t);
    const delivery = new ChangeDelivery({ conn, lakeDir: lake(), tables, log: logger('test') });
    let offset = 0;
    const msg = (id: string, v: Record<string, string> | null): RawMessage => ({
      topic: 'purge.clients',
      partition: 0,
      offset: offset++,
      timestamp: 1_767_225_600_000 + offset,
      key: id,
      value: v ? JSON.stringify({ client_id: id, ...v }) : null,
    });
    // C7 is created, changes email twice, and is deleted; C1 and C2 live on. Two batches are folded (base and
    // history), the last stays in changes/.
    const batches = [
      [msg('C1', { name: 'Ann', email: 'ann@x' }), msg('C7', { name: 'Eve', email: 'eve@old' })],
      [msg('C7', { name: 'Eve', email: 'eve@new' }), msg('C2', { name: 'Bob', email: 'bob@x' })],
      [msg('C7', { name: 'Eve', email: 'eve@newer' }), msg('C7', null), msg('C1', { name: 'Ann', email: 'ann@y' })],
    ];
    for (const b of batches) {
      await engine.process(b);
      await delivery.deliverAll(true);
    }
    await foldTable(conn, { lakeDir: lake(), table: tables[0], upToBatch: 2 });
    conn.closeSync();
    state.conn.closeSync();
    state.instance.closeSync(); // the file's lock goes with the instance
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Every row of every Parquet file of the table, by plain DuckDB (a base repeats a row of history: once each). */
  async function rawRows(): Promise<string[]> {
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const r = await c.runAndReadAll(
      `SELECT DISTINCT client_id || ':' || _op || ':' || coalesce(email, '') AS r, _lsn
       FROM read_parquet('${lake()}/clients/*/*.parquet') ORDER BY _lsn`,
    );
    c.closeSync();
    return r.getRowsJS().map((x) => String(x[0]));
  }

  async function views() {
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const catalog = await loadTableCatalog([sql()], { bundled: false });
    for (const s of viewStatements(lake(), deliveredTables(catalog)[0])) await c.run(s);
    const r = await c.runAndReadAll('SELECT client_id, email FROM clients ORDER BY 1');
    c.closeSync();
    return r.getRowsJS().map((x) => x.join('|'));
  }

  const purge = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [BIN, 'purge', '--lake-dir', lake(), '--state-dir', join(dir, 'state'), '--sql-dir', sql(), ...args],
      { encoding: 'utf8', env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' } },
    );

  it('refuses a key that still exists, and erases every row of a deleted one from every file', async () => {
    const before = await rawRows();
    expect(before.filter((r) => r.startsWith('C7:'))).toEqual([
      'C7:c:eve@old',
      'C7:u:eve@new',
      'C7:u:eve@newer',
      'C7:d:',
    ]);
    const live = purge('clients', 'C1');
    expect(live.status).toBe(2); // a refused argument, as every TL_CONFIG error
    expect(live.stderr).toMatch(/clients still holds this key: delete it through its source first/);
    const viewsBefore = await views();
    const r = purge('clients', '{"client_id":"C7"}');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/purged 1 key\(s\) of clients: 5 row\(s\) from 3 lake file\(s\)/); // history, base, changes
    const after = await rawRows();
    expect(after.some((x) => x.startsWith('C7:') || x.includes('eve@'))).toBe(false);
    expect(after).toEqual(before.filter((x) => !x.startsWith('C7:')));
    expect(await views()).toEqual(viewsBefore);
    // the state's copy is gone too: nothing in the outbox or the log names C7
    const state = await openTablesState(join(dir, 'state'));
    const left = await state.conn.runAndReadAll("SELECT count(*) FROM ob.clients WHERE client_id = 'C7'");
    expect(Number(left.getRowsJS()[0][0])).toBe(0);
    state.conn.closeSync();
    state.instance.closeSync();
    // again: nothing left to do, same result
    const again = purge('clients', 'C7');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/0 row\(s\) from 0 lake file\(s\)/);
  });
});

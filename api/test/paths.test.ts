/**
 * No absolute path of the server reaches a client (issue 21 item 10): the lake directory, the query processes'
 * scratch directories, the home directory (DuckDB's secret directory was ~/.duckdb/stored_secrets) and a
 * --sql-dir directory. Every response below — /health, the catalogs, the OpenAPI document, every setting through
 * duckdb_settings() and current_setting(), every table function that takes no argument, view definitions, file
 * names, plans and error messages — is searched for them.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { writeSampleLake } from '../../test/helpers/sample-lake.js';
import { buildApp } from '../app.js';

let lake: LakeFixture;
let sqlDir: string;
let app: FastifyInstance;
let secrets: string[];

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  // an unreadable file in the lake, for an error message about a lake file
  mkdirSync(join(lake.dir, 'late_ticks', 'date=2026-01-05'), { recursive: true });
  writeFileSync(join(lake.dir, 'late_ticks', 'date=2026-01-05', 'bad.parquet'), 'not parquet');
  sqlDir = mkdtempSync(join(tmpdir(), 'tl-paths-sql-'));
  mkdirSync(join(sqlDir, 'views'));
  writeFileSync(
    join(sqlDir, 'views', 'aapl_ticks.sql'),
    "create view aapl_ticks as select * from ticks where symbol = 'AAPL';",
  );
  // a broken report in it: the catalog lists it with its file and error
  mkdirSync(join(sqlDir, 'reports'));
  writeFileSync(
    join(sqlDir, 'reports', 'bad.sql'),
    '-- title: Bad\n-- description: D\n-- param: n money optional N\nselect $n;\n',
  );
  app = await buildApp({ lakeDir: lake.dir, sqlDirs: [sqlDir] });
  secrets = [
    lake.dir,
    realpathSync(lake.dir),
    sqlDir,
    join(tmpdir(), 'ticklake-query-'),
    join(tmpdir(), 'ticklake-session-'),
    homedir(),
  ];
});
afterAll(async () => {
  await app?.close();
  lake?.close();
  rmSync(sqlDir, { recursive: true, force: true });
});

/** Fails naming the request when the response names a secret path. */
function expectNoPath(what: string, body: string): void {
  const found = secrets.filter((s) => body.includes(s));
  expect({ what, found }).toEqual({ what, found: [] });
}

const query = (sql: string) => app.inject({ method: 'POST', url: '/api/query', payload: { sql } });

describe('no server path in any response', () => {
  it('GET routes: health, catalogs, tables, the OpenAPI document', async () => {
    for (const url of [
      '/health',
      '/api/reports',
      '/api/checks',
      '/api/tables',
      '/docs/json',
      '/api/reports/nope',
      '/api/reports/bad',
    ]) {
      const r = await app.inject(url);
      expectNoPath(url, r.body);
    }
    expect((await app.inject('/api/reports')).json().broken[0].file).toMatch(/^tl-paths-sql-\w+\/reports\/bad\.sql$/);
  });

  it('every setting, through duckdb_settings() and current_setting()', async () => {
    const r = await query('select name, value from duckdb_settings()');
    expect(r.statusCode).toBe(200);
    expectNoPath('duckdb_settings()', r.body);
    const names = (r.json().rows as { name: string }[]).map((x) => x.name);
    expect(names).toContain('temp_directory');
    const all = names.map((n, i) => `current_setting('${n}')::varchar as s${i}`).join(', ');
    const s = await query(`select ${all}`);
    expect(s.statusCode).toBe(200);
    expectNoPath('current_setting()', s.body);
    // the originals, named with their catalog, are refused
    for (const sql of [
      "select system.main.current_setting('temp_directory')",
      'select * from system.main.duckdb_settings()',
      "select * from query('select 1')",
    ]) {
      const refused = await query(sql);
      expect([sql, refused.json().error?.code]).toEqual([sql, 'TL_SQL_FORBIDDEN']);
    }
  });

  it('every table function without arguments', async () => {
    const fns = await query(
      "select distinct function_name from duckdb_functions() where function_type = 'table' and len(parameters) = 0 order by 1",
    );
    const names = (fns.json().rows as { function_name: string }[]).map((x) => x.function_name);
    expect(names).toContain('duckdb_temporary_files');
    // four at a time, as many as the server runs at once
    for (let i = 0; i < names.length; i += 4) {
      const batch = names.slice(i, i + 4);
      const bodies = await Promise.all(batch.map(async (f) => (await query(`select * from ${f}()`)).body));
      for (const [j, f] of batch.entries()) expectNoPath(`${f}()`, bodies[j]);
    }
  });

  it('views, file names, plans, a spill, and error messages about files', async () => {
    for (const sql of [
      'select view_name, sql from duckdb_views()',
      'select * from information_schema.views',
      'select count(*) from aapl_ticks',
      "select filename from read_parquet('ticks/**/*.parquet', filename = true)",
      "select * from glob('**')",
      'explain analyze select * from ticks',
      "select * from read_parquet('ticks/nope.parquet')",
      'select * from late_ticks',
      "select * from read_parquet('late_ticks/**/*.parquet')",
      "select * from read_csv('/etc/passwd')",
      `select * from read_csv('${lake.dir}/../x.csv')`,
      'select * from nope',
      // a query that spills to the scratch directory while it runs
      'select count(*) from (select distinct md5(range::varchar) from range(300000))',
    ]) {
      expectNoPath(sql, (await query(sql)).body);
    }
  });
});

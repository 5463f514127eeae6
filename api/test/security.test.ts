/**
 * Ad-hoc SQL is read-only and confined to the lake. Every attempt below is refused (403 TL_SQL_FORBIDDEN or a
 * 400 for SQL DuckDB rejects) or bounded (408 on the time limit, `truncated` on the row cap), and after each the
 * server still answers and the lake views are intact.
 */
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { TICKS, writeSampleLake } from '../../test/helpers/sample-lake.js';
import { buildApp } from '../app.js';

let lake: LakeFixture;
let app: FastifyInstance;
const TIMEOUT_MS = 3000;
const MAX_ROWS = 50_000;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  app = await buildApp({ lakeDir: lake.dir, queryTimeoutMs: TIMEOUT_MS, maxRows: MAX_ROWS, memoryLimit: '256MB' });
});
afterAll(async () => {
  await app?.close();
  lake?.close();
});

const query = (sql: string) => app.inject({ method: 'POST', url: '/api/query', payload: { sql } });

/** The server still answers and the views still read the lake. */
async function stillServing(): Promise<void> {
  expect((await app.inject('/health')).statusCode).toBe(200);
  const r = await query('select count(*) as n from ticks');
  expect(r.json().rows).toEqual([{ n: TICKS.length }]);
}

async function refused(sql: string, codes: string[] = ['TL_SQL_FORBIDDEN']): Promise<string> {
  const r = await query(sql);
  const body = r.json();
  expect({ sql, status: r.statusCode >= 400, code: codes.includes(body.error?.code) }).toEqual({
    sql,
    status: true,
    code: true,
  });
  expect(body.error.message).not.toContain('root:'); // never a line of /etc/passwd
  return body.error.message as string;
}

describe('reading files outside the lake', () => {
  const fileFunctions = [
    "read_csv('/etc/passwd')",
    "read_csv_auto('/etc/passwd')",
    "read_json('/etc/passwd')",
    "read_json_auto('/etc/passwd')",
    "read_json_objects('/etc/passwd')",
    "read_ndjson('/etc/passwd')",
    "read_ndjson_objects('/etc/passwd')",
    "read_text('/etc/passwd')",
    "read_blob('/etc/passwd')",
    "read_parquet('/etc/passwd')",
    "parquet_metadata('/etc/passwd')",
    "parquet_schema('/etc/passwd')",
    "sniff_csv('/etc/passwd')",
    "glob('/etc/*')",
    "'/etc/passwd'",
  ];
  for (const f of fileFunctions) {
    it(`select * from ${f} is refused`, async () => {
      const message = await refused(`select * from ${f}`, ['TL_SQL_FORBIDDEN', 'TL_SQL_QUERY']);
      // a bare path is a replacement scan, which the confined session does not do at all
      expect(message).toMatch(/Permission|disabled|Cannot access|Table with name \/etc\/passwd does not exist/i);
    });
  }

  it('a path that climbs out of the lake, and lake-relative tricks, are refused', async () => {
    await refused(`select * from read_text('${lake.dir}/../../etc/passwd')`);
    await refused(`select * from read_csv('${join(lake.dir, '..', '..', 'etc', 'passwd')}')`);
    await stillServing();
  });

  it('a sibling directory whose name starts with the lake directory name is outside too', async () => {
    const sibling = `${lake.dir}2`;
    mkdirSync(sibling, { recursive: true });
    writeFileSync(join(sibling, 'secret.csv'), 'secret,1\n');
    try {
      await refused(`select * from read_csv('${sibling}/secret.csv')`);
      await refused(`select * from read_csv('${lake.dir}/../${basename(sibling)}/secret.csv')`);
    } finally {
      rmSync(sibling, { recursive: true, force: true });
    }
  });

  it('a symbolic link inside the lake that points outside is refused', async () => {
    const link = join(lake.dir, 'ticks', 'passwd.csv');
    symlinkSync('/etc/passwd', link);
    try {
      await refused(`select * from read_csv('${link}')`);
      await refused(`select * from read_text('${link}')`);
    } finally {
      rmSync(link);
    }
  });

  it('the lake itself stays readable by path', async () => {
    const r = await query(`select count(*) as n from read_parquet('${lake.dir}/ticks/**/*.parquet')`);
    expect(r.json().rows).toEqual([{ n: TICKS.length }]);
  });
});

describe('statements that are not queries', () => {
  const cases: [string, string][] = [
    ['COPY TO outside', "copy (select 1) to '/tmp/ticklake-pwned.csv'"],
    ['COPY TO inside the lake', `copy (select 1) to '${lake?.dir ?? '/tmp'}/pwned.csv'`],
    ['EXPORT DATABASE', "export database '/tmp/ticklake-pwned'"],
    ['ATTACH a file', "attach '/tmp/ticklake-pwned.db' as x"],
    ['ATTACH memory', "attach ':memory:' as x"],
    ['DETACH', 'detach memory'],
    ['INSTALL', 'install httpfs'],
    ['FORCE INSTALL', 'force install httpfs'],
    ['LOAD', 'load httpfs'],
    ['SET', 'set enable_external_access = true'],
    ['SET threads', 'set threads = 64'],
    ['RESET', 'reset memory_limit'],
    ['PRAGMA', 'pragma threads = 64'],
    ['PRAGMA query', 'pragma show_tables'],
    ['CALL', 'call pragma_version()'],
    ['CREATE TABLE', 'create table t as select 1'],
    ['CREATE VIEW over a lake view', 'create or replace view ticks as select 1 as x'],
    ['CREATE MACRO', 'create macro f(x) as x + 1'],
    ['INSERT', 'insert into t values (1)'],
    ['UPDATE', "update ticks set price = 0 where symbol = 'AAPL'"],
    ['DELETE', 'delete from ticks'],
    ['DROP', 'drop view ticks'],
    ['ALTER', 'alter view ticks rename to t2'],
    ['BEGIN', 'begin transaction'],
    ['CHECKPOINT', 'checkpoint'],
    ['USE', 'use memory'],
    ['EXPLAIN ANALYZE of a write', 'explain analyze create table t as select 1'],
    ['two statements', 'select 1; drop view ticks'],
    ['a query then a SET', 'select 1; set threads = 64'],
    ['query() running DDL', "select * from query('drop view ticks')"],
    ['PIVOT without IN list (expands to CREATE TYPE + SELECT)', 'pivot ticks on symbol using count(*)'],
    ['PIVOT then DROP', "pivot ticks on symbol in ('AAPL') using count(*); drop view ticks"],
  ];
  for (const [what, sql] of cases) {
    it(`${what} is refused`, async () => {
      await refused(sql, ['TL_SQL_FORBIDDEN', 'TL_SQL_QUERY']);
    });
  }

  it('nothing was written and the settings are unchanged', async () => {
    expect(existsSync('/tmp/ticklake-pwned.csv')).toBe(false);
    expect(existsSync(join(lake.dir, 'pwned.csv'))).toBe(false);
    const r = await query(
      "select name, value from duckdb_settings() where name in ('enable_external_access', 'lock_configuration', 'threads') order by name",
    );
    expect(r.json().rows).toEqual([
      { name: 'enable_external_access', value: 'false' },
      { name: 'lock_configuration', value: 'true' },
      { name: 'threads', value: '2' },
    ]);
    await stillServing();
  });

  it('the allowed query forms work: WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT, EXPLAIN', async () => {
    for (const sql of [
      'with x as (select 1 as a) select * from x',
      'from ticks limit 1',
      'values (1, 2)',
      'describe ticks',
      'show tables',
      'summarize ticks',
      "pivot ticks on symbol in ('AAPL', 'MSFT') using count(*)",
      'explain select * from ticks',
      '-- a comment first\n(select 1)',
    ]) {
      const r = await query(sql);
      expect({ sql, status: r.statusCode, body: r.statusCode === 200 ? '' : r.body }).toEqual({
        sql,
        status: 200,
        body: '',
      });
    }
  });
});

describe('queries that would run forever or return everything', () => {
  it('a recursive CTE without end is interrupted at the time limit (408), and the server keeps serving', async () => {
    const r = await query('with recursive t(n) as (select 1 union all select n + 1 from t) select count(*) from t');
    expect([r.statusCode, r.json().error.code]).toEqual([408, 'TL_SQL_TIMEOUT']);
    await stillServing();
  });

  it('an aggregate over range(1e15) is interrupted (408)', async () => {
    const r = await query('select sum(range) from range(1000000000000000)');
    expect([r.statusCode, r.json().error.code]).toEqual([408, 'TL_SQL_TIMEOUT']);
    await stillServing();
  });

  it('a query needing more memory than memory_limit (256MB) fails with the reason', async () => {
    // own app with a generous time limit, so that a slow machine cannot turn this into a timeout
    const roomy = await buildApp({ lakeDir: lake.dir, queryTimeoutMs: 60_000, memoryLimit: '256MB' });
    try {
      const sql = "select max(length(s)) from (select string_agg(range::varchar, ',') as s from range(60000000))";
      const r = await roomy.inject({ method: 'POST', url: '/api/query', payload: { sql } });
      expect([r.statusCode, r.json().error.code]).toEqual([400, 'TL_SQL_MEMORY']);
      expect(r.json().error.message).toMatch(/Out of Memory/);
      expect((await roomy.inject('/health')).statusCode).toBe(200);
    } finally {
      await roomy.close();
    }
  });

  it('millions of rows are cut at the row cap with truncated = true', async () => {
    const r = await query('select range as n, range * 2 as m from range(5000000)');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect([body.rows.length, body.row_count, body.truncated]).toEqual([MAX_ROWS, MAX_ROWS, true]);
    expect(body.rows.at(-1)).toEqual({ n: MAX_ROWS - 1, m: 2 * (MAX_ROWS - 1) });
    await stillServing();
  });
});

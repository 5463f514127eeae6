/**
 * A table the scheduler materializes (registered in `<lake>/_scheduler/tables/`, lake/tables.ts) is queryable
 * through the API, whose query processes read the lake by relative paths (lake/views.ts): its view is generated,
 * empty until its first file, and names no server path.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LakeTable } from '../../lake/tables.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { writeSampleLake } from '../../test/helpers/sample-lake.js';
import { buildApp } from '../app.js';

const TABLE: LakeTable = {
  name: 'daily_counts',
  columns: [
    { name: 'symbol', type: 'VARCHAR' },
    { name: 'n', type: 'BIGINT' },
  ],
  partitions: [{ name: 'date', type: 'DATE' }],
  key: ['symbol', 'date'],
  description: 'a materialized model',
};

let lake: LakeFixture;
let app: FastifyInstance | undefined;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  mkdirSync(join(lake.dir, '_scheduler', 'tables'), { recursive: true });
  writeFileSync(join(lake.dir, '_scheduler', 'tables', `${TABLE.name}.json`), JSON.stringify(TABLE));
});
afterAll(async () => {
  await app?.close();
  lake?.close();
});

const query = async (sql: string) => {
  const r = await app!.inject({ method: 'POST', url: '/api/query', payload: { sql } });
  return { status: r.statusCode, body: r.json() as { rows?: Record<string, unknown>[]; error?: { code: string } } };
};

describe('tables registered by the scheduler, through the API', () => {
  it('an empty view before its first file, its rows after, and its definition shows no server path', async () => {
    app = await buildApp({ lakeDir: lake.dir });
    expect(await query('select count(*)::int as n from daily_counts')).toEqual({
      status: 200,
      body: expect.anything(),
    });
    expect((await query('select count(*)::int as n from daily_counts')).body.rows).toEqual([{ n: 0 }]);

    await lake.write('daily_counts', { date: '2026-01-05' }, "select 'AAPL' as symbol, 3::bigint as n");
    await lake.write('daily_counts', { date: '2026-01-06' }, "select 'MSFT' as symbol, 5::bigint as n", 'y.parquet');
    const rows = (await query('select symbol, n::int as n, date::varchar as date from daily_counts order by symbol'))
      .body.rows;
    expect(rows).toEqual([
      { symbol: 'AAPL', n: 3, date: '2026-01-05' },
      { symbol: 'MSFT', n: 5, date: '2026-01-06' },
    ]);
    const def = await query("select sql from duckdb_views() where view_name = 'daily_counts'");
    expect(def.status).toBe(200);
    expect(JSON.stringify(def.body)).not.toContain(lake.dir);
  }, 60_000);
});

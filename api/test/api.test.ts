/**
 * The HTTP API through fastify.inject on the fixed lake of test/helpers/sample-lake.ts: catalogs, every result format
 * decoded back (Arrow with apache-arrow, Parquet with a separate DuckDB), exact 64-bit integers, bad parameters,
 * the token, tables, checks, metrics and the OpenAPI docs.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { BARS_1M, writeSampleLake } from '../../test/helpers/sample-lake.js';
import { buildApp } from '../app.js';

let lake: LakeFixture;
let app: FastifyInstance;
const TOKEN = 'test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  app = await buildApp({ lakeDir: lake.dir, token: TOKEN, maxRows: 1000 });
});
afterAll(async () => {
  await app?.close();
  lake?.close();
});

const query = (sql: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = auth) =>
  app.inject({ method: 'POST', url: '/api/query', headers, payload: { sql, ...extra } });

// top movers of 2026-01-06, from the fixture: AAPL 11.1 -> 12, MSFT 401 -> 409
const MOVERS_URL = '/api/reports/top-movers?day=2026-01-06';
const MOVERS = [
  ['AAPL', 11.1, 12, 100],
  ['MSFT', 401, 409, 20],
];

describe('catalog routes', () => {
  it('GET /api/reports lists every report with typed parameters', async () => {
    const r = await app.inject('/api/reports');
    expect(r.statusCode).toBe(200);
    const top = r.json().reports.find((x: { name: string }) => x.name === 'top-movers');
    expect(top.params).toEqual([
      { name: 'day', type: 'date', required: true, description: 'Day (UTC)' },
      { name: 'limit', type: 'integer', required: false, default: '10', min: 0, description: 'Number of symbols' },
    ]);
    // one per file of sql/reports
    const files = readdirSync(join(import.meta.dirname, '..', '..', 'sql', 'reports')).filter((f) =>
      f.endsWith('.sql'),
    );
    expect(r.json().reports.length).toBe(files.length);
  });

  it('GET /api/checks lists the checks; POST /api/checks/run returns violations per check', async () => {
    expect((await app.inject('/api/checks')).json().checks.map((c: { name: string }) => c.name)).toContain('freshness');
    const r = await app.inject({
      method: 'POST',
      url: '/api/checks/run',
      payload: { checks: ['ohlc-consistency', 'freshness'], params: { freshness: { now: '2026-01-07 11:00' } } },
    });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.passed).toBe(false);
    const bad = BARS_1M.filter((b) => b.high < b.open || b.high < b.close);
    expect(body.checks.map((c: { name: string; passed: boolean }) => [c.name, c.passed])).toEqual([
      ['ohlc-consistency', false],
      ['freshness', true],
    ]);
    // timestamps are UTC with a Z (RFC 3339)
    expect(body.checks[0].rows.map((x: { window_start: string }) => x.window_start)).toEqual(
      bad.map((b) => `${b.start.replace(' ', 'T')}Z`),
    );
  });

  it('GET /api/tables: columns, rows and files of each lake table, derived views with columns', async () => {
    const r = (await app.inject('/api/tables')).json();
    const bars = r.tables.find((t: { name: string }) => t.name === 'bars');
    expect(bars.rows).toBe(BARS_1M.length);
    expect(bars.files).toBe(new Set(BARS_1M.map((b) => b.start.slice(0, 10))).size);
    expect(bars.columns.at(-2)).toEqual({ name: 'window', type: 'VARCHAR' });
    const late = r.tables.find((t: { name: string }) => t.name === 'late_ticks');
    expect([late.rows, late.files]).toEqual([0, 0]);
    expect(r.views.map((v: { name: string }) => v.name)).toEqual([
      'bars_1h',
      'closes_daily',
      'fundamentals',
      'fundamentals_kpis',
      'nav_daily',
    ]);
  });

  it('GET /health answers; /docs serves the interactive docs and /docs/json the OpenAPI document', async () => {
    expect((await app.inject('/health')).json().status).toBe('ok');
    const docs = await app.inject('/docs');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('Swagger UI');
    expect(docs.body).not.toMatch(/https?:\/\/(cdn|unpkg)/);
    // every script and stylesheet the page loads is served by this app (bundled, no CDN)
    const assets = [...docs.body.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThan(2);
    for (const a of assets) {
      expect(a.startsWith('/docs/')).toBe(true);
      expect((await app.inject(a)).statusCode).toBe(200);
    }
    const spec = (await app.inject('/docs/json')).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/reports', '/api/reports/{name}', '/api/query', '/api/tables', '/api/checks/run']),
    );
  });
});

describe('result formats, decoded back', () => {
  it('JSON (default): columns, rows as objects, row_count and truncated', async () => {
    const r = await app.inject(MOVERS_URL);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const body = r.json();
    expect(body.columns.map((c: { name: string }) => c.name)).toEqual([
      'symbol',
      'open',
      'close',
      'change_pct',
      'volume',
    ]);
    expect(body.rows.map((x: Record<string, unknown>) => [x.symbol, x.open, x.close, x.volume])).toEqual(MOVERS);
    expect([body.row_count, body.truncated]).toEqual([2, false]);
  });

  it('CSV by format= and by Accept', async () => {
    for (const r of [
      await app.inject(`${MOVERS_URL}&format=csv`),
      await app.inject({ url: MOVERS_URL, headers: { accept: 'text/csv' } }),
    ]) {
      expect(r.headers['content-type']).toMatch(/^text\/csv/);
      const lines = r.body.trim().split('\r\n');
      expect(lines[0]).toBe('symbol,open,close,change_pct,volume');
      expect(
        lines
          .slice(1)
          .map((l) => l.split(','))
          .map((f) => [f[0], +f[1], +f[2], +f[4]]),
      ).toEqual(MOVERS);
      expect(r.trailers['x-ticklake-truncated']).toBe('false');
    }
  });

  it('NDJSON: one object per line', async () => {
    const r = await app.inject({ url: MOVERS_URL, headers: { accept: 'application/x-ndjson' } });
    const rows = r.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.symbol, x.open, x.close, x.volume])).toEqual(MOVERS);
  });

  it('Arrow IPC stream, read with apache-arrow (typed columns)', async () => {
    const r = await query(
      `select symbol, window_start, volume, close, date from bars where symbol = 'AAPL' order by window_start`,
      { format: 'arrow' },
    );
    expect(r.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
    const t = tableFromIPC(r.rawPayload);
    const aapl = BARS_1M.filter((b) => b.symbol === 'AAPL');
    expect(t.numRows).toBe(aapl.length);
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'symbol:Utf8',
      'window_start:Timestamp<MICROSECOND>',
      'volume:Float64',
      'close:Float64',
      'date:Date32<DAY>',
    ]);
    const rows = t.toArray().map((x) => x.toJSON());
    expect(rows.map((x) => [x.symbol, x.window_start, x.volume, x.close])).toEqual(
      aapl.map((b) => ['AAPL', Date.parse(`${b.start.replace(' ', 'T')}Z`), b.volume, b.close]),
    );
    const empty = tableFromIPC((await query('select 1 as x where false', { format: 'arrow' })).rawPayload);
    expect([empty.numRows, empty.schema.fields.map((f) => f.name)]).toEqual([0, ['x']]);
  });

  it('Parquet, read back with a separate DuckDB', async () => {
    const r = await app.inject({ url: MOVERS_URL, headers: { accept: 'application/vnd.apache.parquet' } });
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
    expect(r.headers['x-ticklake-truncated']).toBe('false');
    const file = join(lake.dir, 'movers.parquet'); // outside every table directory; removed with the lake
    writeFileSync(file, r.rawPayload);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const rows = (await c.runAndReadAll(`select symbol, open, close, volume from '${file}'`)).getRows();
      expect(rows.map((x) => [x[0], x[1], x[2], Number(x[3])])).toEqual(MOVERS);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });

  it('64-bit integers and decimals stay exact: numbers when safe, strings otherwise', async () => {
    const r = await query(
      `select 9007199254740991::bigint as safe, 9007199254740993::bigint as big, (-9223372036854775807 - 1)::bigint as min,
              170141183460469231731687303715884105727::hugeint as huge, 1.10::decimal(10,2) as dec,
              12345678901234567.89::decimal(38,2) as bigdec, 'nan'::double as nan, null::bigint as none`,
    );
    expect(r.json().rows[0]).toEqual({
      safe: 9007199254740991,
      big: '9007199254740993',
      min: '-9223372036854775808',
      huge: '170141183460469231731687303715884105727',
      dec: 1.1,
      bigdec: '12345678901234567.89',
      nan: 'NaN',
      none: null,
    });
    const csv = await query('select 9007199254740993::bigint as big', { format: 'csv' });
    expect(csv.body).toBe('big\r\n9007199254740993\r\n');
  });

  it('duplicate column names stay apart in JSON rows', async () => {
    const r = await query('select 1 as a, 2 as a');
    expect(r.json().rows).toEqual([{ a: 1, 'a:1': 2 }]);
  });

  it('bound parameters in ad-hoc SQL, by name and by position', async () => {
    const byName = await query('select count(*) as n from bars where symbol = $s', { params: { s: 'MSFT' } });
    expect(byName.json().rows).toEqual([{ n: BARS_1M.filter((b) => b.symbol === 'MSFT').length }]);
    // the example of docs/api.md: a string parameter compared with a timestamp is cast by DuckDB
    const since = await query('select symbol, max(price) as p from ticks where ts >= $since group by all', {
      params: { since: '2026-01-07 10:04' },
    });
    expect(since.json().rows).toEqual([{ symbol: 'MSFT', p: 392 }]);
    const byPos = await query('select $1::varchar || $2::varchar as x', { params: ['a', 'b'] });
    expect(byPos.json().rows).toEqual([{ x: 'ab' }]);
  });

  it('the row cap cuts a result and says so, in every format', async () => {
    const capped = await buildApp({ lakeDir: lake.dir, maxRows: 3 });
    try {
      const ask = (format: string) =>
        capped.inject({ method: 'POST', url: '/api/query', payload: { sql: 'select * from range(10)', format } });
      const j = (await ask('json')).json();
      expect([j.rows.length, j.row_count, j.truncated]).toEqual([3, 3, true]);
      expect((await ask('csv')).trailers['x-ticklake-truncated']).toBe('true');
      expect((await ask('csv')).body.trim().split('\r\n')).toHaveLength(4);
      expect(tableFromIPC((await ask('arrow')).rawPayload).numRows).toBe(3);
      expect((await ask('parquet')).headers['x-ticklake-truncated']).toBe('true');
      const exact = await capped.inject({
        method: 'POST',
        url: '/api/query',
        payload: { sql: 'select * from range(3)' },
      });
      expect(exact.json().truncated).toBe(false);
    } finally {
      await capped.close();
    }
  });
});

describe('parameters and the token', () => {
  it('a bad or missing report parameter is 400 naming it; an unknown one too', async () => {
    const cases: [string, string][] = [
      ['/api/reports/top-movers', 'Parameter day: required date parameter is missing'],
      ['/api/reports/top-movers?day=yesterday', 'Parameter day: expected a date YYYY-MM-DD, got "yesterday"'],
      ['/api/reports/top-movers?day=2026-01-06&limit=ten', 'Parameter limit: expected an integer, got "ten"'],
      [
        '/api/reports/top-movers?day=2026-01-06&dya=1',
        'Parameter dya: unknown parameter of top-movers (known: day, limit)',
      ],
    ];
    for (const [url, message] of cases) {
      const r = await app.inject(url);
      expect([r.statusCode, r.json()]).toEqual([400, { error: { code: 'TL_API_BAD_PARAM', message } }]);
    }
  });

  it('with --token, /api/query needs the bearer token; other routes stay open', async () => {
    const none = await query('select 1', {}, {});
    expect([none.statusCode, none.json().error.code, none.headers['www-authenticate']]).toEqual([
      401,
      'TL_API_UNAUTHORIZED',
      'Bearer realm="ticklake"',
    ]);
    expect((await query('select 1', {}, { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await query('select 1 as one')).json().rows).toEqual([{ one: 1 }]);
    expect((await app.inject('/api/reports')).statusCode).toBe(200);
  });

  it('GET /metrics counts requests by route and status, with latencies, and query errors', async () => {
    await app.inject('/api/reports/top-movers?day=bad');
    const m = (await app.inject('/metrics')).body;
    expect(m).toMatch(/^ticklake_http_requests_total\{method="GET",route="\/api\/reports\/:name",status="400"\} \d+$/m);
    expect(m).toMatch(
      /^ticklake_http_request_duration_seconds_count\{method="GET",route="\/api\/reports\/:name"\} \d+$/m,
    );
    expect(m).toMatch(/^ticklake_query_errors_total\{code="TL_API_BAD_PARAM"\} \d+$/m);
  });
});

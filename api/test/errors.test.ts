/**
 * One error shape everywhere: a failing request on every route answers `{"error": {"code", "message"}}` and
 * nothing else, with a code from core/errors.ts and that code's status.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../core/errors.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { writeSampleLake } from '../../test/helpers/sample-lake.js';
import { buildApp } from '../app.js';

let lake: LakeFixture;
let app: FastifyInstance;
let broken: FastifyInstance;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  app = await buildApp({ lakeDir: lake.dir, token: 't0k', queryTimeoutMs: 3000 });
  // an app whose query processes are gone (as while it shuts down): the routes that need one answer TL_API_BUSY
  broken = await buildApp({ lakeDir: lake.dir });
  await broken.queries.close();
});
afterAll(async () => {
  await app?.close();
  await broken?.close();
  lake?.close();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'POST',
  url,
  payload: payload as InjectOptions['payload'],
  headers,
});
const q = (sql: string, extra = {}) => post('/api/query', { sql, ...extra }, { authorization: 'Bearer t0k' });

/** [what, request, expected code, run on the app whose query processes are gone] */
const CASES: [string, InjectOptions, string, boolean?][] = [
  ['POST /metrics (no such route)', post('/metrics', {}), 'TL_API_NOT_FOUND'],
  ['GET /nope', { url: '/nope' }, 'TL_API_NOT_FOUND'],
  ['DELETE /api/reports', { method: 'DELETE', url: '/api/reports' }, 'TL_API_NOT_FOUND'],
  ['GET /api/reports/nope', { url: '/api/reports/nope' }, 'TL_API_NOT_FOUND'],
  ['GET /api/reports/:name missing param', { url: '/api/reports/top-movers' }, 'TL_API_BAD_PARAM'],
  ['GET /api/reports/:name bad param', { url: '/api/reports/nav-stats?from=2026-99-01' }, 'TL_API_BAD_PARAM'],
  ['GET /api/reports/:name bad format', { url: '/api/reports/nav-stats?format=xlsx' }, 'TL_API_BAD_FORMAT'],
  ['GET /api/reports/:name below min=', { url: '/api/reports/top-movers?day=2026-01-06&limit=-1' }, 'TL_API_BAD_PARAM'],
  ['GET /api/reports/:name no query process', { url: '/api/reports/nav-stats' }, 'TL_API_BUSY', true],
  ['GET /api/companies bad as_of', { url: '/api/companies?as_of=soon' }, 'TL_API_BAD_PARAM'],
  ['GET /api/companies/:id/kpis unknown company', { url: '/api/companies/NOPE/kpis' }, 'TL_API_NOT_FOUND'],
  ['GET /api/companies/:id/kpis bad format', { url: '/api/companies/NOPE/kpis?format=xlsx' }, 'TL_API_BAD_FORMAT'],
  ['GET /api/companies/:id/kpis cik in the query', { url: '/api/companies/1/kpis?cik=2' }, 'TL_API_BAD_PARAM'],
  ['GET /api/companies no query process', { url: '/api/companies' }, 'TL_API_BUSY', true],
  ['PUT /api/checks', { method: 'PUT', url: '/api/checks' }, 'TL_API_NOT_FOUND'],
  ['POST /api/checks/run unknown check', post('/api/checks/run', { checks: ['nope'] }), 'TL_API_NOT_FOUND'],
  ['POST /api/checks/run bad body', post('/api/checks/run', { checks: 'freshness' }), 'TL_API_BAD_PARAM'],
  ['POST /api/checks/run unknown field', post('/api/checks/run', { chekcs: [] }), 'TL_API_BAD_PARAM'],
  [
    'POST /api/checks/run bad param',
    post('/api/checks/run', { checks: ['freshness'], params: { freshness: { max_age: 'soon' } } }),
    'TL_API_BAD_PARAM',
  ],
  [
    'POST /api/checks/run params of unknown check',
    post('/api/checks/run', { params: { nope: {} } }),
    'TL_API_NOT_FOUND',
  ],
  ['POST /api/tables', post('/api/tables', {}), 'TL_API_NOT_FOUND'],
  ['GET /api/tables no query process', { url: '/api/tables' }, 'TL_API_BUSY', true],
  ['POST /api/checks/run no query process', post('/api/checks/run', {}), 'TL_API_BUSY', true],
  ['POST /api/query no token', post('/api/query', { sql: 'select 1' }), 'TL_API_UNAUTHORIZED'],
  ['POST /api/query no sql', post('/api/query', {}, { authorization: 'Bearer t0k' }), 'TL_API_BAD_PARAM'],
  [
    'POST /api/query not JSON',
    {
      ...post('/api/query', '{"sql": ', { authorization: 'Bearer t0k' }),
      headers: { authorization: 'Bearer t0k', 'content-type': 'application/json' },
    },
    'TL_API_BAD_PARAM',
  ],
  ['POST /api/query syntax error', q('selec 1'), 'TL_SQL_QUERY'],
  ['POST /api/query unknown table', q('select * from nope'), 'TL_SQL_QUERY'],
  ['POST /api/query write', q('drop view ticks'), 'TL_SQL_FORBIDDEN'],
  ['POST /api/query outside the lake', q("select * from read_text('/etc/passwd')"), 'TL_SQL_FORBIDDEN'],
  ['POST /api/query too slow', q('select sum(range) from range(1000000000000000)'), 'TL_SQL_TIMEOUT'],
  ['POST /api/query bad format', q('select 1', { format: 'xml' }), 'TL_API_BAD_FORMAT'],
  ['POST /api/query bad params', q('select $x', { params: { y: 1 } }), 'TL_API_BAD_PARAM'],
  ['GET /docs/nope', { url: '/docs/nope' }, 'TL_API_NOT_FOUND'],
  // the dashboard's routes (issue 6) answer failures in the same shape
  ['POST / (dashboard page)', post('/', {}), 'TL_API_NOT_FOUND'],
  ['GET /assets/nope.js', { url: '/assets/nope.js' }, 'TL_API_NOT_FOUND'],
  ['GET /vendor/nope.js', { url: '/vendor/nope.js' }, 'TL_API_NOT_FOUND'],
  ['POST /api/live', post('/api/live', {}), 'TL_API_NOT_FOUND'],
];

describe('the error shape, route by route', () => {
  for (const [what, req, code, onBroken] of CASES) {
    it(`${what} -> ${code}`, async () => {
      const server = onBroken ? broken : app;
      const r = await server.inject(req);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      const body = r.json();
      expect(Object.keys(body)).toEqual(['error']);
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
      expect(body.error.code).toBe(code);
      expect(r.statusCode).toBe(ERRORS[code as keyof typeof ERRORS].status);
      expect(body.error.message.length).toBeGreaterThan(5);
    });
  }

  it('after all of that the server still answers', async () => {
    expect((await app.inject('/health')).statusCode).toBe(200);
  });
});

/**
 * GET /api/checks: the data quality checks (and the broken check files). POST /api/checks/run `{"checks": [...],
 * "params": {"freshness": {"max_age": "1h"}}}`: runs the named checks (all when omitted) in a query process;
 * each passes when it returns no rows, and its violating rows come back (up to the row cap). A failing check is a
 * 200 with `"passed": false`, not an error. One time limit covers all the checks of a request.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { describeBroken, describeSqlFile } from '../../lake/sql-catalog.js';
import { bindParams } from '../../lake/sql-params.js';

const RunBody = Type.Object(
  {
    checks: Type.Optional(Type.Array(Type.String(), { description: 'Check names; all when omitted' })),
    params: Type.Optional(
      Type.Record(Type.String(), Type.Record(Type.String(), Type.String()), {
        description: 'Parameters per check name',
      }),
    ),
  },
  { additionalProperties: false },
);

export async function checkRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/checks', { schema: { summary: 'The data quality checks', tags: ['checks'] } }, async () => {
    const checks = app.checks.refresh();
    return {
      checks: checks.list().map((f) => describeSqlFile(f, checks.needs(f.name))),
      broken: checks.broken().map((b) => describeBroken(b, app.maskPaths)),
    };
  });

  app.post(
    '/api/checks/run',
    {
      schema: { summary: 'Run data quality checks; each returns its violating rows', tags: ['checks'], body: RunBody },
    },
    async (req) => {
      const body = (req.body ?? {}) as { checks?: string[]; params?: Record<string, Record<string, string>> };
      const catalog = app.checks.refresh();
      const params = body.params ?? {};
      for (const name of Object.keys(params)) catalog.get(name);
      const files = body.checks && body.checks.length > 0 ? body.checks.map((n) => catalog.get(n)) : catalog.list();
      for (const f of files) bindParams(f, params[f.name] ?? {}); // bad parameters are answered here
      const job = { kind: 'checks' as const, files, params, maxRows: app.limits.maxRows };
      return (await app.queries.start(job, app.limits.timeoutMs, req.deadline)).value;
    },
  );
}

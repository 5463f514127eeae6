/**
 * GET /api/checks: the data quality checks (and the broken check files). POST /api/checks/run `{"checks": [...],
 * "params": {"freshness": {"max_age": "1h"}}}`: runs the named checks (all when omitted) in a query process;
 * each passes when it returns no rows, and its violating rows come back (up to the row cap). A failing check is a
 * 200 with `"passed": false`, not an error. One time limit covers all the checks of a request.
 *
 * Windows (docs/reports.md): a check needing bars of a window the lake does not have would pass over nothing. Asked
 * for by name it is 409 TL_SQL_WINDOW_MISSING; in a run of all checks it is left out and listed under
 * `unavailable` with that error. The catalog lists `available` and `unavailable` as for reports.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { describeBroken, describeSqlFile } from '../../lake/sql-catalog.js';
import type { SqlFile } from '../../lake/sql-header.js';
import { bindParams } from '../../lake/sql-params.js';
import { windowMissing } from '../../lake/window-requirements.js';

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
    const windows = await app.lakeWindows();
    return {
      windows,
      checks: checks.list().map((f) => {
        const missing = windowMissing('check', f.name, checks.needs(f.name), windows);
        return {
          ...describeSqlFile(f, checks.needs(f.name)),
          available: !missing,
          ...(missing ? { unavailable: { code: missing.code, message: app.maskPaths(missing.message) } } : {}),
        };
      }),
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
      const named = body.checks !== undefined && body.checks.length > 0;
      const all = named ? (body.checks as string[]).map((n) => catalog.get(n)) : catalog.list();
      for (const f of all) bindParams(f, params[f.name] ?? {}); // bad parameters are answered here
      const windows = await app.lakeWindows();
      const missing = (f: SqlFile) => windowMissing('check', f.name, catalog.needs(f.name), windows);
      const unavailable = all.flatMap((f) => {
        const m = missing(f);
        return m ? [{ name: f.name, title: f.title, code: m.code, message: app.maskPaths(m.message) }] : [];
      });
      if (named && unavailable.length > 0) throw missing(all.find((f) => missing(f)) as SqlFile);
      const files = all.filter((f) => !missing(f));
      const job = { kind: 'checks' as const, files, params, maxRows: app.limits.maxRows };
      const value = (await app.queries.start(job, app.limits.timeoutMs, req.deadline, req.gone)).value as Record<
        string,
        unknown
      >;
      return unavailable.length > 0 ? { ...value, unavailable } : value;
    },
  );
}

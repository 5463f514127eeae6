/**
 * GET /api/checks: the data quality checks. POST /api/checks/run `{"checks": [...], "params": {"freshness":
 * {"max_age": "1h"}}}`: runs the named checks (all when omitted); each passes when it returns no rows, and its
 * violating rows come back (up to the row cap). A failing check is a 200 with `"passed": false`, not an error.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { jsonRow } from '../../lake/json-value.js';
import { runChecks } from '../../lake/run-sql-file.js';
import { describeSqlFile } from '../../lake/sql-catalog.js';

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
  app.get('/api/checks', { schema: { summary: 'The data quality checks', tags: ['checks'] } }, async () => ({
    checks: app.checks.list().map(describeSqlFile),
  }));

  app.post(
    '/api/checks/run',
    {
      schema: { summary: 'Run data quality checks; each returns its violating rows', tags: ['checks'], body: RunBody },
    },
    async (req) => {
      const body = (req.body ?? {}) as { checks?: string[]; params?: Record<string, Record<string, string>> };
      for (const name of Object.keys(body.params ?? {})) app.checks.get(name);
      const results = await runChecks(app.lake, app.checks, body.checks ?? [], body.params ?? {}, {
        timeoutMs: app.limits.timeoutMs,
        maxRows: app.limits.maxRows,
      });
      return {
        passed: results.every((r) => r.passed),
        checks: results.map((r) => ({
          name: r.name,
          title: r.title,
          passed: r.passed,
          violations: r.violations,
          truncated: r.truncated,
          rows: r.rows.map((row) => jsonRow(r.columns, row)),
        })),
      };
    },
  );
}

/**
 * GET /api/reports: the catalog (title, description, parameters with types, defaults and bounds), and the files
 * that are broken (name, file, line, error). GET /api/reports/:name?param=...&format=...: runs one report;
 * parameters are validated against the report's header (a bad or missing one is 400 TL_API_BAD_PARAM naming it)
 * and bound, never spliced. The catalog follows the files: a report added or edited while the server runs is
 * served by the next request.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { describeBroken, describeSqlFile } from '../../lake/sql-catalog.js';
import { bindParams } from '../../lake/sql-params.js';
import { FORMATS, negotiateFormat } from '../formats/negotiate.js';
import { sendStarted } from '../formats/send-result.js';

export async function reportRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/reports',
    { schema: { summary: 'The report catalog with each report’s parameters', tags: ['reports'] } },
    async () => {
      const reports = app.reports.refresh();
      return {
        reports: reports.list().map(describeSqlFile),
        broken: reports.broken().map((b) => describeBroken(b, app.maskPaths)),
      };
    },
  );

  app.get(
    '/api/reports/:name',
    {
      schema: {
        summary: 'Run a report; its parameters go in the query string',
        description: `Result format by ?format= (${FORMATS.join(', ')}) or the Accept header; JSON by default.`,
        tags: ['reports'],
        params: Type.Object({ name: Type.String() }),
        querystring: Type.Object({ format: Type.Optional(Type.String()) }, { additionalProperties: Type.String() }),
      },
    },
    async (req, reply) => {
      const { name } = req.params as { name: string };
      const given = { ...(req.query as Record<string, string>) };
      const file = app.reports.refresh().get(name);
      const format = negotiateFormat(given.format, req.headers.accept);
      delete given.format;
      bindParams(file, given); // a bad parameter is answered here, before a query process is involved
      const job = { kind: 'report' as const, file, given, format, maxRows: app.limits.maxRows };
      return sendStarted(reply, format, await app.queries.start(job, app.limits.timeoutMs, req.deadline));
    },
  );
}

/**
 * GET /api/reports: the catalog (title, description, parameters with types and defaults).
 * GET /api/reports/:name?param=...&format=...: runs one report; parameters are validated against the report's
 * header (a bad or missing one is 400 TL_API_BAD_PARAM naming it) and bound, never spliced.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { describeSqlFile } from '../../lake/sql-catalog.js';
import { bindParams } from '../../lake/sql-params.js';
import { FORMATS, negotiateFormat } from '../formats/negotiate.js';
import { sendResult } from '../formats/send-result.js';

export async function reportRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/reports',
    { schema: { summary: 'The report catalog with each report’s parameters', tags: ['reports'] } },
    async () => ({ reports: app.reports.list().map(describeSqlFile) }),
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
      const query = { ...(req.query as Record<string, string>) };
      const file = app.reports.get(name);
      const format = negotiateFormat(query.format, req.headers.accept);
      delete query.format;
      const limits = { timeoutMs: app.limits.timeoutMs, maxRows: app.limits.maxRows };
      const { values, types } = bindParams(file, query);
      // report results are small by design: let DuckDB run them fully parallel, then stream the encoding
      return sendResult(reply, format, app.lake, file.sql, { ...limits, params: values, types, stream: false });
    },
  );
}

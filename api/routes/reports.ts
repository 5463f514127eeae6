/**
 * GET /api/reports: the catalog (title, description, parameters with types, defaults and bounds), and the files
 * that are broken (name, file, line, error). GET /api/reports/:name?param=...&format=...: runs one report;
 * parameters are validated against the report's header (a bad or missing one is 400 TL_API_BAD_PARAM naming it)
 * and bound, never spliced. The catalog follows the files: a report added or edited while the server runs is
 * served by the next request.
 *
 * Windows (docs/reports.md): each report is listed with the windows it needs (`requires_window`, its own header line
 * and the views it reads) and `available`; one whose windows the lake does not have is listed with `unavailable`
 * (the error) and running it is 409 TL_SQL_WINDOW_MISSING naming the report, the window and the lake's windows,
 * instead of an empty result.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { describeBroken, describeSqlFile } from '../../lake/sql-catalog.js';
import { bindParams } from '../../lake/sql-params.js';
import { windowMissing, withDefaults } from '../../lake/window-requirements.js';
import { FORMATS, negotiateFormat } from '../formats/negotiate.js';
import { sendStarted } from '../formats/send-result.js';

export async function reportRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/reports',
    { schema: { summary: 'The report catalog with each report’s parameters', tags: ['reports'] } },
    async () => {
      const reports = app.reports.refresh();
      const windows = await app.lakeWindows();
      return {
        windows,
        reports: reports.list().map((f) => {
          const needs = reports.needs(f.name);
          const missing = windowMissing('report', f.name, needs, windows);
          return {
            ...describeSqlFile(f, needs),
            available: !missing,
            ...(missing ? { unavailable: { code: missing.code, message: app.maskPaths(missing.message) } } : {}),
          };
        }),
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
      const catalog = app.reports.refresh();
      const file = catalog.get(name);
      const format = negotiateFormat(given.format, req.headers.accept);
      delete given.format;
      const needs = catalog.needs(name);
      const missing = windowMissing('report', name, needs, await app.lakeWindows(), withDefaults(file, given));
      if (missing) throw missing; // 409: it would return nothing
      bindParams(file, given); // a bad parameter is answered here, before a query process is involved
      const job = { kind: 'report' as const, file, given, format, maxRows: app.limits.maxRows };
      return sendStarted(reply, format, await app.queries.start(job, app.limits.timeoutMs, req.deadline, req.gone));
    },
  );
}

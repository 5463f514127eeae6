/**
 * GET /api/companies?q=&ticker=&cik=: companies of the filing sources (sql/reports/companies.sql).
 * GET /api/companies/:id/kpis: KPIs and valuation per fiscal period of one company (sql/reports/company-kpis.sql),
 * `:id` a CIK (digits) or a ticker; `as_of`, `index_symbol`, `risk_free`, `equity_premium`, `beta_days` as the
 * report takes them. Both answer in every result format (?format= or Accept), like /api/reports; an unknown
 * company is 404 TL_API_NOT_FOUND. docs/fundamentals.md.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tlError } from '../../core/errors.js';
import type { SqlFile } from '../../lake/sql-header.js';
import { bindParams } from '../../lake/sql-params.js';
import { FORMATS, negotiateFormat, type ResultFormat } from '../formats/negotiate.js';
import { sendStarted } from '../formats/send-result.js';

export async function companyRoutes(app: FastifyInstance): Promise<void> {
  /** A report run in a query process (api/pool/), its parameters checked here first. */
  const run = (req: FastifyRequest, file: SqlFile, given: Record<string, string>, format: ResultFormat) => {
    bindParams(file, given); // a bad parameter is answered here, before a query process is involved
    const job = { kind: 'report' as const, file, given, format, maxRows: app.limits.maxRows };
    return app.queries.start(job, app.limits.timeoutMs, req.deadline, req.gone);
  };
  const formats = `Result format by ?format= (${FORMATS.join(', ')}) or the Accept header; JSON by default.`;

  app.get(
    '/api/companies',
    {
      schema: {
        summary: 'Search the companies of the filings by name, ticker or CIK',
        description: formats,
        tags: ['fundamentals'],
        querystring: Type.Object({
          q: Type.Optional(Type.String({ description: 'Part of the name or ticker' })),
          ticker: Type.Optional(Type.String()),
          cik: Type.Optional(Type.String()),
          as_of: Type.Optional(Type.String()),
          format: Type.Optional(Type.String()),
        }),
      },
    },
    async (req, reply) => {
      const query = { ...(req.query as Record<string, string>) };
      const format = negotiateFormat(query.format, req.headers.accept);
      delete query.format;
      return sendStarted(reply, format, await run(req, app.reports.refresh().get('companies'), query, format));
    },
  );

  app.get(
    '/api/companies/:id/kpis',
    {
      schema: {
        summary: 'KPIs and valuation of one company per fiscal period; :id is a CIK or a ticker',
        description: `${formats} Parameters as the company-kpis report takes them (docs/fundamentals.md).`,
        tags: ['fundamentals'],
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({ format: Type.Optional(Type.String()) }, { additionalProperties: Type.String() }),
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const query = { ...(req.query as Record<string, string>) };
      const format = negotiateFormat(query.format, req.headers.accept);
      delete query.format;
      for (const k of ['cik', 'ticker']) {
        if (k in query)
          throw tlError('TL_API_BAD_PARAM', { param: k, reason: 'the company is the path: /api/companies/:id/kpis' });
      }
      const who: Record<string, string> = /^\d+$/.test(id) ? { cik: id } : { ticker: id };
      const reports = app.reports.refresh();
      const lookup = await run(req, reports.get('companies'), { ...who, ...asOf(query) }, 'json');
      let text = '';
      for await (const chunk of lookup.body ?? []) text += chunk;
      if ((JSON.parse(text) as { rows: unknown[] }).rows.length === 0)
        throw tlError('TL_API_NOT_FOUND', { what: `company ${JSON.stringify(id)}` });
      return sendStarted(reply, format, await run(req, reports.get('company-kpis'), { ...query, ...who }, format));
    },
  );
}

const asOf = (q: Record<string, string>): Record<string, string> => (q.as_of === undefined ? {} : { as_of: q.as_of });

/**
 * GET /api/companies?q=&ticker=&cik=: companies of the filing sources (sql/reports/companies.sql).
 * GET /api/companies/:id/kpis: KPIs and valuation per fiscal period of one company (sql/reports/company-kpis.sql),
 * `:id` a CIK (digits) or a ticker; `as_of`, `index_symbol`, `risk_free`, `equity_premium`, `beta_days` as the
 * report takes them. Both answer in every result format (?format= or Accept), like /api/reports; an unknown
 * company is 404 TL_API_NOT_FOUND. docs/fundamentals.md.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { tlError } from '../../core/errors.js';
import { queryAll } from '../../lake/query.js';
import { bindParams } from '../../lake/sql-params.js';
import { FORMATS, negotiateFormat } from '../formats/negotiate.js';
import { sendResult } from '../formats/send-result.js';

export async function companyRoutes(app: FastifyInstance): Promise<void> {
  const limits = () => ({ timeoutMs: app.limits.timeoutMs, maxRows: app.limits.maxRows });
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
      const file = app.reports.get('companies');
      const { values, types } = bindParams(file, query);
      return sendResult(reply, format, app.lake, file.sql, { ...limits(), params: values, types, stream: false });
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
      const who = /^\d+$/.test(id) ? { cik: id } : { ticker: id };
      const lookup = app.reports.get('companies');
      const found = bindParams(lookup, { ...who, as_of: query.as_of });
      const hit = await queryAll(app.lake, lookup.sql, { ...limits(), params: found.values, types: found.types });
      if (hit.rows.length === 0) throw tlError('TL_API_NOT_FOUND', { what: `company ${JSON.stringify(id)}` });
      const file = app.reports.get('company-kpis');
      const { values, types } = bindParams(file, { ...query, ...who });
      return sendResult(reply, format, app.lake, file.sql, { ...limits(), params: values, types, stream: false });
    },
  );
}

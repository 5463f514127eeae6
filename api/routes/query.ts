/**
 * POST /api/query `{"sql": "...", "params": {...}, "format": "csv"}`: ad-hoc read-only SQL over the lake.
 * One query statement (lake/sql-guard.ts), in a confined query process (api/pool/query-pool.ts), bounded by the
 * time limit, the row cap and the memory and disk limits. `params` binds `$name` (object) or `$1`.. (array)
 * placeholders. With `--token`, needs `Authorization: Bearer`.
 */

import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { FORMATS, negotiateFormat } from '../formats/negotiate.js';
import { sendStarted } from '../formats/send-result.js';
import { requireToken } from '../plugins/auth.js';
import type { Scalar as ScalarValue } from '../pool/protocol.js';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

const QueryBody = Type.Object(
  {
    sql: Type.String({
      minLength: 1,
      description: 'One query: SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT or EXPLAIN',
    }),
    params: Type.Optional(Type.Union([Type.Record(Type.String(), Scalar), Type.Array(Scalar)])),
    format: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export async function queryRoutes(app: FastifyInstance, opts: { token?: string }): Promise<void> {
  app.post(
    '/api/query',
    {
      preHandler: requireToken(opts.token),
      schema: {
        summary: 'Ad-hoc read-only SQL over the lake',
        description: `Result format by "format", ?format= (${FORMATS.join(', ')}) or the Accept header.`,
        tags: ['query'],
        body: QueryBody,
        querystring: Type.Object({ format: Type.Optional(Type.String()) }),
        ...(opts.token ? { security: [{ bearer: [] }] } : {}),
      },
    },
    async (req, reply) => {
      const body = req.body as {
        sql: string;
        params?: Record<string, ScalarValue> | ScalarValue[];
        format?: string;
      };
      const format = negotiateFormat(body.format ?? (req.query as { format?: string }).format, req.headers.accept);
      const job = { kind: 'query' as const, sql: body.sql, params: body.params, format, maxRows: app.limits.maxRows };
      return sendStarted(reply, format, await app.queries.start(job, app.limits.timeoutMs, req.deadline, req.gone));
    },
  );
}

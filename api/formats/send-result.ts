/**
 * Sends a query's result in the negotiated format. Everything but Parquet streams: the body is produced chunk by
 * chunk while the client reads, so a large result never sits in memory. Whether the row cap cut the result is
 * `truncated` in the JSON body, the `X-Ticklake-Truncated` header for Parquet, and the HTTP trailer of the same
 * name for CSV, NDJSON and Arrow (their headers leave before the end is known).
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { type QueryOptions, runQuery } from '../../lake/query.js';
import type { LakeSession } from '../../lake/session.js';
import { arrowBody } from './arrow.js';
import { CONTENT_TYPES, type ResultFormat } from './negotiate.js';
import { parquetBody } from './parquet.js';
import { csvBody, jsonBody, ndjsonBody } from './text-formats.js';

export const TRUNCATED_HEADER = 'x-ticklake-truncated';

export async function sendResult(
  reply: FastifyReply,
  format: ResultFormat,
  session: LakeSession,
  sql: string,
  opts: QueryOptions,
): Promise<FastifyReply> {
  reply.header('content-type', CONTENT_TYPES[format]);
  if (format === 'parquet') {
    const p = await parquetBody(session, sql, opts);
    reply.header(TRUNCATED_HEADER, String(p.truncated));
    reply.header('content-disposition', 'attachment; filename="result.parquet"');
    return reply.send(p.body);
  }
  const q = await runQuery(session, sql, opts);
  if (format === 'json') return reply.send(Readable.from(jsonBody(q)));
  reply.trailer(TRUNCATED_HEADER, async () => String(q.truncated));
  if (format === 'ndjson') return reply.send(Readable.from(ndjsonBody(q)));
  if (format === 'csv') return reply.send(Readable.from(csvBody(q)));
  return reply.send(arrowBody(q));
}

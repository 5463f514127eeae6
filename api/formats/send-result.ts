/**
 * Sends a started query's result (api/pool/query-pool.ts) in the negotiated format. The body streams from the
 * query process as the client reads it, so a large result never sits in the API's memory. Whether the row cap cut
 * the result is `truncated` in the JSON body, the `X-Ticklake-Truncated` header for Parquet, and the HTTP trailer
 * of the same name for CSV, NDJSON and Arrow (their headers leave before the end is known).
 */
import type { FastifyReply } from 'fastify';
import type { Started } from '../pool/query-pool.js';
import { CONTENT_TYPES, type ResultFormat } from './negotiate.js';

export const TRUNCATED_HEADER = 'x-ticklake-truncated';

export function sendStarted(reply: FastifyReply, format: ResultFormat, started: Started): FastifyReply {
  reply.header('content-type', CONTENT_TYPES[format]);
  if (format === 'parquet') {
    reply.header(TRUNCATED_HEADER, String(started.truncated ?? false));
    reply.header('content-disposition', 'attachment; filename="result.parquet"');
  } else if (format !== 'json') {
    reply.trailer(TRUNCATED_HEADER, async () => String(started.endTruncated()));
  }
  return reply.send(started.body);
}

/**
 * GET /health: liveness. It answers from the API process alone — no query, no file, no DuckDB — so it never waits
 * behind queries, however many are running or waiting; `queries` says how many (running: in query processes,
 * including ones being stopped; queued: waiting for one; processes: query processes, starting ones included; idle:
 * ready ones with no query). It names no path (issue 21 item 10).
 * GET /metrics: Prometheus text.
 */
import type { FastifyInstance } from 'fastify';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/health',
    { schema: { summary: 'Liveness, and how many queries run and wait', tags: ['service'] } },
    async () => ({ status: 'ok', queries: app.queries.stats() }),
  );
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics: pipeline, broker, lake, scheduler, HTTP (docs/metrics.md)',
        tags: ['service'],
      },
    },
    async (_req, reply) =>
      reply.type('text/plain; version=0.0.4; charset=utf-8').send(await app.pipelineMetrics.render()),
  );
}

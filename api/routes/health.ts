/** GET /health: the process is up and DuckDB answers a query. GET /metrics: Prometheus text. */
import type { FastifyInstance } from 'fastify';
import { queryAll } from '../../lake/query.js';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/health',
    { schema: { summary: 'Liveness: the server is up and DuckDB answers', tags: ['service'] } },
    async () => {
      await queryAll(app.lake, 'select 1', { timeoutMs: 5000 });
      return { status: 'ok', lake: app.lake.lakeDir };
    },
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

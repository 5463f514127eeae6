/** GET /api/tables: every lake table with its columns, row count, file count and bytes; derived views with columns. */
import type { FastifyInstance } from 'fastify';
import type { ViewInfo } from '../../lake/table-stats.js';

export async function tableRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/tables',
    { schema: { summary: 'Lake tables (columns, rows, files) and derived views', tags: ['lake'] } },
    async (req) => {
      const started = await app.queries.start({ kind: 'tables' }, app.limits.timeoutMs, req.deadline, req.gone);
      const all = started.value as ViewInfo[];
      return { tables: all.filter((t) => t.kind === 'table'), views: all.filter((t) => t.kind === 'view') };
    },
  );
}

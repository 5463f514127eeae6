/** GET /api/tables: every lake table with its columns, row count, file count and bytes; derived views with columns. */
import type { FastifyInstance } from 'fastify';
import { tableStats } from '../plugins/lake.js';

export async function tableRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/tables',
    { schema: { summary: 'Lake tables (columns, rows, files) and derived views', tags: ['lake'] } },
    async () => {
      const all = await tableStats(app.lake, app.limits.timeoutMs);
      return { tables: all.filter((t) => t.kind === 'table'), views: all.filter((t) => t.kind === 'view') };
    },
  );
}

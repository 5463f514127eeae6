/**
 * GET /api/cdc/status: what `ticklake cdc` reports in `<offsets-dir>/status.json` (producers/cdc/status.ts) —
 * captured tables with change counts, snapshot progress, binlog position and lag — for the #/cdc page. `running`
 * is false when the file is missing or has not been rewritten for 5 s.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

export async function cdcRoutes(app: FastifyInstance, opts: { cdcDir?: string }): Promise<void> {
  app.get(
    '/api/cdc/status',
    { schema: { summary: 'Change data capture status (ticklake cdc): tables, snapshot, binlog lag', tags: ['cdc'] } },
    async () => {
      const now = Date.now();
      if (!opts.cdcDir) return { configured: false, running: false, now };
      try {
        const status = JSON.parse(await readFile(join(opts.cdcDir, 'status.json'), 'utf8')) as { updatedAt: number };
        return { configured: true, running: now - status.updatedAt < 5000, now, ...status };
      } catch {
        return { configured: true, running: false, now };
      }
    },
  );
}

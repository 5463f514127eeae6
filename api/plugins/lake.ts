/**
 * The lake plugin: the report and check catalogs (`app.reports`, `app.checks`: sql/reports and sql/checks with
 * the user's --sql-dir directories, lake/sql-catalog.ts). Routes call `refresh()` before using them, so files
 * added, edited or removed while the server runs are seen by the next request; a broken file is listed as broken
 * (with its file:line, and a warning in the log) while the others keep working.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/log.js';
import { SqlCatalog } from '../../lake/sql-catalog.js';

declare module 'fastify' {
  interface FastifyInstance {
    reports: SqlCatalog;
    checks: SqlCatalog;
  }
}

export async function lakePlugin(app: FastifyInstance, opts: { sqlDirs?: string[]; log?: Logger }): Promise<void> {
  const onBroken = opts.log
    ? (b: { file: string; line: number; error: Error }) =>
        opts.log?.warn({ file: b.file, line: b.line }, `SQL file left out: ${b.error.message}`)
    : undefined;
  app.decorate('reports', SqlCatalog.load('report', { sqlDirs: opts.sqlDirs, onBroken }));
  app.decorate('checks', SqlCatalog.load('check', { sqlDirs: opts.sqlDirs, onBroken }));
}

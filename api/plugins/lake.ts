/**
 * The lake plugin: the report and check catalogs (`app.reports`, `app.checks`: sql/reports and sql/checks with
 * the user's --sql-dir directories, lake/sql-catalog.ts). Routes call `refresh()` before using them, so files
 * added, edited or removed while the server runs are seen by the next request; a broken file is listed as broken
 * (with its file:line, and a warning in the log) while the others keep working.
 *
 * `app.lakeWindows()`: the bar windows a report may count on (docs/reports.md, "Windows"): those with bars in the
 * lake (`bars/window=<w>/`, read on every call, as the dashboard does) and those the processor of this very process
 * makes (`ticklake start` passes its --windows, so a report is available before the first bars are written).
 * `ticklake serve` runs no processor: it learns the windows from the lake alone.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/log.js';
import { SqlCatalog } from '../../lake/sql-catalog.js';
import { windowMs } from '../live/series.js';
import { barWindows } from '../live/symbols.js';

declare module 'fastify' {
  interface FastifyInstance {
    reports: SqlCatalog;
    checks: SqlCatalog;
    lakeWindows: () => Promise<string[]>;
  }
}

export interface LakePluginOptions {
  lakeDir: string;
  sqlDirs?: string[];
  /** The windows this process's own processor makes (`ticklake start`). */
  windows?: readonly string[];
  log?: Logger;
}

export async function lakePlugin(app: FastifyInstance, opts: LakePluginOptions): Promise<void> {
  const onBroken = opts.log
    ? (b: { file: string; line: number; error: Error }) =>
        opts.log?.warn({ file: b.file, line: b.line }, `SQL file left out: ${b.error.message}`)
    : undefined;
  app.decorate('reports', SqlCatalog.load('report', { sqlDirs: opts.sqlDirs, onBroken }));
  app.decorate('checks', SqlCatalog.load('check', { sqlDirs: opts.sqlDirs, onBroken }));
  app.decorate('lakeWindows', async () => {
    const all = new Set([...(await barWindows(opts.lakeDir)), ...(opts.windows ?? [])]);
    return [...all].sort((a, b) => windowMs(a) - windowMs(b) || a.localeCompare(b));
  });
}

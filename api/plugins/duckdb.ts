/**
 * The DuckDB plugin: one confined lake session (lake/session.ts) per app, as `app.lake`, closed with the app.
 * The query limits every route applies are `app.limits`.
 */
import type { FastifyInstance } from 'fastify';
import type { ChangelogTable } from '../../lake/changelog.js';
import { LakeSession } from '../../lake/session.js';

export interface QueryLimits {
  /** Interrupt a query after this many milliseconds. */
  timeoutMs: number;
  /** Most rows one result returns. */
  maxRows: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    lake: LakeSession;
    limits: QueryLimits;
  }
}

export interface DuckdbPluginOptions {
  lakeDir: string;
  memoryLimit?: string;
  threads?: number;
  limits: QueryLimits;
  /** Declared keyed tables, streams and jobs: their change-log views. */
  tables?: readonly ChangelogTable[];
}

export async function duckdbPlugin(app: FastifyInstance, opts: DuckdbPluginOptions): Promise<void> {
  const session = await LakeSession.open({
    lakeDir: opts.lakeDir,
    confined: true,
    memoryLimit: opts.memoryLimit,
    threads: opts.threads,
    tables: opts.tables,
  });
  app.decorate('lake', session);
  app.decorate('limits', opts.limits);
  app.addHook('onClose', async () => session.close());
}

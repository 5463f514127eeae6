/**
 * The DuckDB plugin: the query processes that run every client's SQL (api/pool/query-pool.ts) as `app.queries`,
 * and one confined in-process lake session (lake/session.ts) as `app.lake` for the dashboard's live feed (fixed
 * SQL over the newest rows). Both are closed with the app. The limits every route applies are `app.limits`.
 */
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/log.js';
import type { ChangelogTable } from '../../lake/changelog.js';
import { LakeSession } from '../../lake/session.js';
import { type PoolOptions, QueryPool } from '../pool/query-pool.js';

export interface QueryLimits {
  /** A request's time limit in milliseconds, from its arrival. */
  timeoutMs: number;
  /** Most rows one result returns. */
  maxRows: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    lake: LakeSession;
    queries: QueryPool;
    limits: QueryLimits;
  }
  interface FastifyRequest {
    /** When this request's time limit runs out (epoch ms): its arrival plus the limit. */
    deadline: number;
    /** Aborts when the client closes its connection before the answer is complete: its query is stopped. */
    gone: AbortSignal;
  }
}

export interface DuckdbPluginOptions {
  lakeDir: string;
  sqlDirs?: string[];
  /** Declared keyed tables, streams and jobs: their change-log views. */
  tables?: readonly ChangelogTable[];
  threads?: number;
  limits: QueryLimits;
  pool: Pick<PoolOptions, 'maxRunning' | 'maxQueued' | 'queryMemory' | 'totalMemory' | 'queryTemp' | 'totalTemp'>;
  log?: Logger;
}

export async function duckdbPlugin(app: FastifyInstance, opts: DuckdbPluginOptions): Promise<void> {
  // the first query process starts (about a second) while this process opens its own session
  const pool = new QueryPool({
    lakeDir: resolve(opts.lakeDir),
    sqlDirs: opts.sqlDirs,
    tables: opts.tables,
    threads: opts.threads,
    log: opts.log,
    ...opts.pool,
  });
  const warm = pool.warm(); // the server says it is ready only when it can run a query
  warm.catch(() => {});
  let session: LakeSession | undefined;
  try {
    session = await LakeSession.open({
      lakeDir: opts.lakeDir,
      confined: true,
      memoryLimit: `${Math.floor(opts.pool.queryMemory * 0.6)}B`,
      threads: opts.threads,
      sqlDirs: opts.sqlDirs,
      tables: opts.tables,
    });
    await warm;
  } catch (e) {
    await pool.close();
    session?.close();
    throw e;
  }
  const lake = session;
  app.decorate('lake', lake);
  app.decorate('queries', pool);
  app.decorate('limits', opts.limits);
  // the time limit counts from the request's arrival, before its body is even parsed
  app.decorateRequest('deadline', 0);
  app.decorateRequest('gone', null as unknown as AbortSignal);
  app.addHook('onRequest', async (req, reply) => {
    req.deadline = Date.now() + opts.limits.timeoutMs;
    // a query nobody will read holds a process and its memory until its time limit otherwise
    const gone = new AbortController();
    req.gone = gone.signal;
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
  });
  app.addHook('onClose', async () => {
    await pool.close();
    lake.close();
  });
}

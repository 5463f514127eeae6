/**
 * The HTTP API over the lake (docs/api.md). `buildApp` returns a ready Fastify app without listening, so that
 * `ticklake serve`, the one-command mode (`ticklake start`, in-process) and tests (`app.inject`) share it.
 *
 * Layout: plugins/ hold shared resources (duckdb: the query processes and the live feed's lake session; lake:
 * report and check catalogs; auth: bearer token; errors: the one error shape; metrics), pool/ the query processes
 * and their limits, routes/ one file per route group, formats/ the result encodings. `/` and the dashboard's
 * files under api/public/ are served by routes/dashboard.ts.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { parseSize, settingDefault } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { ChangelogTable } from '../lake/changelog.js';
import { lakeMetrics } from '../metrics/lake-metrics.js';
import { MetricsRegistry } from '../metrics/registry.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { HealthProvider } from './live/health.js';
import { pathMasker } from './path-masks.js';
import { duckdbPlugin } from './plugins/duckdb.js';
import { errorsPlugin } from './plugins/errors.js';
import { lakePlugin } from './plugins/lake.js';
import { isQueryError, metricsPlugin } from './plugins/metrics.js';
import { cdcRoutes } from './routes/cdc.js';
import { checkRoutes } from './routes/checks.js';
import { companyRoutes } from './routes/companies.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { healthRoutes } from './routes/health.js';
import { kafkaRoutes } from './routes/kafka.js';
import { liveRoutes } from './routes/live.js';
import { pipelineRoutes } from './routes/pipeline.js';
import { queryRoutes } from './routes/query.js';
import { reportRoutes } from './routes/reports.js';
import { tableRoutes } from './routes/tables.js';
import { type UploadRouteOptions, uploadRoutes } from './routes/uploads.js';

export interface AppOptions {
  lakeDir: string;
  /** When set, POST /api/query needs `Authorization: Bearer <token>`. */
  token?: string;
  /** A pino logger (e.g. `logger('api')`), or false for none. */
  logger?: Logger | false;
  /** Time limit of one request running SQL, from its arrival, waiting included (default: --query-timeout's). */
  queryTimeoutMs?: number;
  /** Row cap of one result (default: --max-rows'). */
  maxRows?: number;
  /** Queries running at once, each in its own process (default: --max-queries'). */
  maxQueries?: number;
  /** Requests waiting for a query process; more are answered 503 TL_API_BUSY (default: --max-queued'). */
  maxQueued?: number;
  /** Memory of all query processes together, bytes or a size like `1GB` (default: --memory-limit's for serve). */
  memoryLimit?: number | string;
  /** Memory of one query process (default: --query-memory-limit's for serve). */
  queryMemoryLimit?: number | string;
  /** Temporary disk space of all queries together (default: --temp-limit's for serve). */
  tempLimit?: number | string;
  /** Temporary disk space of one query (default: --query-temp-limit's for serve). */
  queryTempLimit?: number | string;
  /** DuckDB threads of each session (default 2). */
  threads?: number;
  /** The user's SQL directories (`--sql-dir`): views, reports and checks. */
  sqlDirs?: string[];
  /**
   * The bar windows this process's processor makes (`ticklake start`'s --windows): counted as the lake's before
   * their first bars are written (api/plugins/lake.ts `lakeWindows`).
   */
  windows?: readonly string[];
  /** Pipeline health for the dashboard (the one-command mode passes the processor's); without it the lake's. */
  health?: HealthProvider;
  /** Poll period of the dashboard's live stream (default 1000 ms). */
  livePollMs?: number;
  /** Portfolio seed files for the dashboard's portfolio drill-down (default: the bundled sql/seeds). */
  seedsDir?: string;
  /**
   * The process's metrics (metrics/registry.ts) that GET /metrics exposes with the API's own; without it the app
   * makes one with the lake's numbers.
   */
  metrics?: MetricsRegistry;
  /** The scheduler this process runs (GET /api/pipeline, re-runs); none: the page says so. */
  scheduler?: Scheduler;
  /** Kafka cluster of the #/kafka page (GET /api/kafka/...); none: those routes answer TL_KAFKA_OFF. */
  kafka?: { brokers: string[] };
  /** `ticklake cdc`'s --offsets-dir, whose status.json the #/cdc page shows. */
  cdcDir?: string;
  /** Declared keyed tables, streams and jobs (processors/tables/lake-tables.ts): queryable by name. */
  tables?: readonly ChangelogTable[];
  /** POST /api/uploads (docs/retail.md): Kafka, its token and size limits; without brokers only dry runs work. */
  uploads?: Partial<UploadRouteOptions>;
}

/** A size option: bytes, a size like `1GB`, or (undefined) the declared default of the setting (core/config.ts). */
const bytes = (v: number | string | undefined, fallback: number): number =>
  typeof v === 'number' ? v : v === undefined ? fallback : parseSize(v);

declare module 'fastify' {
  interface FastifyInstance {
    pipelineMetrics: MetricsRegistry;
  }
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  // strict validation: no silent type coercion ("a" -> ["a"]) and unknown body fields are errors, not dropped
  const ajv = { customOptions: { removeAdditional: false, coerceTypes: false } } as const;
  const app = (opts.logger
    ? Fastify({ loggerInstance: opts.logger, logController: new LogController({ disableRequestLogging: true }), ajv })
    : Fastify({ logger: false, ajv })) as unknown as FastifyInstance;
  const metrics = metricsPlugin(app);
  let registry = opts.metrics;
  if (!registry) {
    registry = new MetricsRegistry();
    lakeMetrics(registry, opts.lakeDir);
  }
  registry.addText(() => metrics.render());
  app.decorate('pipelineMetrics', registry);
  const mask = pathMasker({ lakeDir: opts.lakeDir, sqlDirs: opts.sqlDirs });
  app.decorate('maskPaths', mask);
  errorsPlugin(
    app,
    (e) => {
      if (isQueryError(e)) metrics.queryError(e.code);
    },
    mask,
  );
  const log = opts.logger || undefined;
  const totalMemory = bytes(opts.memoryLimit, settingDefault('memoryLimit', 'serve'));
  await duckdbPlugin(app, {
    lakeDir: opts.lakeDir,
    sqlDirs: opts.sqlDirs,
    tables: opts.tables,
    threads: opts.threads,
    limits: {
      timeoutMs: opts.queryTimeoutMs ?? settingDefault('queryTimeout'),
      maxRows: opts.maxRows ?? settingDefault('maxRows'),
    },
    pool: {
      maxRunning: opts.maxQueries ?? settingDefault('maxQueries'),
      maxQueued: opts.maxQueued ?? settingDefault('maxQueued'),
      totalMemory,
      // one query may not have more than all of them together
      queryMemory: Math.min(bytes(opts.queryMemoryLimit, settingDefault('queryMemoryLimit', 'serve')), totalMemory),
      totalTemp: bytes(opts.tempLimit, settingDefault('tempLimit', 'serve')),
      queryTemp: Math.min(
        bytes(opts.queryTempLimit, settingDefault('queryTempLimit', 'serve')),
        bytes(opts.tempLimit, settingDefault('tempLimit', 'serve')),
      ),
    },
    log: log ? log.child({ component: 'query-pool' }) : undefined,
  });
  await lakePlugin(app, { lakeDir: opts.lakeDir, sqlDirs: opts.sqlDirs, windows: opts.windows, log });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ticklake API',
        description:
          'Reports, checks and read-only SQL over the ticklake Parquet lake. Errors: {"error":{"code","message"}}.',
        version: '0.1.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes);
  await app.register(reportRoutes);
  await app.register(checkRoutes);
  await app.register(tableRoutes);
  await app.register(companyRoutes);
  await app.register(queryRoutes, { token: opts.token });
  await app.register(liveRoutes, { health: opts.health, intervalMs: opts.livePollMs, seedsDir: opts.seedsDir });
  await app.register(uploadRoutes, { maxBytes: 64 * 2 ** 20, maxUnpacked: 256 * 2 ** 20, ...opts.uploads });
  await app.register(pipelineRoutes, { scheduler: opts.scheduler, token: opts.token });
  await app.register(kafkaRoutes, { kafka: opts.kafka, token: opts.token });
  await app.register(cdcRoutes, { cdcDir: opts.cdcDir });
  await app.register(dashboardRoutes);
  return app;
}

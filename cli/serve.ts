/** `ticklake serve`: the HTTP API over the lake (docs/api.md) until SIGINT/SIGTERM. */

import type { AppOptions } from '../api/app.js';
import type { Config } from '../core/config.js';
import type { Command } from './command.js';

/** The API's settings (serve and start share them). */
export function apiOptions(config: Config): Omit<AppOptions, 'lakeDir'> {
  return {
    token: config.optStr('apiToken'),
    queryTimeoutMs: config.num('queryTimeout'),
    maxRows: config.num('maxRows'),
    maxQueries: config.num('maxQueries'),
    maxQueued: config.num('maxQueued'),
    memoryLimit: config.num('memoryLimit'),
    queryMemoryLimit: config.num('queryMemoryLimit'),
    tempLimit: config.num('tempLimit'),
    queryTempLimit: config.num('queryTempLimit'),
    sqlDirs: config.list('sqlDir'),
  };
}

export const command: Command = {
  name: 'serve',
  summary: 'Serve the HTTP API over the lake: reports, checks, tables, read-only SQL, metrics, docs at /docs',
  async run(config) {
    const { buildApp } = await import('../api/app.js');
    const { logger } = await import('../core/log.js');
    const { MetricsRegistry } = await import('../metrics/registry.js');
    const { lakeMetrics } = await import('../metrics/lake-metrics.js');
    const { declaredLakeTables } = await import('../processors/tables/lake-tables.js');
    const { lakeDirOf } = await import('./start/run-file.js');
    const lakeDir = lakeDirOf(config);
    const metrics = new MetricsRegistry();
    (await import('../metrics/duckdb-metrics.js')).duckdbMetrics(metrics);
    lakeMetrics(metrics, lakeDir);
    // the scheduler (docs/scheduler.md), opened first: the API's lake session then sees its tables
    let opened: import('../scheduler/open.js').OpenScheduler | undefined;
    if (config.bool('schedule')) {
      // the lake must exist (as without the scheduler): a mistyped --lake-dir is an error, not a new empty lake
      const { existsSync } = await import('node:fs');
      if (!existsSync(lakeDir))
        throw (await import('../core/errors.js')).tlError('TL_LAKE_NOT_FOUND', { dir: lakeDir });
      const { openScheduler } = await import('../scheduler/open.js');
      const { schedulerMetrics } = await import('../metrics/scheduler-metrics.js');
      const sm = schedulerMetrics(metrics, () => opened?.scheduler, { mysql: () => opened?.mysql });
      opened = await openScheduler({
        lakeDir,
        sqlDirs: config.list('sqlDir'),
        mysqlUrl: config.optStr('mysqlUrl'),
        catchUp: config.num('catchUp'),
        delayMs: config.num('runDelay'),
        leaseMs: config.num('runLease'),
        memoryLimit: `${config.num('memoryLimit')}B`,
        log: logger('scheduler'),
        lenient: true,
        onRun: sm.onRun,
      });
    }
    const brokers = config.list('brokers');
    const app = await buildApp({
      lakeDir,
      tables: await declaredLakeTables(config.list('sqlDir')),
      logger: logger('api'),
      ...apiOptions(config),
      uploads: {
        brokers,
        token: config.optStr('uploadToken'),
        maxBytes: config.num('maxUploadSize'),
        maxUnpacked: config.num('maxUnpackedSize'),
      },
      metrics,
      scheduler: opened?.scheduler,
      kafka: brokers.length ? { brokers } : undefined,
      cdcDir: config.optStr('offsetsDir'),
    });
    // the schema registry at /registry, when there is a Kafka cluster to keep its schemas in (docs/registry.md)
    const registry = brokers.length > 0 ? await import('../registry/server.js') : undefined;
    const schemas = registry?.openRegistry({ brokers, log: logger('registry') });
    if (registry && schemas) await registry.mountRegistry(app, schemas);
    const address = await app.listen({ host: config.str('apiHost'), port: config.num('apiPort') });
    opened?.scheduler.start();
    process.stderr.write(
      `ticklake serve: listening on ${address} (lake ${app.lake.lakeDir}; docs at ${address}/docs` +
        `${schemas ? `; schema registry at ${address}${registry?.REGISTRY_PREFIX}` : ''})\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await opened?.close();
    await app.close();
    await schemas?.close();
    return 0;
  },
};

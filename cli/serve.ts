/** `ticklake serve`: the HTTP API over the lake (docs/api.md) until SIGINT/SIGTERM. */
import type { Command } from './command.js';

export const command: Command = {
  name: 'serve',
  summary: 'Serve the HTTP API over the lake: reports, checks, tables, read-only SQL, metrics, docs at /docs',
  async run(config) {
    const { buildApp } = await import('../api/app.js');
    const { logger } = await import('../core/log.js');
    const { declaredLakeTables } = await import('../processors/tables/lake-tables.js');
    const { lakeDirOf } = await import('./start/run-file.js');
    const lakeDir = lakeDirOf(config);
    const app = await buildApp({
      lakeDir,
      tables: await declaredLakeTables(config.list('sqlDir')),
      token: config.optStr('apiToken'),
      logger: logger('api'),
      queryTimeoutMs: config.num('queryTimeout'),
      maxRows: config.num('maxRows'),
      memoryLimit: config.str('memoryLimit'),
    });
    // the schema registry at /registry, when there is a Kafka cluster to keep its schemas in (docs/registry.md)
    const brokers = config.list('brokers');
    const registry = brokers.length > 0 ? await import('../registry/server.js') : undefined;
    const schemas = registry?.openRegistry({ brokers, log: logger('registry') });
    if (registry && schemas) await registry.mountRegistry(app, schemas);
    const address = await app.listen({ host: config.str('apiHost'), port: config.num('apiPort') });
    process.stderr.write(
      `ticklake serve: listening on ${address} (lake ${app.lake.lakeDir}; docs at ${address}/docs` +
        `${schemas ? `; schema registry at ${address}${registry?.REGISTRY_PREFIX}` : ''})\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await app.close();
    await schemas?.close();
    return 0;
  },
};

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
    const lakeDir = config.str('lakeDir');
    const { declaredLakeTables } = await import('../processors/tables/lake-tables.js');
    const tables = await declaredLakeTables(config.list('sqlDir'));
    const app = await buildApp({ lakeDir, tables, logger: logger('api'), ...apiOptions(config) });
    const address = await app.listen({ host: config.str('apiHost'), port: config.num('apiPort') });
    process.stderr.write(
      `ticklake serve: listening on ${address} (lake ${app.lake.lakeDir}; docs at ${address}/docs)\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await app.close();
    return 0;
  },
};

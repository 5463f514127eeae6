/** `ticklake serve`: the HTTP API over the lake (docs/api.md) until SIGINT/SIGTERM. */
import type { Command } from './command.js';

export const command: Command = {
  name: 'serve',
  summary: 'Serve the HTTP API over the lake: reports, checks, tables, read-only SQL, metrics, docs at /docs',
  async run(config) {
    const { buildApp } = await import('../api/app.js');
    const { logger } = await import('../core/log.js');
    const { lakeDirOf } = await import('./start/run-file.js');
    const lakeDir = lakeDirOf(config);
    const app = await buildApp({
      lakeDir,
      token: config.optStr('apiToken'),
      logger: logger('api'),
      queryTimeoutMs: config.num('queryTimeout'),
      maxRows: config.num('maxRows'),
      memoryLimit: config.str('memoryLimit'),
    });
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

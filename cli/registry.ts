/** `ticklake registry`: the Confluent-compatible schema registry on its own port (docs/registry.md). */
import type { Command } from './command.js';

export const command: Command = {
  name: 'registry',
  summary: 'Run the schema registry (Confluent REST API, Avro) with its schemas in the _schemas topic',
  description:
    'Serves the Confluent Schema Registry REST API at the root of --port, so Confluent clients take its URL as is.\n' +
    "Schemas are kept in the compacted _schemas topic on --brokers (Confluent's format); several registries on one\n" +
    'cluster agree. Prints "registry listening on URL" when ready; stops cleanly on SIGINT or SIGTERM.',
  async run(config) {
    const { startRegistryServer } = await import('../registry/server.js');
    const { logger } = await import('../core/log.js');
    const brokers = config.list('brokers');
    const reg = await startRegistryServer({
      brokers,
      host: config.str('registryHost'),
      port: config.num('registryPort'),
      log: logger('registry'),
      httpLogger: logger('registry-http'),
    });
    process.stdout.write(`registry listening on ${reg.url} (schemas in _schemas on ${brokers.join(',')})\n`);
    // Kafka may come later (the service retries); a topic it cannot use is fatal
    let failure: unknown;
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      reg.service.start({ tail: true, retry: true }).catch((e) => {
        failure = e;
        resolve();
      });
    });
    await reg.close();
    if (failure) throw failure;
    return 0;
  },
};

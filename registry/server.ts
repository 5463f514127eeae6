/**
 * Running the registry: `startRegistryServer` is `ticklake registry` (its own port, routes at the root, like a
 * Confluent registry), `mountRegistry` puts the same routes under a prefix of another Fastify app (`ticklake serve`
 * and `ticklake start` mount it at /registry of the API). Both start the service in the background: the HTTP side
 * is up at once, and until the `_schemas` topic has been read the routes answer 50002 (errors.ts).
 */
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../core/log.js';
import { registryRoutes } from './routes.js';
import { type RegistryOptions, RegistryService } from './service.js';

export const REGISTRY_PREFIX = '/registry';

/** Starts a RegistryService that creates, reads and follows the topic, retrying until Kafka answers. */
export function openRegistry(opts: RegistryOptions): RegistryService {
  const service = new RegistryService(opts);
  service.start({ tail: true, retry: true }).catch((e: Error) => opts.log.error({ err: e.message }, 'schema registry'));
  return service;
}

/** Registers the registry's routes on `app` (before it listens) under `prefix`; close the service after the app. */
export async function mountRegistry(
  app: FastifyInstance,
  service: RegistryService,
  prefix = REGISTRY_PREFIX,
): Promise<void> {
  await app.register(registryRoutes, { service, prefix });
}

export interface RunningRegistry {
  /** http://host:port */
  url: string;
  service: RegistryService;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startRegistryServer(
  opts: RegistryOptions & { host: string; port: number; httpLogger?: Logger },
): Promise<RunningRegistry> {
  const app = (opts.httpLogger
    ? Fastify({ loggerInstance: opts.httpLogger, logController: new LogController({ disableRequestLogging: true }) })
    : Fastify()) as unknown as FastifyInstance;
  const service = openRegistry(opts);
  await app.register(registryRoutes, { service });
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://${opts.host}:${port}`,
    service,
    app,
    close: async () => {
      await app.close();
      await service.close();
    },
  };
}

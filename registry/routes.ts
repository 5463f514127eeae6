/**
 * The Confluent Schema Registry REST API as a Fastify plugin, over a RegistryService. `ticklake registry` serves it
 * at the root of its own port (a drop-in registry URL); `ticklake serve` and `ticklake start` mount it under
 * `/registry` of the API port (docs/registry.md lists the routes, what each answers, and what is not supported).
 *
 * Inside this plugin every error is Confluent's `{"error_code": …, "message": …}` (errors.ts), unknown routes
 * included, and request bodies may be `application/vnd.schemaregistry.v1+json` (what Confluent clients send) as
 * well as `application/json`. Answers are `application/vnd.schemaregistry.v1+json`.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isRegistryError } from './errors.js';
import { flag, idParam, REGISTRY_CONTENT_TYPE, send } from './reply.js';
import { routesConfig } from './routes-config.js';
import { subjectRoutes } from './routes-subjects.js';
import type { RegistryService } from './service.js';

export interface RegistryRoutesOptions {
  service: RegistryService;
}

export async function registryRoutes(app: FastifyInstance, opts: RegistryRoutesOptions): Promise<void> {
  const svc = opts.service;
  app.addContentTypeParser(
    [REGISTRY_CONTENT_TYPE, 'application/vnd.schemaregistry+json', 'application/octet-stream'],
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isRegistryError(err)) return reply.status(err.status).type(REGISTRY_CONTENT_TYPE).send(err.toJSON());
    const status = err.statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, 'schema registry: unexpected error');
    const code = status >= 500 ? 50001 : status;
    return reply.status(status).type(REGISTRY_CONTENT_TYPE).send({ error_code: code, message: err.message });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.status(404).type(REGISTRY_CONTENT_TYPE).send({ error_code: 404, message: 'HTTP 404 Not Found' }),
  );
  const tags = ['schema registry'];

  app.get('/', { schema: { tags, summary: 'Registry root (empty object)' } }, (_req, reply) => send(reply, {}));

  // schemas by id
  app.get('/schemas/types', { schema: { tags, summary: 'Schema types this registry holds' } }, (_req, reply) =>
    send(reply, ['AVRO']),
  );
  app.get<{ Params: { id: string } }>(
    '/schemas/ids/:id',
    { schema: { tags, summary: 'The schema of an id' } },
    async (req, reply) => send(reply, await svc.schemaById(idParam(req.params.id))),
  );
  app.get<{ Params: { id: string } }>(
    '/schemas/ids/:id/schema',
    { schema: { tags, summary: 'The schema text of an id, unwrapped' } },
    async (req, reply) => send(reply, (await svc.schemaById(idParam(req.params.id))).schema),
  );
  app.get<{ Params: { id: string } }>(
    '/schemas/ids/:id/subjects',
    { schema: { tags, summary: 'Subjects with a version of this id' } },
    async (req, reply) => {
      const uses = await svc.usesOfId(idParam(req.params.id), flag(req.query, 'deleted'));
      return send(reply, [...new Set(uses.map((u) => u.subject))]);
    },
  );
  app.get<{ Params: { id: string } }>(
    '/schemas/ids/:id/versions',
    { schema: { tags, summary: 'Subject-version pairs of this id' } },
    async (req, reply) => {
      const uses = await svc.usesOfId(idParam(req.params.id), flag(req.query, 'deleted'));
      return send(
        reply,
        uses.map((u) => ({ subject: u.subject, version: u.version })),
      );
    },
  );
  app.get<{ Querystring: { subjectPrefix?: string } }>(
    '/schemas',
    { schema: { tags, summary: 'Every version (latestOnly: the latest per subject)' } },
    async (req, reply) => {
      const deleted = flag(req.query, 'deleted');
      const out = [];
      for (const s of await svc.subjects(deleted, req.query.subjectPrefix ?? '')) {
        const vs = svc.state.versions(s, deleted);
        for (const v of flag(req.query, 'latestOnly') ? vs.slice(-1) : vs)
          out.push({ subject: v.subject, version: v.version, id: v.id, schema: v.schema });
      }
      return send(reply, out);
    },
  );

  await app.register(subjectRoutes, { service: svc });
  await app.register(routesConfig, { service: svc });
}

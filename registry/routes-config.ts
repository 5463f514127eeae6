/**
 * /config (compatibility levels, global and per subject) and /mode (READWRITE or READONLY, global and per subject).
 */
import type { FastifyInstance } from 'fastify';
import { flag, send } from './reply.js';
import type { RegistryService } from './service.js';

type Subject = { Params: { subject: string } };

export async function routesConfig(app: FastifyInstance, opts: { service: RegistryService }): Promise<void> {
  const svc = opts.service;
  const tags = ['schema registry'];

  app.get('/config', { schema: { tags, summary: 'The global compatibility level' } }, async (_req, reply) =>
    send(reply, { compatibilityLevel: await svc.config(undefined, true) }),
  );
  app.put('/config', { schema: { tags, summary: 'Set the global compatibility level' } }, async (req, reply) =>
    send(reply, { compatibility: await svc.setConfig(null, req.body) }),
  );
  app.delete('/config', { schema: { tags, summary: 'Reset the global level to BACKWARD' } }, async (_req, reply) =>
    send(reply, { compatibilityLevel: await svc.deleteConfig(null) }),
  );
  app.get<Subject>(
    '/config/:subject',
    { schema: { tags, summary: "A subject's level (defaultToGlobal=true: the level in force)" } },
    async (req, reply) =>
      send(reply, { compatibilityLevel: await svc.config(req.params.subject, flag(req.query, 'defaultToGlobal')) }),
  );
  app.put<Subject>(
    '/config/:subject',
    { schema: { tags, summary: "Set a subject's compatibility level" } },
    async (req, reply) => send(reply, { compatibility: await svc.setConfig(req.params.subject, req.body) }),
  );
  app.delete<Subject>(
    '/config/:subject',
    { schema: { tags, summary: "Remove a subject's level (the global one applies)" } },
    async (req, reply) => send(reply, { compatibilityLevel: await svc.deleteConfig(req.params.subject) }),
  );

  app.get('/mode', { schema: { tags, summary: 'The global mode' } }, async (_req, reply) =>
    send(reply, { mode: await svc.modeOf(undefined, true) }),
  );
  app.put('/mode', { schema: { tags, summary: 'Set the global mode: READWRITE or READONLY' } }, async (req, reply) =>
    send(reply, { mode: await svc.setMode(null, req.body) }),
  );
  app.get<Subject>(
    '/mode/:subject',
    { schema: { tags, summary: "A subject's mode (defaultToGlobal=true: the mode in force)" } },
    async (req, reply) =>
      send(reply, { mode: await svc.modeOf(req.params.subject, flag(req.query, 'defaultToGlobal')) }),
  );
  app.put<Subject>('/mode/:subject', { schema: { tags, summary: "Set a subject's mode" } }, async (req, reply) =>
    send(reply, { mode: await svc.setMode(req.params.subject, req.body) }),
  );
  app.delete<Subject>(
    '/mode/:subject',
    { schema: { tags, summary: "Remove a subject's mode (the global one applies)" } },
    async (req, reply) => send(reply, { mode: await svc.deleteMode(req.params.subject) }),
  );
}

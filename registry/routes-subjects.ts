/**
 * Subjects, versions, registration, lookup, deletes and the compatibility test (routes.ts has the plugin's error
 * shape and content types; routes-config.ts the /config and /mode routes).
 */
import type { FastifyInstance } from 'fastify';
import { flag, send } from './reply.js';
import type { RegistryService } from './service.js';

type Subject = { Params: { subject: string } };
type SubjectVersion = { Params: { subject: string; version: string } };

export async function subjectRoutes(app: FastifyInstance, opts: { service: RegistryService }): Promise<void> {
  const svc = opts.service;
  const tags = ['schema registry'];

  app.get<{ Querystring: { subjectPrefix?: string } }>(
    '/subjects',
    { schema: { tags, summary: 'Subjects (deleted=true: soft-deleted ones too)' } },
    async (req, reply) => send(reply, await svc.subjects(flag(req.query, 'deleted'), req.query.subjectPrefix ?? '')),
  );
  app.get<Subject>(
    '/subjects/:subject/versions',
    { schema: { tags, summary: 'Version numbers of a subject' } },
    async (req, reply) => send(reply, await svc.versions(req.params.subject, flag(req.query, 'deleted'))),
  );
  app.post<Subject>(
    '/subjects/:subject/versions',
    { schema: { tags, summary: 'Register a schema (the same schema returns the same id)' } },
    async (req, reply) => send(reply, { id: await svc.register(req.params.subject, req.body) }),
  );
  app.get<SubjectVersion>(
    '/subjects/:subject/versions/:version',
    { schema: { tags, summary: 'One version (a number, latest or -1)' } },
    async (req, reply) =>
      send(reply, await svc.version(req.params.subject, req.params.version, flag(req.query, 'deleted'))),
  );
  app.get<SubjectVersion>(
    '/subjects/:subject/versions/:version/schema',
    { schema: { tags, summary: 'The schema text of one version, unwrapped' } },
    async (req, reply) => send(reply, (await svc.version(req.params.subject, req.params.version)).schema),
  );
  app.get<SubjectVersion>(
    '/subjects/:subject/versions/:version/referencedby',
    { schema: { tags, summary: 'Ids of schemas that reference this version (none: references are not supported)' } },
    async (req, reply) => {
      await svc.version(req.params.subject, req.params.version);
      return send(reply, []);
    },
  );
  app.delete<SubjectVersion>(
    '/subjects/:subject/versions/:version',
    { schema: { tags, summary: 'Soft-delete a version (permanent=true: hard-delete a soft-deleted one)' } },
    async (req, reply) =>
      send(reply, await svc.deleteVersion(req.params.subject, req.params.version, flag(req.query, 'permanent'))),
  );
  app.post<Subject>(
    '/subjects/:subject',
    { schema: { tags, summary: 'Look up a schema under a subject: its version and id' } },
    async (req, reply) => send(reply, await svc.lookup(req.params.subject, req.body, flag(req.query, 'deleted'))),
  );
  app.delete<Subject>(
    '/subjects/:subject',
    { schema: { tags, summary: 'Soft-delete a subject (permanent=true: hard-delete a soft-deleted one)' } },
    async (req, reply) => send(reply, await svc.deleteSubject(req.params.subject, flag(req.query, 'permanent'))),
  );

  const compatibility = async (subject: string, version: string | undefined, body: unknown, verbose: boolean) => {
    const problems = await svc.testCompatibility(subject, version, body);
    return verbose
      ? { is_compatible: problems.length === 0, messages: problems }
      : { is_compatible: problems.length === 0 };
  };
  app.post<SubjectVersion>(
    '/compatibility/subjects/:subject/versions/:version',
    { schema: { tags, summary: "Is a schema compatible with this version, under the subject's level?" } },
    async (req, reply) =>
      send(reply, await compatibility(req.params.subject, req.params.version, req.body, flag(req.query, 'verbose'))),
  );
  app.post<Subject>(
    '/compatibility/subjects/:subject/versions',
    { schema: { tags, summary: "Is a schema compatible with the versions the subject's level names?" } },
    async (req, reply) =>
      send(reply, await compatibility(req.params.subject, undefined, req.body, flag(req.query, 'verbose'))),
  );
}

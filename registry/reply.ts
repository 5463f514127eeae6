/**
 * How the registry's routes read requests and answer: Confluent's content type, query flags, schema ids in paths.
 */
import type { FastifyReply } from 'fastify';
import { RegistryError } from './errors.js';

export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Query flags such as `?deleted=true`. */
export function flag(q: unknown, name: string): boolean {
  return (q as Record<string, unknown> | undefined)?.[name] === 'true';
}

/** Answers with Confluent's content type (a bare number or string is sent as its JSON text). */
export function send(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type(REGISTRY_CONTENT_TYPE).send(typeof body === 'number' ? JSON.stringify(body) : body);
}

/** A schema id from the path; anything but an id 1..2^31-1 is an unknown schema (40403). */
export function idParam(text: string): number {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(id >= 1 && id <= 0x7fffffff)) throw new RegistryError(404, 40403, `Schema ${text} not found`);
  return id;
}

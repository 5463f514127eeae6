/**
 * Bearer-token auth: with `--token T`, a route guarded by `requireToken` needs `Authorization: Bearer T`
 * (compared in constant time); otherwise 401 TL_API_UNAUTHORIZED with `WWW-Authenticate: Bearer`.
 * Without a token the guard lets everything through (local use).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tlError } from '../../core/errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function requireToken(token: string | undefined) {
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!expected) return;
    const given = req.headers.authorization;
    if (typeof given === 'string' && timingSafeEqual(digest(given), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="ticklake"');
    throw tlError('TL_API_UNAUTHORIZED');
  };
}

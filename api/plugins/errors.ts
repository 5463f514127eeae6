/**
 * One error shape for every route: `{"error": {"code": "TL_...", "message": "..."}}` with the status of the code
 * (core/errors.ts). Fastify's own errors map too: schema validation is TL_API_BAD_PARAM naming the field, a
 * malformed body TL_API_BAD_PARAM (body), an unknown route TL_API_NOT_FOUND, anything unexpected TL_API_INTERNAL
 * (logged, the server keeps serving). A TL_API_BUSY answer carries `Retry-After`. Messages pass through the path
 * masker (api/path-masks.ts): no absolute path of the server leaves it.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isTicklakeError, type TicklakeError, tlError } from '../../core/errors.js';
import type { PathMasker } from '../path-masks.js';

function fromFastify(err: FastifyError): TicklakeError {
  if (err.validation && err.validation.length > 0) {
    const v = err.validation[0];
    const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
    const path = `${err.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')}${missing ? `.${missing}` : ''}`;
    return tlError('TL_API_BAD_PARAM', { param: path, reason: missing ? 'is required' : (v.message ?? 'is invalid') });
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return tlError('TL_API_BAD_PARAM', { param: 'request', reason: err.message });
  return tlError('TL_API_INTERNAL', { reason: err.message }, err);
}

export function errorsPlugin(
  app: FastifyInstance,
  onError: (e: TicklakeError) => void = () => {},
  mask: PathMasker = (t) => t,
): void {
  const body = (e: TicklakeError) => ({ error: { code: e.code, message: mask(e.message) } });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const e = isTicklakeError(err) ? err : fromFastify(err);
    if (e.code === 'TL_API_INTERNAL') req.log.error({ err }, 'unexpected error');
    onError(e);
    if (e.details.retryAfter !== undefined) reply.header('retry-after', String(e.details.retryAfter));
    return reply.status(e.status).type('application/json; charset=utf-8').send(body(e));
  });
  app.setNotFoundHandler((req, reply) => {
    const e = tlError('TL_API_NOT_FOUND', { what: `route ${req.method} ${req.url.split('?')[0]}` });
    return reply.status(e.status).send(body(e));
  });
}

/**
 * A small client of a Confluent-compatible schema registry over HTTP (ticklake's own or Confluent's): what
 * `ticklake produce --format avro --registry-url URL` uses to register the tick schema. Errors are typed:
 * TL_REGISTRY_UNAVAILABLE when the registry cannot be reached or fails (5xx), TL_REGISTRY_REFUSED when it refuses
 * the schema (an incompatible schema, an invalid one, a READONLY registry), with the registry's own message.
 */
import { tlError } from '../core/errors.js';

const TIMEOUT_MS = 15_000;

export async function registerSchemaOverHttp(baseUrl: string, subject: string, schema: string): Promise<number> {
  const target = baseUrl.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${target}/subjects/${encodeURIComponent(subject)}/versions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.schemaregistry.v1+json',
        accept: 'application/vnd.schemaregistry.v1+json',
      },
      body: JSON.stringify({ schema }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw tlError('TL_REGISTRY_UNAVAILABLE', { target, reason: cause ?? (e as Error).message }, e);
  }
  const text = await res.text();
  let body: { id?: unknown; message?: unknown; error_code?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: reported below */
  }
  if (res.ok && Number.isInteger(body.id)) return body.id as number;
  const reason = `HTTP ${res.status}${body.error_code ? ` error_code ${body.error_code}` : ''}: ${typeof body.message === 'string' ? body.message : text.slice(0, 200)}`;
  if (res.status >= 500 || res.ok) throw tlError('TL_REGISTRY_UNAVAILABLE', { target, reason });
  throw tlError('TL_REGISTRY_REFUSED', { target, subject, reason });
}

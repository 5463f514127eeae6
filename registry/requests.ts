/**
 * The shapes of the registry's requests: a version in a path, a schema in a body.
 */
import { type ParsedSchema, parseAvroSchema, SUPPORTED_SCHEMA_TYPES } from './avro-schema.js';
import { regErr } from './errors.js';

/** `latest`, -1 or a version number 1..2^31-1; else 42202. */
export function parseVersion(spec: string): number | 'latest' {
  if (spec === 'latest' || spec === '-1') return 'latest';
  if (/^\d+$/.test(spec)) {
    const n = Number(spec);
    if (n >= 1 && n <= 0x7fffffff) return n;
  }
  throw regErr.invalidVersion(spec);
}

/** A register/lookup/compatibility body: `{"schema": "...", "schemaType"?: "AVRO", "references"?: []}`. */
export function parseBody(body: unknown): ParsedSchema {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw regErr.badRequest('the body must be a JSON object with a "schema" string');
  const b = body as { schema?: unknown; schemaType?: unknown; references?: unknown };
  if (typeof b.schema !== 'string') throw regErr.badRequest('"schema" must be a string');
  const type = b.schemaType ?? 'AVRO';
  if (!(SUPPORTED_SCHEMA_TYPES as readonly unknown[]).includes(type))
    throw regErr.invalidSchema(`schemaType ${JSON.stringify(type)} is not supported; this registry holds AVRO only`);
  if (Array.isArray(b.references) && b.references.length > 0)
    throw regErr.invalidSchema('schema references are not supported by this registry');
  return parseAvroSchema(b.schema);
}

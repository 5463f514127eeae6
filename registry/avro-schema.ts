/**
 * Avro schemas as the registry sees them: parsing and validating a schema text (avsc), its identity, and the id a
 * schema gets.
 *
 * Identity: two schema texts are the same schema when avsc's normalised form of them (`Type#schema` with
 * `exportAttrs`: full names, primitives unwrapped, a fixed attribute order, defaults, aliases and docs kept) is the
 * same string. Re-registering a schema with other whitespace or attribute order so finds the version already there,
 * as in Confluent (which compares Avro's own canonical string). The text stored and served back is the client's
 * own, compacted (`JSON.stringify` of the parsed text), so attributes avsc does not keep survive.
 *
 * Ids: a schema's id is derived from its identity, not counted: the first 31 bits of the SHA-256 of the identity
 * string (0 becomes 1). Two registry instances, or one instance before and after losing every record, give the same
 * schema the same id without asking each other; two different schemas get different ids unless the hashes collide,
 * and then the registration probes the next id not taken by another schema (`idCandidates`). docs/registry.md,
 * "Schema ids", argues why this and not Confluent's counter.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type avro from 'avsc';
import { regErr } from './errors.js';

const require = createRequire(import.meta.url);
let avscModule: typeof avro | undefined;
/** avsc, loaded on first need (~0.1 s): the processor's consumer thread only needs it once an Avro tick arrives. */
export function avsc(): typeof avro {
  avscModule ??= require('avsc') as typeof avro;
  return avscModule;
}

export interface ParsedSchema {
  /** The client's text, compacted: what is stored and served. */
  text: string;
  /** The identity string (see the file comment). */
  identity: string;
  type: avro.Type;
}

/** Schema types a client may name (`schemaType`); ticklake's registry holds Avro only. */
export const SUPPORTED_SCHEMA_TYPES = ['AVRO'] as const;

/**
 * Options for every avsc type the registry and its readers build: unions unwrapped where unambiguous (a
 * ["null","string"] field decodes to null or a string, as other Avro libraries do), logical types left as their
 * underlying type (a timestamp-millis is the long it is on the wire).
 */
export function avscOptions(): Partial<avro.ForSchemaOptions> {
  // a fresh object each time: avsc keeps the named types it meets in `opts.registry`, created on the object
  return { wrapUnions: 'auto' };
}

/** Parses and validates a schema text; a RegistryError 42201 names what is wrong. */
export function parseAvroSchema(text: string): ParsedSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // a bare name such as `string` is not JSON; Avro allows it as shorthand for "string"
    if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(text.trim())) json = text.trim();
    else throw regErr.invalidSchema(`not JSON (${(e as Error).message})`);
  }
  let type: avro.Type;
  try {
    type = avsc().Type.forSchema(json as avro.Schema, avscOptions());
  } catch (e) {
    throw regErr.invalidSchema((e as Error).message);
  }
  return { text: JSON.stringify(json), identity: identityOf(type), type };
}

/** The identity string of a parsed type (see the file comment). */
export function identityOf(type: avro.Type): string {
  return JSON.stringify(type.schema({ exportAttrs: true }));
}

/** The identity of a stored schema text, or null when the text is not an Avro schema avsc accepts. */
export function identityOfText(text: string): string | null {
  try {
    return parseAvroSchema(text).identity;
  } catch {
    return null;
  }
}

const MAX_ID = 0x7fffffff;

/** The ids to try for a schema, in order: its hash, then the next ones (wrapping, never 0). */
export function* idCandidates(identity: string): Generator<number> {
  const h = createHash('sha256').update(identity).digest().readUInt32BE(0) & MAX_ID;
  let id = h === 0 ? 1 : h;
  for (;;) {
    yield id;
    id = id === MAX_ID ? 1 : id + 1;
  }
}

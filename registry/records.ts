/**
 * The records of the `_schemas` topic, in Confluent Schema Registry's own format, so that the topic reads the same
 * to ticklake and to a Confluent registry (docs/registry.md, "Storage"). Keys and values are JSON:
 *
 *   key {"keytype":"SCHEMA","subject":"ticks-value","version":1,"magic":1}
 *   value {"subject":"ticks-value","version":1,"id":1170192815,"schema":"{...}","deleted":false}
 *     (`schemaType` only for a type other than AVRO; a null value hard-deletes the version)
 *   key {"keytype":"CONFIG","magic":0} (global) or {"keytype":"CONFIG","subject":"s","magic":0}
 *   value {"compatibilityLevel":"FULL"}
 *   key {"keytype":"MODE","magic":0} / {"keytype":"MODE","subject":"s","magic":0}   value {"mode":"READONLY"}
 *   key {"keytype":"NOOP","magic":0}   (Confluent's marker records; ignored)
 *   key {"keytype":"DELETE_SUBJECT","subject":"s","magic":0}   value {"subject":"s","version":3}
 *   key {"keytype":"CLEAR_SUBJECT","subject":"s","magic":0}    value {"subject":"s"}
 *
 * Field order follows Confluent's (`@JsonPropertyOrder`), and an absent subject is left out as Confluent does:
 * compaction keeps the last record per key *bytes*, so every writer must spell one key the same way. ticklake writes
 * SCHEMA, CONFIG and MODE records; it reads DELETE_SUBJECT and CLEAR_SUBJECT too, which a Confluent registry writes.
 * Keys that do not parse, and unknown key types, decode to null (skipped, as Confluent skips them).
 */

export type KeyType = 'SCHEMA' | 'CONFIG' | 'MODE' | 'NOOP' | 'DELETE_SUBJECT' | 'CLEAR_SUBJECT';

export type RegistryKey =
  | { keytype: 'SCHEMA'; subject: string; version: number }
  | { keytype: 'CONFIG' | 'MODE'; subject: string | null }
  | { keytype: 'NOOP' }
  | { keytype: 'DELETE_SUBJECT' | 'CLEAR_SUBJECT'; subject: string };

export interface SchemaValue {
  subject: string;
  version: number;
  id: number;
  schema: string;
  /** AVRO when absent. */
  schemaType?: string;
  deleted: boolean;
}

const KEY_TYPES = new Set<string>(['SCHEMA', 'CONFIG', 'MODE', 'NOOP', 'DELETE_SUBJECT', 'CLEAR_SUBJECT']);

/** The key's bytes, spelt as Confluent spells them. */
export function encodeKey(k: RegistryKey): Buffer {
  switch (k.keytype) {
    case 'SCHEMA':
      return json({ keytype: k.keytype, subject: k.subject, version: k.version, magic: 1 });
    case 'CONFIG':
    case 'MODE':
      return json(
        k.subject === null ? { keytype: k.keytype, magic: 0 } : { keytype: k.keytype, subject: k.subject, magic: 0 },
      );
    case 'NOOP':
      return json({ keytype: k.keytype, magic: 0 });
    default:
      return json({ keytype: k.keytype, subject: k.subject, magic: 0 });
  }
}

/** One identity per logical key (Confluent writes a global CONFIG key with and without `"subject":null`). */
export function keyId(k: RegistryKey): string {
  switch (k.keytype) {
    case 'SCHEMA':
      return `SCHEMA\u0000${k.subject}\u0000${k.version}`;
    case 'NOOP':
      return 'NOOP';
    default:
      return `${k.keytype}\u0000${k.subject ?? ''}`;
  }
}

export function decodeKey(bytes: Buffer | null): RegistryKey | null {
  const o = parseObject(bytes);
  if (o === null || typeof o.keytype !== 'string' || !KEY_TYPES.has(o.keytype)) return null;
  const subject = typeof o.subject === 'string' ? o.subject : null;
  switch (o.keytype) {
    case 'SCHEMA':
      return subject !== null && isVersion(o.version) ? { keytype: 'SCHEMA', subject, version: o.version } : null;
    case 'CONFIG':
    case 'MODE':
      return { keytype: o.keytype, subject };
    case 'NOOP':
      return { keytype: 'NOOP' };
    default:
      return subject === null ? null : { keytype: o.keytype as 'DELETE_SUBJECT' | 'CLEAR_SUBJECT', subject };
  }
}

export function encodeSchemaValue(v: SchemaValue): Buffer {
  const o: Record<string, unknown> = { subject: v.subject, version: v.version, id: v.id };
  if (v.schemaType !== undefined && v.schemaType !== 'AVRO') o.schemaType = v.schemaType;
  o.schema = v.schema;
  o.deleted = v.deleted;
  return json(o);
}

/** A SCHEMA record's value, or null when it is not one (then the record is skipped). */
export function decodeSchemaValue(bytes: Buffer): SchemaValue | null {
  const o = parseObject(bytes);
  if (o === null) return null;
  const { subject, version, id, schema } = o;
  if (typeof subject !== 'string' || !isVersion(version) || !Number.isInteger(id) || typeof schema !== 'string')
    return null;
  const v: SchemaValue = { subject, version, id: id as number, schema, deleted: o.deleted === true };
  if (typeof o.schemaType === 'string' && o.schemaType !== 'AVRO') v.schemaType = o.schemaType;
  return v;
}

export function encodeConfigValue(level: string): Buffer {
  return json({ compatibilityLevel: level });
}

export function decodeConfigValue(bytes: Buffer): string | null {
  const o = parseObject(bytes);
  return o !== null && typeof o.compatibilityLevel === 'string' ? o.compatibilityLevel : null;
}

export function encodeModeValue(mode: string): Buffer {
  return json({ mode });
}

export function decodeModeValue(bytes: Buffer): string | null {
  const o = parseObject(bytes);
  return o !== null && typeof o.mode === 'string' ? o.mode : null;
}

/** DELETE_SUBJECT's value: the versions up to this one are soft-deleted. */
export function decodeDeleteSubjectValue(bytes: Buffer): number | null {
  const o = parseObject(bytes);
  return o !== null && isVersion(o.version) ? o.version : null;
}

function isVersion(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1;
}

function json(o: unknown): Buffer {
  return Buffer.from(JSON.stringify(o));
}

function parseObject(bytes: Buffer | null): Record<string, unknown> | null {
  if (bytes === null) return null;
  try {
    const o: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

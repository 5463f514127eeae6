/**
 * The registry's state: the `_schemas` records folded in offset order (records.ts), as every registry instance and
 * every reader of the topic folds them, so all of them agree on the same log.
 *
 * A SCHEMA key (subject, version) holds one schema for good: the first record for a key sets it; later records for
 * the key may only flip its `deleted` flag on (soft delete) or remove it (a null value, the hard delete). A later
 * record that puts another schema or id under a key already taken is *illegal*: two writers raced for the same
 * version, and the one that wrote second lost. So is a record that claims an id another schema already holds. An
 * illegal record changes nothing; the key is remembered in `illegalTails` until a legal record for it follows,
 * because compaction keeps the last record per key and would otherwise keep the loser: the losing writer (and every
 * registry at start) appends the legal value again (`repairRecords`). docs/registry.md, "Several instances".
 *
 * CONFIG and MODE keys: the last record wins (a null value removes the setting), as in Confluent.
 */
import { identityOfText } from './avro-schema.js';
import {
  decodeConfigValue,
  decodeDeleteSubjectValue,
  decodeKey,
  decodeModeValue,
  decodeSchemaValue,
  keyId,
  type RegistryKey,
  type SchemaValue,
} from './records.js';

export interface StoredVersion extends SchemaValue {
  /** Identity of the schema (avro-schema.ts); the text itself for a schema avsc does not read. */
  identity: string;
  /** Offset of the record that set the version. */
  offset: number;
}

/** A record the registry writes: key and value bytes (null value = tombstone). */
export interface RawRecord {
  key: Buffer;
  value: Buffer | null;
}

export class RegistryState {
  /** subject → version → the version's schema. */
  readonly subjects = new Map<string, Map<number, StoredVersion>>();
  /** id → identity of the schema that holds it, and how many versions (deleted or not) use it. */
  private readonly ids = new Map<number, { identity: string; text: string; schemaType?: string; uses: number }>();
  /** identity → id. */
  private readonly byIdentity = new Map<string, number>();
  /** subject ('' = global) → compatibility level / mode. */
  readonly configs = new Map<string, string>();
  readonly modes = new Map<string, string>();
  /** Keys whose last record was illegal, with that key (so a repair can name it). */
  readonly illegalTails = new Map<string, RegistryKey>();
  /** Illegal records seen (a count for logs and tests). */
  illegalRecords = 0;

  apply(offset: number, keyBytes: Buffer | null, value: Buffer | null): void {
    const key = decodeKey(keyBytes);
    if (key === null) return;
    switch (key.keytype) {
      case 'SCHEMA':
        this.applySchema(offset, key, value);
        return;
      case 'CONFIG':
      case 'MODE': {
        const map = key.keytype === 'CONFIG' ? this.configs : this.modes;
        const v = value === null ? null : key.keytype === 'CONFIG' ? decodeConfigValue(value) : decodeModeValue(value);
        if (v === null) map.delete(key.subject ?? '');
        else map.set(key.subject ?? '', v);
        return;
      }
      case 'DELETE_SUBJECT': {
        const upTo = value === null ? null : decodeDeleteSubjectValue(value);
        if (upTo === null) return;
        for (const [v, sv] of this.subjects.get(key.subject) ?? []) if (v <= upTo) sv.deleted = true;
        return;
      }
      case 'CLEAR_SUBJECT':
        for (const [v, sv] of [...(this.subjects.get(key.subject) ?? [])])
          if (sv.deleted) this.removeVersion(key.subject, v);
        return;
      default:
        return;
    }
  }

  private applySchema(offset: number, key: RegistryKey & { keytype: 'SCHEMA' }, value: Buffer | null): void {
    const kid = keyId(key);
    const current = this.subjects.get(key.subject)?.get(key.version);
    if (value === null) {
      if (current) this.removeVersion(key.subject, key.version);
      this.illegalTails.delete(kid);
      return;
    }
    const v = decodeSchemaValue(value);
    if (v === null || v.subject !== key.subject || v.version !== key.version) return;
    const identity = (v.schemaType === undefined ? identityOfText(v.schema) : null) ?? v.schema;
    let legal: boolean;
    if (current) {
      // the same schema under the same id; `deleted` may only go from false to true
      legal = current.id === v.id && current.identity === identity && (current.deleted ? v.deleted : true);
      if (legal) current.deleted = v.deleted;
    } else {
      const owner = this.ids.get(v.id);
      legal = owner === undefined || owner.identity === identity;
      if (legal) this.addVersion({ ...v, identity, offset });
    }
    if (legal) this.illegalTails.delete(kid);
    else {
      this.illegalRecords++;
      this.illegalTails.set(kid, key);
    }
  }

  private addVersion(sv: StoredVersion): void {
    let versions = this.subjects.get(sv.subject);
    if (!versions) {
      versions = new Map();
      this.subjects.set(sv.subject, versions);
    }
    versions.set(sv.version, sv);
    const owner = this.ids.get(sv.id);
    if (owner) owner.uses++;
    else {
      this.ids.set(sv.id, { identity: sv.identity, text: sv.schema, schemaType: sv.schemaType, uses: 1 });
      this.byIdentity.set(sv.identity, sv.id);
    }
  }

  private removeVersion(subject: string, version: number): void {
    const versions = this.subjects.get(subject);
    const sv = versions?.get(version);
    if (!versions || !sv) return;
    versions.delete(version);
    if (versions.size === 0) this.subjects.delete(subject);
    const owner = this.ids.get(sv.id);
    if (owner && --owner.uses === 0) {
      this.ids.delete(sv.id);
      this.byIdentity.delete(owner.identity);
    }
  }

  /** The schema text of an id (soft-deleted versions keep their id readable, as in Confluent). */
  schemaById(id: number): { text: string; schemaType?: string } | undefined {
    const o = this.ids.get(id);
    return o ? { text: o.text, schemaType: o.schemaType } : undefined;
  }

  /** The id a schema of this identity already has, anywhere in the registry. */
  idOf(identity: string): number | undefined {
    return this.byIdentity.get(identity);
  }

  /** Whether the id is held by a schema of another identity. */
  idTakenByOther(id: number, identity: string): boolean {
    const o = this.ids.get(id);
    return o !== undefined && o.identity !== identity;
  }

  /** A subject's versions in order, with or without the soft-deleted ones. */
  versions(subject: string, includeDeleted = false): StoredVersion[] {
    const all = [...(this.subjects.get(subject)?.values() ?? [])].sort((a, b) => a.version - b.version);
    return includeDeleted ? all : all.filter((v) => !v.deleted);
  }

  /** Subjects with a live version (or any version, with `includeDeleted`), sorted. */
  subjectNames(includeDeleted = false): string[] {
    return [...this.subjects.keys()].filter((s) => this.versions(s, includeDeleted).length > 0).sort();
  }

  /** The highest version number of a subject, deleted versions included; 0 when it has none. */
  maxVersion(subject: string): number {
    let max = 0;
    for (const v of this.subjects.get(subject)?.keys() ?? []) if (v > max) max = v;
    return max;
  }

  /** Versions (subject, version) that use an id. */
  usesOf(id: number, includeDeleted = false): StoredVersion[] {
    const out: StoredVersion[] = [];
    for (const versions of this.subjects.values())
      for (const v of versions.values()) if (v.id === id && (includeDeleted || !v.deleted)) out.push(v);
    return out.sort((a, b) => (a.subject === b.subject ? a.version - b.version : a.subject < b.subject ? -1 : 1));
  }

  /** Every id in use. */
  allIds(): number[] {
    return [...this.ids.keys()];
  }
}

/**
 * The schema registry's operations, over a SchemaStore: what the REST routes (routes-*.ts) call, and what
 * ticklake's own producers call in-process when they register the tick schema without a separate registry.
 *
 * Reads answer from the state in memory (kept current by the store's tail); a read that finds nothing catches up
 * with the log once and looks again, so a subject or id registered a moment ago through another instance is found.
 * Writes catch up with the log first, decide, append, and look at the state their record produced: when another
 * writer took the same version first (state.ts: the first record for a key wins), the write repairs the key and
 * starts again from the new state, at most MAX_ATTEMPTS times (docs/registry.md, "Several instances").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type avro from 'avsc';
import type { Logger } from '../core/log.js';
import { idCandidates, type ParsedSchema, parseAvroSchema } from './avro-schema.js';
import { compatibilityProblems, DEFAULT_LEVEL, type Level, parseLevel } from './compatibility.js';
import { RegistryError, regErr } from './errors.js';
import { encodeConfigValue, encodeKey, encodeModeValue, encodeSchemaValue } from './records.js';
import { parseBody, parseVersion } from './requests.js';
import type { RawRecord, StoredVersion } from './state.js';
import { SchemaStore } from './store.js';

export interface VersionInfo {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: string;
}

export interface RegistryOptions {
  brokers: string[];
  /** Default `_schemas`. */
  topic?: string;
  log: Logger;
  clientId?: string;
}

export const MODES = ['READWRITE', 'READONLY'] as const;
const MAX_ATTEMPTS = 5;
const READY_WAIT_MS = 5000;

export class RegistryService {
  readonly store: SchemaStore;
  private readonly types = new Map<string, avro.Type>();
  private started: Promise<void> | undefined;
  private lastStartError = '';

  constructor(private readonly opts: RegistryOptions) {
    this.store = new SchemaStore({
      brokers: opts.brokers,
      topic: opts.topic,
      clientId: opts.clientId ?? 'ticklake-registry',
      log: opts.log,
    });
  }

  /**
   * Creates the topic when missing, reads it to the end, repairs what a crashed writer left, then (with `tail`)
   * follows it. Resolves once the registry can answer; with `retry`, keeps trying in the background until Kafka is
   * reachable (a server), else rejects with the first failure (a producer registering its schema).
   */
  start(opts: { tail: boolean; retry: boolean }): Promise<void> {
    const once = async () => {
      await this.store.log.createTopic();
      await this.store.catchUp();
      await this.repair();
      if (opts.tail) this.store.tail();
    };
    const attempt = async (): Promise<void> => {
      for (let n = 0; ; n++) {
        try {
          await once();
          return;
        } catch (e) {
          this.lastStartError = (e as Error).message;
          if (!opts.retry || (e as { code?: string }).code === 'TL_REGISTRY_BAD_TOPIC') throw e;
          if (n === 0) this.opts.log.warn({ err: this.lastStartError }, 'schema registry: Kafka not reachable yet');
          await sleep(Math.min(5000, 500 * (n + 1)));
        }
      }
    };
    this.started ??= attempt();
    return this.started;
  }

  /** Waits (a while) for `start`; a registry that cannot reach Kafka answers 50002. */
  private async ready(): Promise<void> {
    const started = this.started ?? Promise.reject(new Error('not started'));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(regErr.timeout(`reading ${this.store.log.topic}: ${this.lastStartError || 'waiting for Kafka'}`)),
        READY_WAIT_MS,
      );
    });
    try {
      await Promise.race([started, timeout]);
    } catch (e) {
      throw e instanceof RegistryError ? e : regErr.store((e as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  private async catchUp(): Promise<void> {
    await this.ready();
    try {
      await this.store.catchUp();
    } catch (e) {
      throw regErr.store(`reading ${this.store.log.topic}: ${(e as Error).message}`);
    }
  }

  private async write(records: RawRecord[]): Promise<void> {
    try {
      await this.store.write(records);
    } catch (e) {
      throw regErr.store(`writing ${this.store.log.topic}: ${(e as Error).message}`);
    }
  }

  /** A read from memory; when it finds nothing, one catch-up with the log (if Kafka answers) and a second look. */
  private async read<T>(f: () => T): Promise<T> {
    await this.ready();
    try {
      return f();
    } catch (e) {
      if (!(e instanceof RegistryError) || e.status !== 404) throw e;
      // without Kafka the miss stands: reads answer from memory, as a Confluent registry's do
      const caughtUp = await this.catchUp().then(
        () => true,
        () => false,
      );
      if (!caughtUp) throw e;
      return f();
    }
  }

  get state() {
    return this.store.state;
  }

  typeOf(v: { identity: string; schema: string }): avro.Type {
    let t = this.types.get(v.identity);
    if (!t) {
      t = parseAvroSchema(v.schema).type;
      this.types.set(v.identity, t);
    }
    return t;
  }

  // --- reads ---------------------------------------------------------------------------------------------------

  schemaById(id: number): Promise<{ schema: string; schemaType?: string }> {
    return this.read(() => {
      const s = this.state.schemaById(id);
      if (!s) throw regErr.schemaNotFound(`Schema ${id} not found`);
      return s.schemaType ? { schemaType: s.schemaType, schema: s.text } : { schema: s.text };
    });
  }

  usesOfId(id: number, includeDeleted: boolean): Promise<StoredVersion[]> {
    return this.read(() => {
      if (!this.state.schemaById(id)) throw regErr.schemaNotFound(`Schema ${id} not found`);
      return this.state.usesOf(id, includeDeleted);
    });
  }

  subjects(includeDeleted: boolean, prefix = ''): Promise<string[]> {
    return this.read(() => this.state.subjectNames(includeDeleted).filter((s) => s.startsWith(prefix)));
  }

  versions(subject: string, includeDeleted: boolean): Promise<number[]> {
    return this.read(() => {
      const vs = this.state.versions(subject, includeDeleted);
      if (vs.length === 0) throw regErr.subjectNotFound(subject);
      return vs.map((v) => v.version);
    });
  }

  version(subject: string, spec: string, includeDeleted = false): Promise<VersionInfo> {
    return this.read(() => info(this.resolveVersion(subject, spec, includeDeleted)));
  }

  /** `latest`/-1 or a version number → the stored version; 40401, 40402, 42202. */
  private resolveVersion(subject: string, spec: string, includeDeleted: boolean): StoredVersion {
    const n = parseVersion(spec);
    const vs = this.state.versions(subject, includeDeleted);
    if (vs.length === 0) throw regErr.subjectNotFound(subject);
    const v = n === 'latest' ? vs[vs.length - 1] : vs.find((x) => x.version === n);
    if (!v) throw regErr.versionNotFound(subject, spec);
    return v;
  }

  /** POST /subjects/{s}: the version of this subject that holds the schema. */
  lookup(subject: string, body: unknown, includeDeleted: boolean): Promise<VersionInfo> {
    const parsed = parseBody(body);
    return this.read(() => {
      const vs = this.state.versions(subject, includeDeleted);
      if (vs.length === 0) throw regErr.subjectNotFound(subject);
      const v = vs.find((x) => x.identity === parsed.identity);
      if (!v) throw regErr.schemaNotFound();
      return info(v);
    });
  }

  /** Compatibility of a schema with one version (`spec`) or, without it, with the versions the level names. */
  async testCompatibility(subject: string, spec: string | undefined, body: unknown): Promise<string[]> {
    const parsed = parseBody(body);
    return this.read(() => {
      const level = this.level(subject);
      if (spec === undefined) return compatibilityProblems(parsed.type, this.prior(subject), level);
      const v = this.resolveVersion(subject, spec, false);
      const single = level.replace('_TRANSITIVE', '') as Level;
      return compatibilityProblems(parsed.type, [{ version: v.version, type: this.typeOf(v) }], single);
    });
  }

  private prior(subject: string) {
    return this.state.versions(subject).map((v) => ({ version: v.version, type: this.typeOf(v) }));
  }

  /** The level in force for a subject: its own, else the global one, else BACKWARD. */
  level(subject?: string): Level {
    const own = subject === undefined ? undefined : this.state.configs.get(subject);
    return parseLevel(own ?? this.state.configs.get('')) ?? DEFAULT_LEVEL;
  }

  async config(subject: string | undefined, defaultToGlobal: boolean): Promise<string> {
    await this.ready();
    if (subject !== undefined && !this.state.configs.has(subject) && !defaultToGlobal)
      throw regErr.subjectConfigNotFound(subject);
    return this.level(subject);
  }

  mode(subject?: string): string {
    const own = subject === undefined ? undefined : this.state.modes.get(subject);
    return own ?? this.state.modes.get('') ?? 'READWRITE';
  }

  async modeOf(subject: string | undefined, defaultToGlobal: boolean): Promise<string> {
    await this.ready();
    if (subject !== undefined && !this.state.modes.has(subject) && !defaultToGlobal)
      throw regErr.subjectModeNotFound(subject);
    return this.mode(subject);
  }

  // --- writes --------------------------------------------------------------------------------------------------

  private writable(subject?: string): void {
    if (this.mode(subject) === 'READONLY')
      throw regErr.notPermitted(`the registry${subject === undefined ? '' : ` (subject '${subject}')`} is READONLY`);
  }

  /** POST /subjects/{s}/versions: the schema's id, registering it as the next version when it is new here. */
  async register(subject: string, body: unknown): Promise<number> {
    const parsed = parseBody(body);
    const b = body as { id?: unknown; version?: unknown };
    if ((b.id !== undefined && b.id !== null) || (b.version !== undefined && b.version !== null))
      throw regErr.notPermitted('an explicit id or version is only for IMPORT mode, which is not supported');
    return this.registerParsed(subject, parsed);
  }

  async registerParsed(subject: string, parsed: ParsedSchema): Promise<number> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await this.catchUp();
      const live = this.state.versions(subject);
      const same = live.find((v) => v.identity === parsed.identity);
      if (same) return same.id;
      this.writable(subject);
      const problems = compatibilityProblems(parsed.type, this.prior(subject), this.level(subject));
      if (problems.length > 0) throw regErr.incompatible(subject, problems);
      const id = this.idFor(parsed.identity);
      const version = this.state.maxVersion(subject) + 1;
      const value = { subject, version, id, schema: parsed.text, deleted: false };
      await this.write([{ key: encodeKey({ keytype: 'SCHEMA', subject, version }), value: encodeSchemaValue(value) }]);
      const got = this.state.subjects.get(subject)?.get(version);
      if (got && got.id === id && got.identity === parsed.identity) {
        this.opts.log.info({ subject, version, id }, 'schema registered');
        return id;
      }
      this.opts.log.info({ subject, version, attempt }, 'another writer took the version first; trying again');
      await this.repair();
    }
    throw regErr.store(`other writers kept registering under '${subject}' at the same time (${MAX_ATTEMPTS} attempts)`);
  }

  /** The id of a schema: the one it already has, else the first free candidate of its hash. */
  private idFor(identity: string): number {
    const known = this.state.idOf(identity);
    if (known !== undefined) return known;
    for (const id of idCandidates(identity)) if (!this.state.idTakenByOther(id, identity)) return id;
    throw new Error('unreachable');
  }

  /** Appends the legal value again for every key whose last record was illegal (state.ts). */
  async repair(): Promise<void> {
    const records: RawRecord[] = [];
    for (const key of this.state.illegalTails.values()) {
      if (key.keytype !== 'SCHEMA') continue;
      const v = this.state.subjects.get(key.subject)?.get(key.version);
      records.push({ key: encodeKey(key), value: v ? encodeSchemaValue(v) : null });
    }
    if (records.length === 0) return;
    this.opts.log.info({ keys: records.length }, 'repairing keys a losing writer left last');
    await this.write(records);
  }

  async deleteVersion(subject: string, spec: string, permanent: boolean): Promise<number> {
    await this.catchUp();
    this.writable(subject);
    // a numbered version is found even when soft-deleted (a second soft delete is 40406); `latest` is the live one
    const v = this.resolveVersion(subject, spec, permanent || parseVersion(spec) !== 'latest');
    const key = encodeKey({ keytype: 'SCHEMA', subject, version: v.version });
    if (!permanent) {
      if (v.deleted) throw regErr.versionSoftDeleted(subject, v.version);
      await this.write([{ key, value: encodeSchemaValue({ ...v, deleted: true }) }]);
    } else {
      if (!v.deleted) throw regErr.versionNotSoftDeleted(subject, v.version);
      await this.write([{ key, value: null }]);
    }
    return v.version;
  }

  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    await this.catchUp();
    this.writable(subject);
    const all = this.state.versions(subject, true);
    if (all.length === 0) throw regErr.subjectNotFound(subject);
    const live = all.filter((v) => !v.deleted);
    if (!permanent) {
      if (live.length === 0) throw regErr.subjectSoftDeleted(subject);
      await this.write(
        live.map((v) => ({
          key: encodeKey({ keytype: 'SCHEMA', subject, version: v.version }),
          value: encodeSchemaValue({ ...v, deleted: true }),
        })),
      );
      return live.map((v) => v.version);
    }
    if (live.length > 0) throw regErr.subjectNotSoftDeleted(subject);
    const records: RawRecord[] = all.map((v) => ({
      key: encodeKey({ keytype: 'SCHEMA', subject, version: v.version }),
      value: null,
    }));
    if (this.state.configs.has(subject)) records.push({ key: encodeKey({ keytype: 'CONFIG', subject }), value: null });
    if (this.state.modes.has(subject)) records.push({ key: encodeKey({ keytype: 'MODE', subject }), value: null });
    await this.write(records);
    return all.map((v) => v.version);
  }

  async setConfig(subject: string | null, body: unknown): Promise<Level> {
    const level = parseLevel((body as { compatibility?: unknown } | null)?.compatibility);
    if (level === null)
      throw regErr.invalidCompatibility(String((body as { compatibility?: unknown } | null)?.compatibility));
    await this.catchUp();
    await this.write([{ key: encodeKey({ keytype: 'CONFIG', subject }), value: encodeConfigValue(level) }]);
    return level;
  }

  /** Removes a subject's (or the global) level; returns the level it had. */
  async deleteConfig(subject: string | null): Promise<Level> {
    await this.catchUp();
    if (subject !== null && !this.state.configs.has(subject)) throw regErr.subjectConfigNotFound(subject);
    const before = this.level(subject ?? undefined);
    await this.write([{ key: encodeKey({ keytype: 'CONFIG', subject }), value: null }]);
    return before;
  }

  async setMode(subject: string | null, body: unknown): Promise<string> {
    const mode = (body as { mode?: unknown } | null)?.mode;
    if (typeof mode !== 'string' || !(MODES as readonly string[]).includes(mode.toUpperCase()))
      throw regErr.invalidMode(String(mode));
    await this.catchUp();
    const m = mode.toUpperCase();
    await this.write([{ key: encodeKey({ keytype: 'MODE', subject }), value: encodeModeValue(m) }]);
    return m;
  }

  async deleteMode(subject: string): Promise<string> {
    await this.catchUp();
    if (!this.state.modes.has(subject)) throw regErr.subjectModeNotFound(subject);
    const before = this.mode(subject);
    await this.write([{ key: encodeKey({ keytype: 'MODE', subject }), value: null }]);
    return before;
  }

  async close(): Promise<void> {
    await this.started?.catch(() => {});
    await this.store.close();
  }
}

function info(v: StoredVersion): VersionInfo {
  const out: VersionInfo = { subject: v.subject, version: v.version, id: v.id, schema: v.schema };
  if (v.schemaType) out.schemaType = v.schemaType;
  return out;
}

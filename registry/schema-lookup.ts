/**
 * Schemas by id for a consumer of framed messages (the processor's consumer thread): a cache of avsc types filled
 * from the `_schemas` topic itself, read without a registry in between (the topic is the registry's storage, in
 * Confluent's format, so this works with ticklake's registry and with Confluent's alike).
 *
 * `prepare(values)` runs before a batch is parsed: when a framed value names an id not in the cache, it reads the
 * topic to its current end and compiles the schemas of the ids it now knows. A schema is registered before any
 * message that uses it is produced, so reading to the end after the message arrived finds it, or it does not
 * exist: `typeOf` then says "unknown schema id" and the message is a dead letter. Unknown ids are not remembered,
 * so the next batch that names one looks again. Ids never change their schema (registry/avro-schema.ts), so a
 * cached type never goes stale.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type avro from 'avsc';
import type { Logger } from '../core/log.js';
import { parseAvroSchema } from './avro-schema.js';
import { SchemaStore } from './store.js';
import { wireSchemaId } from './wire-format.js';

const ATTEMPTS = 5;

export class SchemaLookup {
  private store: SchemaStore | undefined;
  private readonly types = new Map<number, avro.Type | string>();

  constructor(private readonly opts: { brokers: string[]; topic?: string; log: Logger; clientId?: string }) {}

  /** The writer type of an id, or why there is none (after `prepare` of the values that name it). */
  readonly typeOf = (id: number): avro.Type | string =>
    this.types.get(id) ??
    `unknown schema id ${id} (not in the schema registry's ${this.store?.log.topic ?? '_schemas'} topic)`;

  /** Makes sure every id the framed values name is looked up (see the file comment). */
  async prepare(values: Iterable<Buffer | string | null>): Promise<void> {
    const missing = new Set<number>();
    for (const v of values) {
      const id = wireSchemaId(v);
      if (id >= 0 && !this.types.has(id)) missing.add(id);
    }
    if (missing.size === 0) return;
    this.store ??= new SchemaStore({
      brokers: this.opts.brokers,
      topic: this.opts.topic,
      clientId: this.opts.clientId ?? 'ticklake-schema-lookup',
      log: this.opts.log,
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.catchUp();
        break;
      } catch (e) {
        if (attempt === ATTEMPTS) throw e;
        this.opts.log.warn({ err: (e as Error).message, attempt }, 'cannot read the schemas topic; retrying');
        await sleep(200 * attempt);
      }
    }
    for (const id of missing) {
      const s = this.store.state.schemaById(id);
      if (!s) continue;
      if (s.schemaType !== undefined) this.types.set(id, `schema id ${id} is a ${s.schemaType} schema, not Avro`);
      else {
        try {
          this.types.set(id, parseAvroSchema(s.text).type);
        } catch (e) {
          this.types.set(id, `schema id ${id} is not a readable Avro schema (${(e as Error).message})`);
        }
      }
    }
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}

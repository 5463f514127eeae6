/**
 * How producers encode ticks (`--format`): `json`, the contract's JSON text (contracts/tick.ts), or `avro`,
 * Confluent's wire format under ticklake's tick schema (contracts/tick-avro.ts). For Avro the schema is registered
 * first, under the topic's value subject (`ticks-value`), and every message carries the id it got:
 *
 *   - with a registry URL (`--registry-url`, any Confluent-compatible registry): over HTTP;
 *   - without: in-process, through the `_schemas` topic on the brokers, by the same code a `ticklake registry`
 *     runs (registry/service.ts), so producing Avro needs nothing but the brokers;
 *   - in `ticklake start`: through the registry that start serves (`registry`).
 */

import type { Tick } from '../contracts/tick.js';
import { TICK_AVRO_SCHEMA, tickAvroEncoder, tickSubject } from '../contracts/tick-avro.js';
import type { ChoiceOf } from '../core/config.js';
import { tlError } from '../core/errors.js';
import { logger } from '../core/log.js';
import { parseAvroSchema } from '../registry/avro-schema.js';
import { registerSchemaOverHttp } from '../registry/client.js';
import { isRegistryError } from '../registry/errors.js';
import { RegistryService } from '../registry/service.js';

/** The `--format` choices, declared in core/config.ts. */
export type TickFormat = ChoiceOf<'messageFormat'>;

/** A tick's message value; undefined for JSON, where producers use their own (faster) JSON writer. */
export type TickEncode = (t: Tick) => string | Buffer;

export interface TickEncoding {
  format: TickFormat;
  encode?: TickEncode;
  /** The registered schema's id (Avro). */
  schemaId?: number;
}

export interface TickEncodingOptions {
  format: TickFormat;
  topic: string;
  brokers: string[];
  registryUrl?: string;
  /** A running registry to register with (ticklake start). */
  registry?: RegistryService;
}

export async function openTickEncoding(opts: TickEncodingOptions): Promise<TickEncoding> {
  if (opts.format === 'json') return { format: 'json' };
  const subject = tickSubject(opts.topic);
  const schema = JSON.stringify(TICK_AVRO_SCHEMA);
  let id: number;
  if (opts.registryUrl) id = await registerSchemaOverHttp(opts.registryUrl, subject, schema);
  else id = await registerInProcess(opts, subject, schema);
  logger('producer').info({ subject, schemaId: id }, 'tick schema registered');
  return { format: 'avro', encode: tickAvroEncoder(id), schemaId: id };
}

async function registerInProcess(opts: TickEncodingOptions, subject: string, schema: string): Promise<number> {
  const target = opts.registry ? 'of ticklake start' : `through the _schemas topic on ${opts.brokers.join(',')}`;
  const service = opts.registry ?? new RegistryService({ brokers: opts.brokers, log: logger('registry') });
  try {
    if (!opts.registry) await service.start({ tail: false, retry: false });
    return await service.registerParsed(subject, parseAvroSchema(schema));
  } catch (e) {
    if (isRegistryError(e) && e.status < 500)
      throw tlError('TL_REGISTRY_REFUSED', { target, subject, reason: e.message }, e);
    throw tlError('TL_REGISTRY_UNAVAILABLE', { target, reason: (e as Error).message }, e);
  } finally {
    if (!opts.registry) await service.close();
  }
}

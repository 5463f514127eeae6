/**
 * The tick message in Avro (docs/messages.md, "Avro"): ticklake's Avro schema of a tick, the Confluent wire format
 * (registry/wire-format.ts) to write it, and the reading of an Avro tick under whatever schema its id names.
 *
 * Reading decodes the body with the writer's schema, the one the message's schema id names (so a producer with its
 * own schema — other field order, a string instead of the enum, extra fields — is read as written), and then judges
 * the decoded object with `tickProblem` (contracts/tick.ts), the one judge of a tick's validity for JSON and Avro
 * alike: the rules live there, not here.
 */
import type avro from 'avsc';
import { avsc, avscOptions } from '../registry/avro-schema.js';
import { WIRE_HEADER_BYTES, writeWireHeader } from '../registry/wire-format.js';
import { ASSET_CLASSES, type Tick, tickProblem } from './tick.js';

/**
 * ticklake's Avro schema of a tick: the JSON contract's fields, in its order, with its types; the optional identity
 * (`src`, `seq`: docs/messages.md, "Identity") last, as unions with null defaulting to null, so that a writer without
 * them is read with none and a tick without them is written with nulls.
 */
export const TICK_AVRO_SCHEMA = {
  type: 'record',
  name: 'Tick',
  namespace: 'dev.ticklake',
  doc: 'A price tick (docs/messages.md)',
  fields: [
    { name: 'v', type: 'int', default: 1, doc: 'Message version, always 1' },
    { name: 'symbol', type: 'string', doc: 'Instrument' },
    { name: 'exchange', type: 'string', doc: 'Venue that published the tick' },
    { name: 'assetClass', type: { type: 'enum', name: 'AssetClass', symbols: [...ASSET_CLASSES] } },
    { name: 'ts', type: 'long', doc: 'Event time, epoch milliseconds UTC' },
    { name: 'price', type: 'double', doc: 'Trade price, > 0 and finite' },
    { name: 'size', type: 'long', doc: 'Units traded, a positive integer' },
    { name: 'src', type: ['null', 'string'], default: null, doc: 'The sequence seq counts in; default: the exchange' },
    { name: 'seq', type: ['null', 'long'], default: null, doc: "The tick's number in its source's sequence" },
  ],
} as const;

/** The subject ticks of a topic are registered under (Confluent's TopicNameStrategy for values). */
export function tickSubject(topic: string): string {
  return `${topic}-value`;
}

/** A writer of Avro tick messages under one schema id: the framed bytes of a tick. */
export function tickAvroEncoder(schemaId: number): (t: Tick) => Buffer {
  const type = avsc().Type.forSchema(TICK_AVRO_SCHEMA as unknown as avro.Schema, avscOptions());
  let scratch = Buffer.alloc(256);
  return (t: Tick) => {
    writeWireHeader(scratch, schemaId);
    let end = type.encode(t, scratch, WIRE_HEADER_BYTES);
    if (end < 0) {
      // avsc returns minus the size it needs when the buffer is too small
      scratch = Buffer.alloc(-end * 2);
      writeWireHeader(scratch, schemaId);
      end = type.encode(t, scratch, WIRE_HEADER_BYTES);
    }
    return Buffer.from(scratch.subarray(0, end));
  };
}

/** The schema of an id: an avsc type, or why there is none (e.g. `unknown schema id 7 (not in the registry)`). */
export type WriterTypes = (id: number) => avro.Type | string;

/**
 * Reads an Avro tick (`value` in the wire format, its id `schemaId`): the tick, or the reason it is not one. An
 * unknown schema id, bytes that do not decode under the schema, and a decoded value that is not a valid tick are
 * each rejected with a reason that says which.
 */
export function parseTickAvro(value: Buffer, schemaId: number, types: WriterTypes): { tick: Tick } | { error: string } {
  const type = types(schemaId);
  if (typeof type === 'string') return { error: `value: ${type}` };
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(value, WIRE_HEADER_BYTES);
  } catch (e) {
    return { error: `value: not Avro of schema id ${schemaId} (${(e as Error).message})` };
  }
  if (decoded.offset < 0) return { error: `value: not Avro of schema id ${schemaId} (truncated)` };
  if (decoded.offset !== value.length)
    return {
      error: `value: not Avro of schema id ${schemaId} (${value.length - decoded.offset} bytes after the record)`,
    };
  // the identity's null (absent) is JSON's missing field
  const v = decoded.value as Record<string, unknown>;
  if (v !== null && typeof v === 'object') {
    if (v.src === null) delete v.src;
    if (v.seq === null) delete v.seq;
  }
  const problem = tickProblem(v);
  return problem === null ? { tick: v as unknown as Tick } : { error: problem };
}

/**
 * The tick message: the contract between producers and the processor (docs/messages.md).
 *
 * Topic `ticks`, key = symbol (UTF-8), value = JSON:
 *   {"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":1767225600123,"price":187.42,"size":300}
 * Extra fields are allowed and ignored downstream. Two optional fields give a tick its identity: `seq`, its number
 * in its source's sequence, and `src`, the name of that sequence (default: the exchange); the processor counts a
 * (src, symbol, seq) once, so a producer that re-sends after a crash double-counts nothing (docs/messages.md).
 *
 * One schema (TypeBox, i.e. JSON Schema) serves both sides: producers validate before sending, the processor on
 * receipt. `checkTick` is the compiled check plus the one rule JSON Schema cannot say: JSON like `1e999` parses to
 * Infinity, so numbers must be finite.
 */
import { createRequire } from 'node:module';
import type { Static, TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { ASSET_CLASSES } from './asset-classes.js';
import { scanTick } from './tick-scan.js';

export { ASSET_CLASSES };

// TypeBox is loaded on first need: the processor's consumer thread parses nearly every message with `scanTick`
// alone, and loading TypeBox costs that thread 0.2-0.3 s at start (bench/HISTORY.md, fourth round)
const require = createRequire(import.meta.url);

function buildTickSchema() {
  const { Type } = require('@sinclair/typebox') as typeof import('@sinclair/typebox');
  return Type.Object(
    {
      v: Type.Literal(1, { description: 'Message version' }),
      symbol: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._:/^-]+$', description: 'Instrument' }),
      exchange: Type.String({ minLength: 1, maxLength: 32, description: 'Venue that published the tick' }),
      assetClass: Type.Union(
        ASSET_CLASSES.map((c) => Type.Literal(c)),
        { description: 'Asset class' },
      ),
      ts: Type.Integer({ minimum: 0, description: 'Event time, epoch milliseconds UTC' }),
      price: Type.Number({ exclusiveMinimum: 0, description: 'Trade price, > 0 and finite' }),
      size: Type.Number({ exclusiveMinimum: 0, description: 'Units traded, > 0 and finite (fractions: 0.015 BTC)' }),
      src: Type.Optional(
        Type.String({ minLength: 1, maxLength: 64, description: 'The sequence seq counts in; default: the exchange' }),
      ),
      seq: Type.Optional(
        Type.Integer({ minimum: 1, description: "The tick's number in its source's sequence, per symbol increasing" }),
      ),
    },
    { additionalProperties: true, $id: 'https://ticklake.dev/schemas/tick-v1.json', title: 'Tick' },
  );
}

let schema: ReturnType<typeof buildTickSchema> | undefined;

/** The tick's JSON Schema (TypeBox), built on first call. */
export function tickSchema(): ReturnType<typeof buildTickSchema> {
  schema ??= buildTickSchema();
  return schema;
}

export type Tick = Static<ReturnType<typeof buildTickSchema>>;

let compiled: TypeCheck<TSchema> | undefined;

function checker(): TypeCheck<TSchema> {
  if (!compiled) {
    const { TypeCompiler } = require('@sinclair/typebox/compiler') as typeof import('@sinclair/typebox/compiler');
    compiled = TypeCompiler.Compile(tickSchema());
  }
  return compiled;
}

/** Returns null when `value` is a valid tick, else a reason that names the field. */
export function tickProblem(value: unknown): string | null {
  const compiled = checker();
  if (compiled.Check(value)) {
    const t = value as Tick;
    if (!Number.isFinite(t.price)) return 'price: must be finite';
    if (!Number.isSafeInteger(t.ts)) return 'ts: must be a safe integer';
    if (!Number.isFinite(t.size)) return 'size: must be finite';
    if (t.seq !== undefined && !Number.isSafeInteger(t.seq)) return 'seq: must be a safe integer';
    return null;
  }
  const first = compiled.Errors(value).First();
  if (!first) return 'invalid tick';
  const field = first.path.replace(/^\//, '') || '(message)';
  return `${field}: ${first.message}`;
}

/**
 * Parses a message value (bytes or text). Returns the tick, or the reason it is not one.
 *
 * Bytes go through `scanTick` first (tick-scan.ts), a scanner for plain tick JSON that returns exactly what the
 * general path below would; anything it does not take (extra fields, escapes, exponents, any invalid input) is
 * decided by the general path. A tick that carries extra fields is therefore returned with them, as parsed.
 */
export function parseTick(value: Buffer | string | null): { tick: Tick } | { error: string } {
  if (value !== null && typeof value !== 'string') {
    const tick = scanTick(value);
    if (tick !== null) return { tick };
  }
  return parseTickSlow(value);
}

/** The general path of `parseTick`: `JSON.parse` and the schema (and the reference the fast path is tested against). */
export function parseTickSlow(value: Buffer | string | null): { tick: Tick } | { error: string } {
  if (value === null) return { error: 'value: missing (tombstone)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (e) {
    return { error: `value: not JSON (${(e as Error).message})` };
  }
  const problem = tickProblem(parsed);
  return problem === null ? { tick: parsed as Tick } : { error: problem };
}

/**
 * Canonical JSON encoding, fields in contract order (producers use it so that runs are byte-identical): `src`, when
 * given, before `ts` (it is the same for every tick of a symbol, so the processor's scanner remembers it with the
 * fields before it), `seq` last.
 */
export function encodeTick(t: Tick): string {
  const src = t.src === undefined ? '' : `"src":${JSON.stringify(t.src)},`;
  const seq = t.seq === undefined ? '' : `,"seq":${t.seq}`;
  return `{"v":1,"symbol":${JSON.stringify(t.symbol)},"exchange":${JSON.stringify(t.exchange)},"assetClass":"${t.assetClass}",${src}"ts":${t.ts},"price":${t.price},"size":${t.size}${seq}}`;
}

/**
 * The universe of simulated instruments: exchanges, each owning a disjoint set of symbols, each symbol with an asset
 * class, a start price, a price model and a trade-size distribution. Read from a user-editable JSON file
 * (`producers/universe.json`); per-class defaults (`classDefaults`) are merged under every symbol's own fields.
 * docs/messages.md documents every field and its units.
 *
 * Loading validates the file against a JSON Schema and then the rules a schema cannot say (disjoint symbols,
 * parameters the chosen model needs); errors name the file and the field, e.g.
 * `producers/universe.json: exchanges[1].symbols[3].startPrice: must be > 0`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ASSET_CLASSES, type Tick } from '../contracts/tick.js';
import { tlError } from '../core/errors.js';
import { CALENDARS, type Calendar } from './calendar.js';

export const DEFAULT_UNIVERSE_FILE = fileURLToPath(new URL('./universe.json', import.meta.url));

export const MODELS = ['gbm', 'ou', 'jump'] as const;
export type ModelKind = (typeof MODELS)[number];
export type AssetClass = Tick['assetClass'];

/** Trade sizes: log-normal around `median` with log-sd `sigma`, rounded to a positive multiple of `lot`. */
export interface SizeParams {
  median: number;
  sigma: number;
  lot: number;
}

/** One instrument with every parameter resolved (class defaults merged under the symbol's own fields). */
export interface SymbolSpec {
  symbol: string;
  exchange: string;
  assetClass: AssetClass;
  /** Price at the first step. */
  startPrice: number;
  model: ModelKind;
  /** Annual drift (the reference GBM's mu: expected growth e^mu a year). */
  mu: number;
  /** Annualised volatility (the reference GBM's sigma: log returns of a year have standard deviation sigma). */
  sigma: number;
  /** What a year is for this symbol, and so how long a step is in years (calendar.ts). */
  calendar: Calendar;
  /** OU: reversion speed per year (half-life ln 2 / theta years). */
  theta: number;
  /** OU: long-run price level the log price reverts to (default: startPrice). */
  mean: number;
  /** Jump: expected jumps per year. */
  lambda: number;
  /** Jump: mean of the log jump size. */
  jumpMean: number;
  /** Jump: standard deviation of the log jump size. */
  jumpStd: number;
  /** Published prices are rounded to a multiple of this (never below one step). */
  priceStep: number;
  size: SizeParams;
  /** Probability that the symbol trades at a given step (1 = every step). */
  activity: number;
}

export interface ExchangeSpec {
  id: string;
  name: string;
  symbols: SymbolSpec[];
}

export interface Universe {
  /** The file it was read from (for messages). */
  file: string;
  exchanges: ExchangeSpec[];
}

const Positive = (description: string) => Type.Number({ exclusiveMinimum: 0, description });
const NonNegative = (description: string) => Type.Number({ minimum: 0, description });

const SizeSchema = Type.Object(
  {
    median: Positive('median trade size in units'),
    sigma: NonNegative('log-sd of the trade size'),
    lot: Type.Integer({ minimum: 1, description: 'sizes are multiples of this' }),
  },
  { additionalProperties: false },
);

const paramFields = {
  model: Type.Union(MODELS.map((m) => Type.Literal(m))),
  mu: Type.Number({ description: 'annual drift' }),
  sigma: NonNegative('annualised volatility'),
  calendar: Type.Union(CALENDARS.map((c) => Type.Literal(c))),
  theta: NonNegative('OU reversion speed per year'),
  mean: Positive('OU long-run price'),
  lambda: NonNegative('jump intensity'),
  jumpMean: Type.Number(),
  jumpStd: NonNegative('log jump size sd'),
  priceStep: Positive('price rounding step'),
  size: SizeSchema,
  activity: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
};

const ParamsSchema = Type.Partial(Type.Object(paramFields, { additionalProperties: false }));

const SymbolSchema = Type.Object(
  {
    symbol: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._:/^-]+$' }),
    assetClass: Type.Optional(Type.Union(ASSET_CLASSES.map((c) => Type.Literal(c)))),
    startPrice: Positive('first price'),
    ...Type.Partial(Type.Object(paramFields)).properties,
  },
  { additionalProperties: false },
);

const UniverseFileSchema = Type.Object(
  {
    $comment: Type.Optional(Type.String()),
    classDefaults: Type.Optional(Type.Record(Type.String(), ParamsSchema)),
    exchanges: Type.Array(
      Type.Object(
        {
          id: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._-]+$' }),
          name: Type.Optional(Type.String()),
          symbols: Type.Array(SymbolSchema, { minItems: 1 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

type UniverseFile = Static<typeof UniverseFileSchema>;
type Params = Static<typeof ParamsSchema>;

const compiled = TypeCompiler.Compile(UniverseFileSchema);

/** `/exchanges/1/symbols/3/startPrice` → `exchanges[1].symbols[3].startPrice`. */
function fieldPath(pointer: string): string {
  return (
    pointer
      .split('/')
      .filter(Boolean)
      .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
      .join('')
      .replace(/^\./, '') || '(file)'
  );
}

function deepestError(schemaErrors: Iterable<{ path: string; message: string; schema: TSchema }>) {
  // Intersect/union errors repeat at several depths; the longest path is the most specific.
  let best: { path: string; message: string } | undefined;
  for (const e of schemaErrors) if (!best || e.path.length > best.path.length) best = e;
  return best;
}

/** Where a universe file still sets `dt` (its parameters were per step before they became annual), or undefined. */
function oldDt(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const d = doc as { classDefaults?: Record<string, object>; exchanges?: { symbols?: object[] }[] };
  for (const [cls, p] of Object.entries(d.classDefaults ?? {})) if (p && 'dt' in p) return `classDefaults.${cls}.dt`;
  for (const [xi, x] of (d.exchanges ?? []).entries())
    for (const [si, s] of (x?.symbols ?? []).entries()) if (s && 'dt' in s) return `exchanges[${xi}].symbols[${si}].dt`;
  return undefined;
}

/** Validates a parsed universe document and resolves every symbol's parameters. */
export function resolveUniverse(doc: unknown, file = 'universe'): Universe {
  const bad = (field: string, reason: string) => tlError('TL_DATA_BAD_FILE', { file, reason: `${field}: ${reason}` });
  const dtAt = oldDt(doc);
  if (dtAt)
    throw bad(
      dtAt,
      'no longer a parameter: mu, sigma, theta and lambda are annual figures and a step lasts the time it covers, ' +
        'in years of the calendar ("calendar": "trading" or "24/7"; docs/messages.md)',
    );
  if (!compiled.Check(doc)) {
    const e = deepestError(compiled.Errors(doc));
    throw bad(fieldPath(e?.path ?? ''), e?.message ?? 'invalid');
  }
  const u = doc as UniverseFile;
  const defaults = u.classDefaults ?? {};
  for (const cls of Object.keys(defaults)) {
    if (!(ASSET_CLASSES as readonly string[]).includes(cls))
      throw bad(`classDefaults.${cls}`, `unknown asset class (use ${ASSET_CLASSES.join(', ')})`);
  }
  const seenExchange = new Set<string>();
  const seenSymbol = new Map<string, string>();
  const exchanges: ExchangeSpec[] = u.exchanges.map((x, xi) => {
    if (seenExchange.has(x.id)) throw bad(`exchanges[${xi}].id`, `duplicate exchange ${x.id}`);
    seenExchange.add(x.id);
    const symbols = x.symbols.map((s, si) => {
      const where = `exchanges[${xi}].symbols[${si}]`;
      const owner = seenSymbol.get(s.symbol);
      if (owner !== undefined) throw bad(`${where}.symbol`, `${s.symbol} is already listed on ${owner}`);
      seenSymbol.set(s.symbol, x.id);
      const assetClass = s.assetClass ?? 'equity';
      const p: Params = { ...defaults[assetClass], ...s };
      const need = (name: keyof Params) => {
        if (p[name] === undefined)
          throw bad(`${where}.${name}`, `missing (and no classDefaults.${assetClass}.${name})`);
        return p[name];
      };
      const model = (need('model') as ModelKind) ?? 'gbm';
      const spec: SymbolSpec = {
        symbol: s.symbol,
        exchange: x.id,
        assetClass,
        startPrice: s.startPrice,
        model,
        mu: need('mu') as number,
        sigma: need('sigma') as number,
        calendar: need('calendar') as Calendar,
        theta: model === 'ou' ? (need('theta') as number) : (p.theta ?? 0),
        mean: p.mean ?? s.startPrice,
        lambda: model === 'jump' ? (need('lambda') as number) : (p.lambda ?? 0),
        jumpMean: model === 'jump' ? (need('jumpMean') as number) : (p.jumpMean ?? 0),
        jumpStd: model === 'jump' ? (need('jumpStd') as number) : (p.jumpStd ?? 0),
        priceStep: need('priceStep') as number,
        size: need('size') as SizeParams,
        activity: p.activity ?? 1,
      };
      if (model === 'ou' && !(spec.theta > 0)) throw bad(`${where}.theta`, 'must be > 0 for the ou model');
      if (spec.startPrice < spec.priceStep)
        throw bad(`${where}.startPrice`, `must be at least priceStep (${spec.priceStep})`);
      return spec;
    });
    return { id: x.id, name: x.name ?? x.id, symbols };
  });
  return { file, exchanges };
}

/** Reads, validates and resolves a universe file (default `producers/universe.json`). */
export async function loadUniverse(file: string = DEFAULT_UNIVERSE_FILE): Promise<Universe> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw tlError('TL_DATA_BAD_FILE', { file, reason: `cannot read (${(e as NodeJS.ErrnoException).code})` }, e);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw tlError('TL_DATA_BAD_FILE', { file, reason: `not JSON (${(e as Error).message})` }, e);
  }
  return resolveUniverse(doc, file);
}

/** Every symbol of the universe, in file order. */
export function universeSymbols(u: Universe): string[] {
  return u.exchanges.flatMap((x) => x.symbols.map((s) => s.symbol));
}

/** The symbols of one exchange (all exchanges when `exchange` is undefined); unknown exchange → config error. */
export function selectSymbols(u: Universe, exchange?: string): SymbolSpec[] {
  if (exchange === undefined) return u.exchanges.flatMap((x) => x.symbols);
  const x = u.exchanges.find((e) => e.id === exchange);
  if (!x) {
    throw tlError('TL_CONFIG_BAD_VALUE', {
      setting: '--exchange',
      value: JSON.stringify(exchange),
      reason: `not in ${u.file}; exchanges are ${u.exchanges.map((e) => e.id).join(', ')}`,
    });
  }
  return x.symbols;
}

/** Symbols whose asset class is equity (the instruments portfolios hold). */
export function equitySymbols(u: Universe): string[] {
  return u.exchanges.flatMap((x) => x.symbols.filter((s) => s.assetClass === 'equity').map((s) => s.symbol));
}

/**
 * Turning one row of a recorded-trades file into a tick: columns are found by header name (case, spaces, `_` and
 * `-` ignored), values parsed and checked against the tick schema. A row that cannot become a tick yields a reason
 * that names the column, never a guess.
 *
 *   ts        ts | timestamp | time | datetime | date      ISO 8601 or epoch (s, ms, µs or ns, by magnitude)
 *   symbol    symbol | ticker | instrument
 *   price     price | close | last                         > 0, finite
 *   size      size | volume | qty | quantity               > 0, fractions allowed (0.015); optional, 1 when absent
 *   exchange  exchange | venue | market                    optional; default --exchange (REPLAY)
 *   assetClass  asset_class | assetclass | class           optional; default --asset-class (equity)
 */

import { ASSET_CLASSES, type Tick, tickProblem } from '../contracts/tick.js';
import { headerKey } from './csv.js';
import { parseEventTime } from './event-time.js';

export type Role = 'ts' | 'symbol' | 'price' | 'size' | 'exchange' | 'assetClass';

export const ROLE_NAMES: Record<Role, string[]> = {
  ts: ['ts', 'timestamp', 'time', 'datetime', 'date'],
  symbol: ['symbol', 'ticker', 'instrument'],
  price: ['price', 'close', 'last'],
  size: ['size', 'volume', 'qty', 'quantity'],
  exchange: ['exchange', 'venue', 'market'],
  assetClass: ['assetclass', 'class'],
};
const REQUIRED: Role[] = ['ts', 'symbol', 'price'];

/** Column index of each role (-1 when absent), with the header name that matched. */
export interface ColumnMap {
  index: Record<Role, number>;
  names: Partial<Record<Role, string>>;
}

/** Maps header names to roles; returns the mapping, or the reason it cannot be used (a required column missing). */
export function mapColumns(header: readonly string[]): ColumnMap | { error: string } {
  const keys = header.map(headerKey);
  const index = {} as Record<Role, number>;
  const names: Partial<Record<Role, string>> = {};
  for (const role of Object.keys(ROLE_NAMES) as Role[]) {
    // the first alias that is present wins (ts before date, price before close)
    let at = -1;
    for (const alias of ROLE_NAMES[role]) {
      at = keys.indexOf(alias);
      if (at >= 0) break;
    }
    index[role] = at;
    if (at >= 0) names[role] = header[at];
  }
  const missing = REQUIRED.filter((r) => index[r] < 0);
  if (missing.length > 0) {
    const wanted = missing.map((r) => `${r} (${ROLE_NAMES[r].join('|')})`).join(', ');
    return { error: `no column for ${wanted}; header is ${header.join(',')}` };
  }
  return { index, names };
}

export interface RowDefaults {
  exchange: string;
  assetClass: string;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses one row's values (strings, null for SQL NULL) to a tick, or the reason it is bad. */
export function parseRow(
  values: readonly (string | null | undefined)[],
  map: ColumnMap,
  defaults: RowDefaults,
): Tick | string {
  const get = (role: Role): string | undefined => {
    const i = map.index[role];
    if (i < 0) return undefined;
    const v = values[i];
    return v === null || v === undefined ? '' : String(v).trim();
  };
  const col = (role: Role) => map.names[role] ?? role;

  const tsText = get('ts')!;
  if (tsText === '') return `${col('ts')}: empty`;
  const ts = parseEventTime(tsText);
  if (ts === null) return `${col('ts')}: ${JSON.stringify(tsText)} is not an ISO date/time or epoch timestamp`;

  const symbol = get('symbol')!;
  if (symbol === '') return `${col('symbol')}: empty`;

  const priceText = get('price')!;
  const price = Number(priceText);
  if (priceText === '' || !Number.isFinite(price))
    return `${col('price')}: ${JSON.stringify(priceText)} is not a number`;
  if (!(price > 0)) return `${col('price')}: ${priceText} must be greater than zero`;

  let size = 1;
  const sizeText = get('size');
  if (sizeText !== undefined) {
    size = Number(sizeText);
    if (!NUMBER.test(sizeText) || !Number.isFinite(size))
      return `${col('size')}: ${JSON.stringify(sizeText)} is not a number`;
    if (!(size > 0)) return `${col('size')}: ${sizeText} must be greater than zero`;
  }

  const exchange = get('exchange') || defaults.exchange;
  const assetClass = (get('assetClass') || defaults.assetClass).toLowerCase();
  if (!(ASSET_CLASSES as readonly string[]).includes(assetClass))
    return `${col('assetClass')}: ${JSON.stringify(assetClass)} is not one of ${ASSET_CLASSES.join(', ')}`;

  const tick = { v: 1, symbol, exchange, assetClass, ts, price, size } as Tick;
  const problem = tickProblem(tick);
  if (problem) return problem.startsWith('symbol') ? `${col('symbol')}: ${JSON.stringify(symbol)} ${problem}` : problem;
  return tick;
}

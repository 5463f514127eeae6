/**
 * Portfolio reference data: investors, their portfolios and the holdings of each portfolio, kept as user-editable CSV
 * seed files (`sql/seeds/investors.csv`, `portfolios.csv`, `holdings.csv`). The processor values portfolios from
 * these; later parts load them into MySQL.
 *
 * Validation is strict and names the file and line: unknown symbol (when the known symbols are given), a quantity
 * that is not a positive number, a duplicate row, a portfolio of an unknown investor, a holding of an unknown
 * portfolio, a missing column.
 */

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tlError } from '../core/errors.js';
import { headerKey, readCsv } from '../producers/csv.js';

export interface Investor {
  investorId: string;
  name: string;
}
export interface Portfolio {
  portfolioId: string;
  investorId: string;
  name: string;
}
export interface Holding {
  portfolioId: string;
  symbol: string;
  quantity: number;
}
export interface PortfolioSeeds {
  investors: Investor[];
  portfolios: Portfolio[];
  holdings: Holding[];
}

export const DEFAULT_SEEDS_DIR = fileURLToPath(new URL('../sql/seeds', import.meta.url));

/** Reads a seed CSV with the given columns (matched by header name, any order); yields the line and the values. */
async function* rows<K extends string>(file: string, columns: readonly K[]) {
  let index: Record<K, number> | undefined;
  let width = 0;
  try {
    for await (const rec of readCsv(file)) {
      if (!index) {
        const keys = rec.fields.map(headerKey);
        const found = {} as Record<K, number>;
        for (const c of columns) {
          const at = keys.indexOf(headerKey(c));
          if (at < 0) throw tlError('TL_DATA_BAD_ROW', { file, line: rec.line, reason: `header has no column ${c}` });
          found[c] = at;
        }
        index = found;
        width = rec.fields.length;
        continue;
      }
      if (rec.fields.length !== width) {
        throw tlError('TL_DATA_BAD_ROW', {
          file,
          line: rec.line,
          reason: `expected ${width} fields like the header, found ${rec.fields.length}`,
        });
      }
      const values = {} as Record<K, string>;
      for (const c of columns) {
        const v = rec.fields[index[c]].trim();
        if (v === '') throw tlError('TL_DATA_BAD_ROW', { file, line: rec.line, reason: `${c} is empty` });
        values[c] = v;
      }
      yield { line: rec.line, values };
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw tlError('TL_DATA_BAD_ROW', { file, line: 0, reason: 'file not found' }, e);
    }
    throw e;
  }
  if (!index) throw tlError('TL_DATA_BAD_ROW', { file, line: 1, reason: 'empty file, expected a header' });
}

/**
 * Reads and validates the three seed files of `dir` (default `<repo>/sql/seeds`). With `knownSymbols`, every
 * holding's symbol must be one of them. Throws TL_DATA_BAD_ROW naming the file and line of the first problem.
 */
export async function loadPortfolioSeeds(
  dir: string = DEFAULT_SEEDS_DIR,
  knownSymbols?: ReadonlySet<string>,
): Promise<PortfolioSeeds> {
  const bad = (file: string, line: number, reason: string) => tlError('TL_DATA_BAD_ROW', { file, line, reason });

  const investors: Investor[] = [];
  const investorLine = new Map<string, number>();
  const investorsFile = join(dir, 'investors.csv');
  for await (const { line, values } of rows(investorsFile, ['investor_id', 'name'] as const)) {
    const prev = investorLine.get(values.investor_id);
    if (prev !== undefined)
      throw bad(investorsFile, line, `duplicate investor ${values.investor_id} (first on line ${prev})`);
    investorLine.set(values.investor_id, line);
    investors.push({ investorId: values.investor_id, name: values.name });
  }

  const portfolios: Portfolio[] = [];
  const portfolioLine = new Map<string, number>();
  const portfoliosFile = join(dir, 'portfolios.csv');
  for await (const { line, values } of rows(portfoliosFile, ['portfolio_id', 'investor_id', 'name'] as const)) {
    const prev = portfolioLine.get(values.portfolio_id);
    if (prev !== undefined)
      throw bad(portfoliosFile, line, `duplicate portfolio ${values.portfolio_id} (first on line ${prev})`);
    if (!investorLine.has(values.investor_id))
      throw bad(portfoliosFile, line, `unknown investor ${values.investor_id} (not in investors.csv)`);
    portfolioLine.set(values.portfolio_id, line);
    portfolios.push({ portfolioId: values.portfolio_id, investorId: values.investor_id, name: values.name });
  }

  const holdings: Holding[] = [];
  const holdingLine = new Map<string, number>();
  const holdingsFile = join(dir, 'holdings.csv');
  for await (const { line, values } of rows(holdingsFile, ['portfolio_id', 'symbol', 'quantity'] as const)) {
    const { portfolio_id: portfolioId, symbol } = values;
    if (!portfolioLine.has(portfolioId))
      throw bad(holdingsFile, line, `unknown portfolio ${portfolioId} (not in portfolios.csv)`);
    if (knownSymbols && !knownSymbols.has(symbol)) throw bad(holdingsFile, line, `unknown symbol ${symbol}`);
    const quantity = Number(values.quantity);
    if (!/^[+]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(values.quantity) || !Number.isFinite(quantity)) {
      throw bad(holdingsFile, line, `quantity ${JSON.stringify(values.quantity)} is not a number`);
    }
    if (!(quantity > 0)) throw bad(holdingsFile, line, `quantity ${values.quantity} must be greater than zero`);
    const key = `${portfolioId}\u0000${symbol}`;
    const prev = holdingLine.get(key);
    if (prev !== undefined)
      throw bad(holdingsFile, line, `duplicate holding of ${symbol} in ${portfolioId} (first on line ${prev})`);
    holdingLine.set(key, line);
    holdings.push({ portfolioId, symbol, quantity });
  }

  return { investors, portfolios, holdings };
}

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../core/errors.js';
import { equitySymbols, loadUniverse } from '../../producers/universe.js';
import { DEFAULT_SEEDS_DIR, loadPortfolioSeeds } from '../portfolio-seeds.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-seeds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const GOOD = {
  'investors.csv': 'investor_id,name\nA,Ann\nB,"Bob, Jr."\n',
  'portfolios.csv': 'portfolio_id,investor_id,name\nPA,A,First\nPB,B,Second\n',
  'holdings.csv': 'portfolio_id,symbol,quantity\nPA,AAPL,10\nPA,MSFT,2.5\nPB,AAPL,7\n',
};

async function seedDir(overrides: Partial<Record<keyof typeof GOOD, string>>): Promise<string> {
  const d = await mkdtemp(join(dir, 's-'));
  for (const [name, text] of Object.entries({ ...GOOD, ...overrides })) await writeFile(join(d, name), text);
  return d;
}

describe('default seed files', () => {
  it('hold Inv1..Inv3, P11..P32 owned by Invx, each with 5 to 12 of the 24 equities', async () => {
    const u = await loadUniverse();
    const seeds = await loadPortfolioSeeds(undefined, new Set(equitySymbols(u)));
    expect(seeds.investors.map((i) => i.investorId)).toEqual(['Inv1', 'Inv2', 'Inv3']);
    expect(seeds.portfolios.map((p) => [p.portfolioId, p.investorId])).toEqual([
      ['P11', 'Inv1'],
      ['P12', 'Inv1'],
      ['P21', 'Inv2'],
      ['P22', 'Inv2'],
      ['P31', 'Inv3'],
      ['P32', 'Inv3'],
    ]);
    // count holdings per portfolio straight from the file text, independently of the loader
    const text = await readFile(join(DEFAULT_SEEDS_DIR, 'holdings.csv'), 'utf8');
    const counts = new Map<string, number>();
    for (const l of text.trim().split('\n').slice(1))
      counts.set(l.split(',')[0], (counts.get(l.split(',')[0]) ?? 0) + 1);
    for (const [, n] of counts) expect(n >= 5 && n <= 12).toBe(true);
    expect(seeds.holdings).toHaveLength([...counts.values()].reduce((a, b) => a + b, 0));
    expect(seeds.holdings.every((h) => h.quantity > 0 && Number.isInteger(h.quantity))).toBe(true);
  });
});

describe('seed validation names file and line', () => {
  it('loads a valid set, with quoted names and fractional quantities', async () => {
    const seeds = await loadPortfolioSeeds(await seedDir({}));
    expect(seeds).toEqual({
      investors: [
        { investorId: 'A', name: 'Ann' },
        { investorId: 'B', name: 'Bob, Jr.' },
      ],
      portfolios: [
        { portfolioId: 'PA', investorId: 'A', name: 'First' },
        { portfolioId: 'PB', investorId: 'B', name: 'Second' },
      ],
      holdings: [
        { portfolioId: 'PA', symbol: 'AAPL', quantity: 10 },
        { portfolioId: 'PA', symbol: 'MSFT', quantity: 2.5 },
        { portfolioId: 'PB', symbol: 'AAPL', quantity: 7 },
      ],
    });
  });

  it('a missing seed file is named', async () => {
    const d = await mkdtemp(join(dir, 'empty-'));
    const e = await loadPortfolioSeeds(d).catch((x: unknown) => x);
    expect(isTicklakeError(e, 'TL_DATA_BAD_ROW')).toBe(true);
    expect((e as Error).message).toBe(`${join(d, 'investors.csv')}:0: file not found`);
  });

  const H = 'portfolio_id,symbol,quantity\nPA,AAPL,10\n';
  const cases: [string, Partial<Record<keyof typeof GOOD, string>>, string, RegExp][] = [
    ['unknown symbol', { 'holdings.csv': `${H}PA,ZZZZ,5\n` }, 'holdings.csv:3', /unknown symbol ZZZZ/],
    ['negative quantity', { 'holdings.csv': `${H}PB,AAPL,-5\n` }, 'holdings.csv:3', /not a number|greater than zero/],
    ['zero quantity', { 'holdings.csv': `${H}PB,AAPL,0\n` }, 'holdings.csv:3', /must be greater than zero/],
    ['non-numeric quantity', { 'holdings.csv': `${H}PB,AAPL,ten\n` }, 'holdings.csv:3', /"ten" is not a number/],
    [
      'duplicate holding',
      { 'holdings.csv': `${H}\nPA,AAPL,3\n` },
      'holdings.csv:4',
      /duplicate holding of AAPL in PA \(first on line 2\)/,
    ],
    ['unknown portfolio', { 'holdings.csv': `${H}PX,AAPL,3\n` }, 'holdings.csv:3', /unknown portfolio PX/],
    [
      'unknown investor',
      { 'portfolios.csv': 'portfolio_id,investor_id,name\nPA,A,x\nPB,Q,y\n' },
      'portfolios.csv:3',
      /unknown investor Q/,
    ],
    [
      'duplicate investor',
      { 'investors.csv': 'investor_id,name\nA,x\nB,y\nA,z\n' },
      'investors.csv:4',
      /duplicate investor A/,
    ],
    ['missing column', { 'holdings.csv': 'portfolio_id,symbol\nPA,AAPL\n' }, 'holdings.csv:1', /no column quantity/],
    ['short row', { 'holdings.csv': `${H}PB,AAPL\n` }, 'holdings.csv:3', /expected 3 fields/],
  ];
  for (const [name, files, where, reason] of cases) {
    it(name, async () => {
      const d = await seedDir(files);
      const e = await loadPortfolioSeeds(d, new Set(['AAPL', 'MSFT'])).catch((x: unknown) => x);
      expect(isTicklakeError(e, 'TL_DATA_BAD_ROW')).toBe(true);
      expect((e as Error).message).toContain(join(d, where));
      expect((e as Error).message).toMatch(reason);
    });
  }
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../core/errors.js';
import { DEFAULT_UNIVERSE_FILE, equitySymbols, loadUniverse, selectSymbols, universeSymbols } from '../universe.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-universe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadDoc(doc: unknown): Promise<unknown> {
  const file = join(dir, `u${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  try {
    return await loadUniverse(file);
  } catch (e) {
    return e;
  }
}

const minimal = () => ({
  classDefaults: {
    equity: {
      model: 'gbm',
      mu: 0.07,
      sigma: 0.25,
      calendar: 'trading',
      priceStep: 0.01,
      size: { median: 200, sigma: 0.8, lot: 100 },
    },
  },
  exchanges: [{ id: 'X1', symbols: [{ symbol: 'AAA', startPrice: 10 }] }],
});

describe('default universe', () => {
  it('has SE1 and SE2 with 12 disjoint equities each and a third venue with crypto and forex', async () => {
    const u = await loadUniverse();
    const ids = u.exchanges.map((x) => x.id);
    expect(ids).toEqual(['SE1', 'SE2', 'CRX']);
    const se1 = selectSymbols(u, 'SE1');
    const se2 = selectSymbols(u, 'SE2');
    expect(se1).toHaveLength(12);
    expect(se2).toHaveLength(12);
    expect([...se1, ...se2].every((s) => s.assetClass === 'equity')).toBe(true);
    expect(new Set([...se1, ...se2].map((s) => s.symbol)).size).toBe(24);
    expect(equitySymbols(u)).toHaveLength(24);
    const crx = selectSymbols(u, 'CRX').map((s) => [s.symbol, s.assetClass]);
    expect(crx).toEqual([
      ['BTC-USD', 'crypto'],
      ['ETH-USD', 'crypto'],
      ['SOL-USD', 'crypto'],
      ['EUR-USD', 'forex'],
      ['CAD-USD', 'forex'],
    ]);
    expect(universeSymbols(u)).toHaveLength(29);
  });

  it('resolves annual class defaults: equities 7%/25% on the trading calendar, crypto and forex 24/7', async () => {
    const u = await loadUniverse(DEFAULT_UNIVERSE_FILE);
    const aapl = selectSymbols(u, 'SE1').find((s) => s.symbol === 'AAPL')!;
    expect([aapl.mu, aapl.sigma, aapl.calendar]).toEqual([0.07, 0.25, 'trading']);
    const btc = selectSymbols(u, 'CRX').find((s) => s.symbol === 'BTC-USD')!;
    expect([btc.model, btc.sigma, btc.lambda, btc.calendar]).toEqual(['jump', 0.55, 12, '24/7']);
    const eur = selectSymbols(u, 'CRX').find((s) => s.symbol === 'EUR-USD')!;
    expect([eur.model, eur.sigma, eur.theta, eur.calendar]).toEqual(['ou', 0.08, 0.5, '24/7']);
    // the file on disk says so too, independently of the resolver
    const raw = JSON.parse(await readFile(DEFAULT_UNIVERSE_FILE, 'utf8'));
    expect(raw.classDefaults.equity.sigma).toBe(0.25);
    // believable annual figures: volatility between 5% and 100%, drift within ±30%, for every symbol
    for (const s of u.exchanges.flatMap((x) => x.symbols)) {
      expect({ s: s.symbol, ok: s.sigma >= 0.05 && s.sigma <= 1 && Math.abs(s.mu) <= 0.3 }).toEqual({
        s: s.symbol,
        ok: true,
      });
    }
  });

  it('a universe file that still sets dt (per-step parameters) is refused with the reason', async () => {
    const d = minimal() as ReturnType<typeof minimal> & { classDefaults: { equity: Record<string, unknown> } };
    d.classDefaults.equity.dt = '1/252';
    const e = await loadDoc(d);
    expect(String(e)).toMatch(
      /classDefaults\.equity\.dt: no longer a parameter: mu, sigma, theta and lambda are annual/,
    );
  });

  it('rejects an unknown --exchange, naming the known ones', async () => {
    const u = await loadUniverse();
    expect(() => selectSymbols(u, 'NOPE')).toThrow(/SE1, SE2, CRX/);
  });
});

describe('universe validation names the file and the field', () => {
  it('accepts a minimal file and fills OU mean from the start price', async () => {
    const doc = minimal();
    (doc.exchanges[0].symbols as object[]).push({ symbol: 'BBB', startPrice: 20, model: 'ou', theta: 3 });
    const u = (await loadDoc(doc)) as Awaited<ReturnType<typeof loadUniverse>>;
    expect(u.exchanges[0].symbols[1]).toMatchObject({ symbol: 'BBB', model: 'ou', theta: 3, mean: 20 });
  });

  const cases: [string, (d: ReturnType<typeof minimal>) => unknown, RegExp][] = [
    [
      'negative start price',
      (d) => ((d.exchanges[0].symbols[0] as { startPrice: number }).startPrice = -1),
      /exchanges\[0\]\.symbols\[0\]\.startPrice/,
    ],
    ['unknown model', (d) => Object.assign(d.exchanges[0].symbols[0], { model: 'heston' }), /symbols\[0\]\.model/],
    [
      'duplicate symbol across exchanges',
      (d) => d.exchanges.push({ id: 'X2', symbols: [{ symbol: 'AAA', startPrice: 1 }] }),
      /exchanges\[1\]\.symbols\[0\]\.symbol: AAA is already listed on X1/,
    ],
    [
      'duplicate exchange',
      (d) => d.exchanges.push({ id: 'X1', symbols: [{ symbol: 'CCC', startPrice: 1 }] }),
      /exchanges\[1\]\.id: duplicate/,
    ],
    [
      'missing parameter without class default',
      (d) => Object.assign(d.exchanges[0].symbols[0], { assetClass: 'crypto' }),
      /symbols\[0\]\.model: missing \(and no classDefaults\.crypto\.model\)/,
    ],
    ['ou without theta', (d) => Object.assign(d.exchanges[0].symbols[0], { model: 'ou' }), /symbols\[0\]\.theta/],
    ['unknown field', (d) => Object.assign(d.exchanges[0], { colour: 'red' }), /exchanges\[0\]/],
    [
      'bad calendar',
      (d) => Object.assign(d.classDefaults.equity, { calendar: 'daily' }),
      /classDefaults\.equity\.calendar/,
    ],
  ];
  for (const [name, mutate, pattern] of cases) {
    it(name, async () => {
      const doc = minimal();
      mutate(doc);
      const e = await loadDoc(doc);
      expect(isTicklakeError(e, 'TL_DATA_BAD_FILE')).toBe(true);
      expect((e as Error).message).toMatch(/u[a-z0-9]+\.json: /);
      expect((e as Error).message).toMatch(pattern);
    });
  }

  it('reports JSON syntax errors and missing files', async () => {
    expect(((await loadDoc('{"exchanges": [')) as Error).message).toMatch(/not JSON/);
    await expect(loadUniverse(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read \(ENOENT\)/);
  });
});

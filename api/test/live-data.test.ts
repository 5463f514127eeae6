// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are checked field by field
/**
 * The dashboard's data routes over a real socket (api/routes/live-data.ts) on api/test/trader-fixture.ts: the
 * symbol directory (exchange, asset class, price decimals; the bar windows), one symbol's bars over a range, the
 * portfolio list and drill-down, and their errors in the API's one shape. Expected values: plain SQL over the
 * fixture's files and the holdings the fixture wrote.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { buildApp } from '../app.js';
import { END_MS, HOLDINGS, INSTRUMENTS, START_MS, writeSeeds, writeTraderLake } from './trader-fixture.js';

let lake: LakeFixture;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeTraderLake(lake);
  app = await buildApp({ lakeDir: lake.dir, seedsDir: writeSeeds() });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  lake?.close();
});

const get = async (path: string) => {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as any };
};

describe('GET /api/live/symbols', () => {
  it('lists each symbol with its exchange, asset class and price decimals, and the bar windows', async () => {
    const { body } = await get('/api/live/symbols');
    expect(body.symbols).toEqual(
      INSTRUMENTS.map((i) => ({
        symbol: i.symbol,
        exchange: i.exchange,
        assetClass: i.assetClass,
        decimals: i.decimals,
      })).sort((a, b) => a.symbol.localeCompare(b.symbol)),
    );
    expect(body.windows).toEqual(['10s', '1m', '1h', '1d']);
  });
});

describe('GET /api/live/bars', () => {
  it('returns one symbol’s bars of a window over [from, to), oldest first', async () => {
    const from = START_MS + 30 * 60_000;
    const to = START_MS + 45 * 60_000;
    const { body } = await get(`/api/live/bars?symbol=MSFT&window=1m&from=${from}&to=2026-01-05T08:45:00Z`);
    const want = await lake.rows(`
      select epoch_ms(window_start) as t, open, high, low, close, volume from read_parquet('${lake.dir}/bars/window=1m/**/*.parquet')
      where symbol = 'MSFT' and window_start >= epoch_ms(${from}) and window_start < epoch_ms(${to}) order by window_start`);
    expect(body.bars.t).toEqual(want.map((r) => Number(r.t)));
    expect(body.bars.close).toEqual(want.map((r) => r.close));
    expect(body.bars.volume).toEqual(want.map((r) => Number(r.volume)));
    expect(body.truncated).toBe(false);
  });

  it('keeps the newest `limit` bars and says so; without a window, the finest', async () => {
    const { body } = await get('/api/live/bars?symbol=SAP&limit=10');
    expect(body.window).toBe('10s');
    expect(body.truncated).toBe(true);
    expect(body.bars.t).toEqual(Array.from({ length: 10 }, (_, i) => END_MS - (10 - i) * 10_000));
  });

  it('rolls 1h up from 1m bars when the lake has no 1h bars', async () => {
    const lake2 = await LakeFixture.create();
    try {
      await writeTraderLake(lake2);
      const { rmSync } = await import('node:fs');
      rmSync(`${lake2.dir}/bars/window=1h`, { recursive: true });
      const app2 = await buildApp({ lakeDir: lake2.dir });
      try {
        const res = await app2.inject({ url: '/api/live/bars?symbol=AAPL&window=1h' });
        const body = res.json();
        expect(body.source).toBe('bars_1h');
        const want = await lake2.rows(`
          select epoch_ms(time_bucket(interval 1 hour, window_start)) as t, arg_max(close, window_start) as close
          from read_parquet('${lake2.dir}/bars/window=1m/**/*.parquet') where symbol = 'AAPL' group by 1 order by 1`);
        expect(body.bars.t).toEqual(want.map((r) => Number(r.t)));
        expect(body.bars.close).toEqual(want.map((r) => r.close));
        expect((await app2.inject({ url: '/api/live/symbols' })).json().windows).toEqual(['10s', '1m', '1h', '1d']);
      } finally {
        await app2.close();
      }
    } finally {
      lake2.close();
    }
  });

  it('serves a window of milliseconds (--windows 1500ms): listed first, its bars by name', async () => {
    const lake2 = await LakeFixture.create();
    try {
      await writeTraderLake(lake2);
      const { cpSync } = await import('node:fs');
      // the 10s bars under the name of a 1500ms window: what the route returns is the files' rows, whatever the name
      cpSync(`${lake2.dir}/bars/window=10s`, `${lake2.dir}/bars/window=1500ms`, { recursive: true });
      const app2 = await buildApp({ lakeDir: lake2.dir });
      try {
        expect((await app2.inject({ url: '/api/live/symbols' })).json().windows).toEqual([
          '1500ms',
          '10s',
          '1m',
          '1h',
          '1d',
        ]);
        const res = await app2.inject({ url: '/api/live/bars?symbol=AAPL&window=1500ms' });
        expect(res.statusCode).toBe(200);
        const want =
          await lake2.rows(`select epoch_ms(window_start) as t from read_parquet('${lake2.dir}/bars/window=1500ms/**/*.parquet')
          where symbol = 'AAPL' order by 1`);
        expect(res.json().bars.t).toEqual(want.map((r) => Number(r.t)));
      } finally {
        await app2.close();
      }
    } finally {
      lake2.close();
    }
  });

  it('refuses bad parameters, naming them', async () => {
    for (const [q, param] of [
      ['symbol=AAPL&window=5x', 'window'],
      ['symbol=AAPL&from=yesterday', 'from'],
      ['symbol=AAPL&limit=0', 'limit'],
      ['symbol=AAPL&limit=99999999', 'limit'],
    ]) {
      const { status, body } = await get(`/api/live/bars?${q}`);
      expect(status).toBe(400);
      expect(body.error.code).toBe('TL_API_BAD_PARAM');
      expect(body.error.message).toContain(param);
    }
    expect((await get('/api/live/bars')).status).toBe(400); // symbol is required
  });
});

describe('GET /api/live/portfolios', () => {
  it('lists the seed portfolios with their newest NAV', async () => {
    const { body } = await get('/api/live/portfolios');
    const navs = await lake.rows(`
      select portfolio_id, arg_max(nav, as_of) as nav, epoch_ms(max(as_of)) as t
      from read_parquet('${lake.dir}/valuations/**/*.parquet') group by 1 order by 1`);
    expect(body.portfolios).toEqual([
      {
        portfolioId: 'PA',
        name: 'Growth',
        investorId: 'Inv1',
        investor: 'Ada Quant',
        positions: 3,
        nav: navs[0].nav,
        asOf: Number(navs[0].t),
      },
      {
        portfolioId: 'PB',
        name: 'Europe and FX',
        investorId: 'Inv2',
        investor: 'Bo Trader',
        positions: 2,
        nav: navs[1].nav,
        asOf: Number(navs[1].t),
      },
    ]);
  });

  it('values each holding at `to` and its P&L since `from`; the values add up to the NAV', async () => {
    const from = START_MS + 60 * 60_000; // 09:00
    const { body } = await get(`/api/live/portfolios/PB?span=1h`);
    expect(body.from).toBe(from);
    expect(body.to).toBe(END_MS);
    for (const [, symbol, qty] of HOLDINGS.filter(([p]) => p === 'PB')) {
      const [w] = await lake.rows(`
        select arg_max(close, window_start) as price,
               arg_max(close, window_start) filter (where window_end <= epoch_ms(${from})) as ref
        from read_parquet('${lake.dir}/bars/window=10s/**/*.parquet') where symbol = '${symbol}'`);
      const h = body.holdings.find((x: any) => x.symbol === symbol);
      expect(h.quantity).toBe(qty);
      expect(h.price).toBe(w.price);
      expect(h.refPrice).toBe(w.ref);
      expect(h.pnl).toBeCloseTo(qty * ((w.price as number) - (w.ref as number)), 9);
    }
    const [nav] = await lake.rows(`
      select nav from read_parquet('${lake.dir}/valuations/**/*.parquet')
      where portfolio_id = 'PB' and as_of = epoch_ms(${END_MS})`);
    expect(body.totals.value).toBeCloseTo(nav.nav as number, 6);
    expect(body.nav.t.length).toBe(61); // 09:00 … 10:00
  });

  it('404s an unknown portfolio and 400s a bad span, in the one error shape', async () => {
    const missing = await get('/api/live/portfolios/NOPE');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('TL_API_NOT_FOUND');
    const bad = await get('/api/live/portfolios/PA?span=forever');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'TL_API_BAD_PARAM' });
    expect(bad.body.error.message).toContain('span');
  });
});

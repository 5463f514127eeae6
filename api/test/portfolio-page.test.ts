// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser (this tsconfig has no DOM types)
/**
 * The portfolio drill-down (issue 20 item 7) in headless Chromium over api/test/trader-fixture.ts: the list of
 * portfolios from the seed files with their newest NAV, one portfolio's holdings with price, value, weight and
 * per-position P&L over a range, its NAV history, a shorter range, and a new valuation arriving while the page is
 * open. Expected numbers: plain SQL over the fixture's files and the holdings written by the fixture.
 * Screenshots: test-results/portfolio-*.png.
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, openPage, type TestPage } from '../../test/helpers/browser.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { buildApp } from '../app.js';
import {
  addTenSecondBars,
  DAY,
  END_MS,
  HOLDINGS,
  INSTRUMENTS,
  STEPS,
  writeSeeds,
  writeTraderLake,
} from './trader-fixture.js';

let lake: LakeFixture;
let app: FastifyInstance;
let browser: Browser;
let tp: TestPage;
let page: Page;

const fixed = (v: number, d: number) =>
  v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const signed = (v: number) => `${v > 0 ? '+' : ''}${fixed(v, 2)}`;
const decimals = (s: string) => INSTRUMENTS.find((i) => i.symbol === s)!.decimals;

/** Price of a symbol at `to` (close of its newest 10s bar ending by then) and at `from` (the same, else the first open). */
async function prices(symbol: string, fromMs: number, toMs: number): Promise<{ price: number; ref: number }> {
  const [r] = await lake.rows(`
    select arg_max(close, window_start) filter (where window_end <= epoch_ms(${toMs})) as price,
           coalesce(arg_max(close, window_start) filter (where window_end <= epoch_ms(${fromMs})),
                    arg_min(open, window_start) filter (where window_start >= epoch_ms(${fromMs}))) as ref
    from read_parquet('${lake.dir}/bars/window=10s/**/*.parquet') where symbol = '${symbol}'`);
  return { price: r.price as number, ref: r.ref as number };
}

async function navs(portfolio: string, fromMs: number, toMs: number) {
  return lake.rows(`
    select epoch_ms(as_of) / 1000 as x, nav from read_parquet('${lake.dir}/valuations/**/*.parquet')
    where portfolio_id = '${portfolio}' and as_of >= epoch_ms(${fromMs}) and as_of <= epoch_ms(${toMs})
    order by as_of`);
}

/** Checks the holdings table and totals of `portfolio` over [from, to] against SQL. */
async function expectHoldings(portfolio: string, fromMs: number, toMs: number) {
  const held = HOLDINGS.filter(([p]) => p === portfolio);
  const want = [];
  for (const [, symbol, qty] of held) {
    const { price, ref } = await prices(symbol, fromMs, toMs);
    want.push({ symbol, qty, price, ref, value: qty * price, pnl: qty * (price - ref) });
  }
  const total = want.reduce((s, w) => s + w.value, 0);
  const rows = page.locator('.pf-table tbody tr');
  expect(await rows.count()).toBe(want.length);
  for (const [i, w] of want.entries()) {
    const cells = await rows.nth(i).locator('td').allTextContents();
    expect(cells).toEqual([
      w.symbol,
      String(w.qty),
      fixed(w.ref, decimals(w.symbol)),
      fixed(w.price, decimals(w.symbol)),
      fixed(w.value, 2),
      `${((w.value / total) * 100).toFixed(2)}%`,
      signed(w.pnl),
      `${w.pnl > 0 ? '+' : ''}${((w.price / w.ref - 1) * 100).toFixed(2)}%`,
    ]);
  }
  expect(await page.locator('#pf-value').textContent()).toBe(fixed(total, 2));
  expect(await page.locator('#pf-pnl').textContent()).toBe(signed(want.reduce((s, w) => s + w.pnl, 0)));
  // the positions add up to the NAV the processor wrote for `to`
  const [nav] = await navs(portfolio, toMs, toMs);
  expect(total).toBeCloseTo(nav.nav as number, 6);
  // and the NAV history is the valuations over the range
  const history = await navs(portfolio, fromMs, toMs);
  const drawn = await page.evaluate(() => (globalThis as any).ticklake.portfolio.chart.data);
  expect(drawn[0]).toEqual(history.map((r) => Number(r.x)));
  expect(drawn[1]).toEqual(history.map((r) => r.nav));
}

describe.skipIf(!CHROMIUM)('portfolio page', () => {
  beforeAll(async () => {
    lake = await LakeFixture.create();
    await writeTraderLake(lake);
    app = await buildApp({ lakeDir: lake.dir, livePollMs: 250, seedsDir: writeSeeds() });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    tp = await openPage(browser, base);
    page = tp.page;
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    lake?.close();
  });

  it('lists the portfolios with their newest NAV; a NAV row of the live page opens one', async () => {
    await tp.goto('#/portfolio');
    await page.locator('#page-portfolio tbody tr[data-key="PB"]').waitFor();
    const newest = await lake.rows(`
      select portfolio_id, arg_max(nav, as_of) as nav from read_parquet('${lake.dir}/valuations/**/*.parquet')
      group by all order by portfolio_id`);
    for (const n of newest) {
      const cells = await page.locator(`#page-portfolio tbody tr[data-key="${n.portfolio_id}"] td`).allTextContents();
      expect(cells[3]).toBe(String(HOLDINGS.filter(([p]) => p === n.portfolio_id).length));
      expect(cells[4]).toBe(fixed(n.nav as number, 2));
    }
    expect(await page.locator('#page-portfolio tbody tr[data-key="PA"] td').nth(2).textContent()).toBe(
      'Ada Quant (Inv1)',
    );
    await tp.shot('portfolio-list', false);

    await tp.goto('#/live');
    await page.locator('.nav-table tr[data-key="PA"]').click();
    await page.waitForURL(/#\/portfolio\/PA$/);
    await page.locator('.pf-table tbody tr').first().waitFor();
  });

  it('drills into one: holdings, per-position P&L since the start of the day, NAV history', async () => {
    const dayStart = Date.parse(`${DAY}T00:00:00Z`);
    await page.waitForFunction(() => (globalThis as any).ticklake?.portfolio?.chart?.data?.[0]?.length > 0);
    await expectHoldings('PA', dayStart, END_MS);
    await tp.shot('portfolio-detail');
  });

  it('over the last hour: the reference is the price at 09:00', async () => {
    await page.locator('.range-presets button[data-value="1h"]').click();
    await page.waitForURL(/range=1h$/);
    await page.waitForFunction(() => (globalThis as any).ticklake.portfolio.detail.from === 1767603600000);
    expect(END_MS - 3_600_000).toBe(1767603600000);
    await expectHoldings('PA', END_MS - 3_600_000, END_MS);
  });

  it('takes a new valuation while open', async () => {
    // the processor closes minute 10:00–10:01: six more 10s bars and the valuation at 10:01
    await addTenSecondBars(lake, STEPS, STEPS + 6);
    const next = END_MS + 60_000;
    await lake.write(
      'valuations',
      { date: DAY },
      `select h.portfolio_id, case h.portfolio_id when 'PA' then 'Inv1' else 'Inv2' end as investor_id, '1m' as "window",
              epoch_ms(${next}) as as_of, sum(h.quantity * b.close) as nav, null as change, null as change_pct,
              count(*) as positions, 0 as missing_prices
       from (values ${HOLDINGS.map(([p, s, q]) => `('${p}', '${s}', ${q})`).join(', ')}) h(portfolio_id, symbol, quantity)
       join read_parquet('${lake.dir}/bars/window=10s/**/*.parquet') b using (symbol)
       where b.window_end = epoch_ms(${next})
       group by all`,
      'b-next.parquet',
    );
    await page.waitForFunction((t) => (globalThis as any).ticklake.portfolio.detail?.to === t, next, {
      timeout: 20_000,
    });
    await expectHoldings('PA', next - 3_600_000, next);
    expect(tp.errors()).toEqual([]);
  });
});

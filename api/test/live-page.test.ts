// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser (this tsconfig has no DOM types)
/**
 * The live page as a trader uses it (issue 20 item 7), in headless Chromium over a lake written by
 * api/test/trader-fixture.ts: OHLC candlesticks, the bar-window selector and the time-range picker, a bar still
 * forming in a coarser window, zoom and pan that stay put while bars arrive, the symbol search grouped by exchange
 * and asset class, one number of price decimals per instrument, a volume axis with labels, the late-tick count.
 * Every expected number comes from plain SQL over the fixture's files. Screenshots: test-results/live-*.png.
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, chartPixels, launchChromium, openPage, type TestPage } from '../../test/helpers/browser.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { buildApp } from '../app.js';
import {
  addTenSecondBars,
  END_MS,
  INSTRUMENTS,
  LATE_TICKS,
  STEPS,
  writeSeeds,
  writeTraderLake,
} from './trader-fixture.js';

let lake: LakeFixture;
let app: FastifyInstance;
let browser: Browser;
let tp: TestPage;
let page: Page;

const GREEN: [number, number, number] = [22, 163, 74];
const RED: [number, number, number] = [220, 38, 38];
const BLUE: [number, number, number] = [37, 99, 235];

interface SqlBar {
  x: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Bars of the fixture's files, by plain SQL. */
async function sqlBars(window: string, symbol: string, where = 'true'): Promise<SqlBar[]> {
  const rows = await lake.rows(`
    select epoch_ms(window_start) / 1000 as x, open, high, low, close, volume
    from read_parquet('${lake.dir}/bars/window=${window}/**/*.parquet')
    where symbol = '${symbol}' and ${where} order by window_start`);
  return rows.map((r) => ({
    x: Number(r.x),
    open: r.open as number,
    high: r.high as number,
    low: r.low as number,
    close: r.close as number,
    volume: Number(r.volume),
  }));
}

const priceData = (): Promise<any[][]> => page.evaluate(() => (globalThis as any).ticklake.live.charts.price.data);
const waitForBars = (n: number) =>
  page.waitForFunction((k) => (globalThis as any).ticklake?.live?.charts?.price?.data?.[0]?.length === k, n);
const xScale = (chart: string): Promise<{ min: number; max: number }> =>
  page.evaluate((c) => {
    const s = (globalThis as any).ticklake.live.charts[c].scales.x;
    return { min: s.min, max: s.max };
  }, chart);

function expectOhlc(drawn: any[][], want: SqlBar[]) {
  expect(drawn[0]).toEqual(want.map((b) => b.x));
  expect(drawn[1]).toEqual(want.map((b) => b.open));
  expect(drawn[2]).toEqual(want.map((b) => b.high));
  expect(drawn[3]).toEqual(want.map((b) => b.low));
  expect(drawn[4]).toEqual(want.map((b) => b.close));
}

const fixed = (v: number, d: number) =>
  v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

describe.skipIf(!CHROMIUM)('live page: a trader’s basics', () => {
  beforeAll(async () => {
    lake = await LakeFixture.create();
    await writeTraderLake(lake);
    app = await buildApp({ lakeDir: lake.dir, livePollMs: 250, seedsDir: writeSeeds() });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    tp = await openPage(browser, base);
    page = tp.page;
    await tp.goto('#/live');
    await waitForBars(STEPS);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    lake?.close();
  });

  it('draws OHLC candlesticks of the stream window: green up, red down; a close line on request', async () => {
    expect(await page.locator('#sym-title').textContent()).toBe('AAPL');
    const want = await sqlBars('10s', 'AAPL');
    expect(want).toHaveLength(STEPS);
    expectOhlc(await priceData(), want);
    // the fixture has both kinds of candle; both colours are on the canvas, the close line's blue is not
    expect(want.some((b) => b.close > b.open) && want.some((b) => b.close < b.open)).toBe(true);
    expect(await chartPixels(page, 'live.charts.price', GREEN)).toBeGreaterThan(200);
    expect(await chartPixels(page, 'live.charts.price', RED)).toBeGreaterThan(200);
    expect(await chartPixels(page, 'live.charts.price', BLUE)).toBeLessThan(20);
    await tp.shot('live-candles', false);

    await page.locator('#mode-select button[data-value="line"]').click();
    await page.waitForFunction(() => (globalThis as any).ticklake.live.charts.price.data[0].length > 0);
    expect(await chartPixels(page, 'live.charts.price', BLUE)).toBeGreaterThan(200);
    expect(await chartPixels(page, 'live.charts.price', GREEN)).toBeLessThan(20);
    await page.locator('#mode-select button[data-value="candles"]').click();
    await page.waitForFunction(() => (globalThis as any).ticklake.live.charts.price.data[0].length > 0);
    expect(await chartPixels(page, 'live.charts.price', GREEN)).toBeGreaterThan(200);
  });

  it('switches the bar window (10s, 1m, 1h, 1d) and the time range (presets that end at the newest bar, custom)', async () => {
    expect(await page.locator('#window-select button').allTextContents()).toEqual(['10s', '1m', '1h', '1d']);

    await page.locator('#window-select button[data-value="1m"]').click();
    await waitForBars(120);
    expectOhlc(await priceData(), await sqlBars('1m', 'AAPL'));

    // 15m ends at the newest bar's end (10:00): the 1m bars from 09:45
    await page.locator('.range-presets button[data-value="15m"]').click();
    await waitForBars(15);
    expectOhlc(await priceData(), await sqlBars('1m', 'AAPL', `window_start >= epoch_ms(${END_MS - 15 * 60_000})`));
    expect(page.url()).toMatch(/#\/live\?symbol=AAPL&window=1m&range=15m$/);

    await page.locator('.range-presets button[data-value="all"]').click();
    await page.locator('#window-select button[data-value="1h"]').click();
    await waitForBars(2);
    expectOhlc(await priceData(), await sqlBars('1h', 'AAPL'));
    // 1d: five closed days, and today's bar still forming, rolled up from today's 10s bars
    await page.locator('#window-select button[data-value="1d"]').click();
    await waitForBars(6);
    const today = await lake.rows(`
      select epoch_ms(cast(min(window_start) as date)) / 1000 as x, arg_min(open, window_start) as open,
             max(high) as high, min(low) as low, arg_max(close, window_start) as close
      from read_parquet('${lake.dir}/bars/window=10s/**/*.parquet') where symbol = 'AAPL'`);
    const days = [
      ...(await sqlBars('1d', 'AAPL')),
      ...today.map((r) => ({ ...r, x: Number(r.x), volume: 0 }) as SqlBar),
    ];
    expectOhlc(await priceData(), days);

    // a custom range, read as UTC: [08:30, 09:00) of 1m bars
    await page.locator('#window-select button[data-value="1m"]').click();
    await page.locator('.range-presets button[data-value="custom"]').click();
    await page.locator('.range-custom .range-from').fill('2026-01-05 08:30');
    await page.locator('.range-custom .range-to').fill('2026-01-05 09:00');
    await page.locator('.range-custom .range-apply').click();
    await waitForBars(30);
    expectOhlc(
      await priceData(),
      await sqlBars('1m', 'AAPL', `window_start >= '2026-01-05 08:30:00' and window_start < '2026-01-05 09:00:00'`),
    );
    await tp.shot('live-window-range', false);
    await page.locator('.range-presets button[data-value="all"]').click();
    await waitForBars(120);
  });

  it('shows the 1m bar still forming, rolled up from the 10s bars as they arrive', async () => {
    await addTenSecondBars(lake, STEPS, STEPS + 3); // 10:00:00, 10:00:10, 10:00:20
    await waitForBars(121);
    const [formed] = await lake.rows(`
      select epoch_ms(min(window_start)) / 1000 as x, arg_min(open, window_start) as open, max(high) as high,
             min(low) as low, arg_max(close, window_start) as close, sum(volume) as volume
      from read_parquet('${lake.dir}/bars/window=10s/**/*.parquet')
      where symbol = 'AAPL' and window_start >= epoch_ms(${END_MS})`);
    const drawn = await priceData();
    const last = drawn[0].length - 1;
    expect([drawn[0][last], drawn[1][last], drawn[2][last], drawn[3][last], drawn[4][last]]).toEqual([
      Number(formed.x),
      formed.open,
      formed.high,
      formed.low,
      formed.close,
    ]);
    const volume = await page.evaluate(() => {
      const d = (globalThis as any).ticklake.live.charts.volume.data;
      const i = d[0].length - 1;
      return d[1][i] ?? d[2][i];
    });
    expect(volume).toBe(Number(formed.volume));
  });

  it('keeps zoom and pan while bars arrive; a double-click shows everything again', async () => {
    await page.locator('#window-select button[data-value="10s"]').click();
    await waitForBars(STEPS + 3);
    const box = (await page.locator('#chart-price .u-over').boundingBox())!;
    // wheel zoom around the middle of the plot
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction(() => (globalThis as any).ticklake.live.price.group.view !== null);
    const zoomed = await xScale('price');
    const all = await priceData();
    expect(zoomed.max - zoomed.min).toBeLessThan((all[0].at(-1) - all[0][0]) * 0.8);
    expect(await xScale('volume')).toEqual(zoomed);
    expect(await page.locator('#zoom-note').isVisible()).toBe(true);

    // three more 10s bars arrive: the data grow, the view stays
    await addTenSecondBars(lake, STEPS + 3, STEPS + 6);
    await waitForBars(STEPS + 6);
    expect(await xScale('price')).toEqual(zoomed);
    expect(await xScale('volume')).toEqual(zoomed);
    expect(await xScale('volatility')).toEqual(zoomed);

    // drag 120 px to the left: the view moves right (later) by 120 px worth of time
    const perPx = (zoomed.max - zoomed.min) / box.width;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 60, box.y + box.height / 2, { steps: 3 });
    await page.mouse.move(box.x + box.width / 2 - 120, box.y + box.height / 2, { steps: 3 });
    await page.mouse.up();
    const panned = await xScale('price');
    expect(panned.max - panned.min).toBeCloseTo(zoomed.max - zoomed.min, 6);
    expect((panned.min - zoomed.min) / (120 * perPx)).toBeGreaterThan(0.95);
    expect((panned.min - zoomed.min) / (120 * perPx)).toBeLessThan(1.05);
    await addTenSecondBars(lake, STEPS + 6, STEPS + 9);
    await waitForBars(STEPS + 9);
    expect(await xScale('price')).toEqual(panned);
    await tp.shot('live-zoomed', false);

    // Shift+drag zooms to the dragged range
    const x0 = box.x + box.width * 0.25;
    const x1 = box.x + box.width * 0.5;
    const want = { min: panned.min + (x0 - box.x) * perPx, max: panned.min + (x1 - box.x) * perPx };
    await page.keyboard.down('Shift');
    await page.mouse.move(x0, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(x1, box.y + 40, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const selected = await xScale('price');
    expect(Math.abs(selected.min - want.min)).toBeLessThan(3 * perPx);
    expect(Math.abs(selected.max - want.max)).toBeLessThan(3 * perPx);

    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(() => (globalThis as any).ticklake.live.price.group.view === null);
    const reset = await xScale('price');
    const data = await priceData();
    expect(reset.max).toBeGreaterThanOrEqual(data[0].at(-1));
    expect(reset.min).toBeLessThanOrEqual(data[0][0]);
    expect(await page.locator('#zoom-note').isVisible()).toBe(false);
  });

  it('finds symbols grouped by exchange and asset class', async () => {
    const groups = await page
      .locator('#symbols tr.group th')
      .evaluateAll((ths) => ths.map((th: any) => th.firstChild.textContent.trim()));
    const want = [...new Set(INSTRUMENTS.map((i) => `${i.exchange} · ${i.assetClass}`))].sort();
    expect(groups).toEqual(want);
    // each symbol sits under its own exchange and class
    const placement = await page.locator('#symbols tbody tr').evaluateAll((rows) => {
      let group = '';
      const out: Record<string, string> = {};
      for (const r of rows as any[]) {
        if (r.classList.contains('group')) group = `${r.dataset.exchange}|${r.dataset.assetClass}`;
        else out[r.dataset.symbol] = group;
      }
      return out;
    });
    expect(placement).toEqual(Object.fromEntries(INSTRUMENTS.map((i) => [i.symbol, `${i.exchange}|${i.assetClass}`])));

    const search = page.locator('#symbol-search');
    await search.fill('crx');
    expect(
      await page.locator('#symbols tbody tr[data-symbol]').evaluateAll((r) => r.map((x: any) => x.dataset.symbol)),
    ).toEqual(['BTC-USD', 'EUR-USD']);
    await search.fill('forex');
    expect(await page.locator('#symbols tbody tr[data-symbol]').count()).toBe(1);
    await tp.shot('live-search', false);
    await search.press('Enter');
    await page.waitForFunction(
      () => (globalThis as any).document.querySelector('#sym-title').textContent === 'EUR-USD',
    );
    expect(await page.locator('#sym-info').textContent()).toBe('CRX · forex');
    expect(page.url()).toContain('symbol=EUR-USD');
    await search.fill('');
  });

  it('writes every price of an instrument with its own decimals', async () => {
    for (const i of INSTRUMENTS) {
      const [last] = (await sqlBars('10s', i.symbol)).slice(-1);
      const cell = page.locator(`#symbols tr[data-symbol="${i.symbol}"] td`).nth(1);
      expect(await cell.textContent()).toBe(fixed(last.close, i.decimals));
    }
    // EUR-USD's chart: the title's last price and every price-axis label have 5 decimals
    await waitForBars(STEPS + 9);
    const [eur] = (await sqlBars('10s', 'EUR-USD')).slice(-1);
    expect(await page.locator('#sym-quote b').textContent()).toBe(fixed(eur.close, 5));
    const labels: string[] = await page.evaluate(() => (globalThis as any).ticklake.live.charts.price.axes[1]._values);
    expect(labels.length).toBeGreaterThan(1);
    for (const l of labels) expect(l).toMatch(/^\d\.\d{5}$/);
    // anomalies too: 1.0853 is written 1.08530, BTC's 66410.27 as 66,410.27
    const feed = await page.locator('#anomalies li .price').allTextContents();
    expect(feed).toContain('@ 1.08530');
    expect(feed).toContain('@ 66,410.27');
    expect(feed).toContain('@ 414.20');
    await tp.shot('live-decimals', false);
  });

  it('labels the volume axis beyond 0 for every symbol', async () => {
    for (const i of INSTRUMENTS) {
      await page.locator(`#symbols tr[data-symbol="${i.symbol}"]`).click();
      await page.waitForFunction(
        (s) => (globalThis as any).document.querySelector('#sym-title').textContent === s,
        i.symbol,
      );
      await waitForBars(STEPS + 9);
      const axis = await page.evaluate(() => {
        const u = (globalThis as any).ticklake.live.charts.volume;
        return { values: u.axes[1]._values, splits: u.axes[1]._splits, max: u.scales.y.max };
      });
      const volumes = (await sqlBars('10s', i.symbol)).map((b) => b.volume);
      const top = Math.max(...volumes);
      expect(axis.values.filter((v: string) => v !== '').length, `${i.symbol}: ${axis.values}`).toBeGreaterThanOrEqual(
        2,
      );
      expect(axis.values.some((v: string) => v !== '0')).toBe(true);
      expect(axis.max).toBeGreaterThanOrEqual(top); // the tallest bar is inside the axis
      expect(Math.max(...axis.splits)).toBeGreaterThanOrEqual(top / 2); // and labels reach at least half of it
    }
    await tp.shot('live-volume', false);
  });

  it('counts late ticks in the health strip', async () => {
    const [n] = await lake.rows(`select count(*)::int as n from read_parquet('${lake.dir}/late_ticks/**/*.parquet')`);
    expect(n.n).toBe(LATE_TICKS);
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#health [data-key="late"]'));
    expect(await page.locator('#health [data-key="late"] .value').textContent()).toBe(String(LATE_TICKS));
    expect(await page.locator('#health [data-key="late"] .label').textContent()).toBe('late ticks');
    expect(tp.errors()).toEqual([]);
  });
});

describe.skipIf(!CHROMIUM)('live page: pipeline health', () => {
  let lake2: LakeFixture;
  let app2: FastifyInstance;
  let browser2: Browser;

  beforeAll(async () => {
    lake2 = await LakeFixture.create();
    await writeTraderLake(lake2);
    // a processor that counts 100 ticks per batch, a batch every 500 ms: 200 ticks/s. The page samples every
    // 250 ms, so two samples in a row see +100 or +0 ticks (400 or 0 ticks/s from two samples).
    const t0 = Date.now();
    const provider = () => ({
      ticks: 100 * Math.floor((Date.now() - t0) / 500),
      consumerLag: 12,
      late: 7,
      dlq: 0,
      mysql: 'up' as const,
    });
    app2 = await buildApp({ lakeDir: lake2.dir, livePollMs: 250, seedsDir: writeSeeds(), health: provider });
    browser2 = await launchChromium();
  });
  afterAll(async () => {
    await browser2?.close();
    await app2?.close();
    lake2?.close();
  });

  it('shows a steady throughput (over the batches of 20 s, not two samples) and the processor’s late count', async () => {
    const base = await app2.listen({ port: 0, host: '127.0.0.1' });
    const p = await openPage(browser2, base);
    await p.goto('#/live');
    const tile = p.page.locator('#health [data-key="throughput"] .value');
    await tile.waitFor();
    // "measuring…" until the samples span 4 s, then a rate
    expect(await tile.textContent()).toBe('measuring…');
    await p.page.waitForFunction(() =>
      /ticks\/s/.test((globalThis as any).document.querySelector('#health [data-key="throughput"] .value').textContent),
    );
    await p.page.waitForTimeout(3000); // a span of 7 s: one batch more or less is under 10 %, even when polls slow
    const seen: number[] = [];
    for (let i = 0; i < 16; i++) {
      seen.push(Number((await tile.textContent())!.replace(/[^\d]/g, '')));
      await p.page.waitForTimeout(150);
    }
    for (const v of seen) {
      expect(v, `throughput tile over time: ${seen}`).toBeGreaterThanOrEqual(160);
      expect(v, `throughput tile over time: ${seen}`).toBeLessThanOrEqual(240);
    }
    expect(await p.page.locator('#health [data-key="late"] .value').textContent()).toBe('7');
    expect(await p.page.locator('#health [data-key="source"] .value').textContent()).toBe('pipeline');
    await p.shot('live-health', false);
    expect(p.errors()).toEqual([]);
  });
});

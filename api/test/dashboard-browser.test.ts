// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser, and this tsconfig has no DOM types
/**
 * The dashboard in a real browser: Debian's headless Chromium driven by playwright-core against buildApp on a real
 * port over a temp lake. The live page loads with data, its charts are drawn (uPlot series filled, the close line's
 * colour on the canvas), the Bollinger bands match an independent SQL computation, files written while the page is
 * open arrive over SSE; a report runs from its form; the SQL page shows a result, a chart and an error; no console
 * errors. Screenshots go to test-results/ (gitignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, chartPixels, launchChromium, openPage, type TestPage } from '../../test/helpers/browser.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { buildApp } from '../app.js';
import { addAnomalies, addMinutes, writeLiveLake } from './live-fixture.js';

let lake: LakeFixture;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let tp: TestPage;
let page: Page;
// the error cases below get a 4xx from the API on purpose; Chromium logs each failed fetch as an error
const EXPECTED_4XX = /\/api\/(query$|reports\/nav-stats\?from=2026-99-01$)/;

describe.skipIf(!CHROMIUM)('dashboard in Chromium', () => {
  beforeAll(async () => {
    lake = await LakeFixture.create();
    await writeLiveLake(lake);
    app = await buildApp({ lakeDir: lake.dir, livePollMs: 300 });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    tp = await openPage(browser, base, { expectedFailures: EXPECTED_4XX });
    page = tp.page;
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    lake?.close();
  });

  it('shows live bars with Bollinger bands, NAV, anomalies and health, and takes new files over SSE', async () => {
    await page.goto(`${base}/#/live`);
    await page.waitForFunction(() => (globalThis as any).ticklake?.live?.charts?.price?.data?.[0]?.length === 30);
    expect(await page.locator('#symbols tbody tr[data-symbol]').allTextContents()).toHaveLength(2);
    expect(await page.locator('#sym-title').textContent()).toBe('AAA');

    // the bands the page draws = an independent computation over the same Parquet files
    const drawn = await page.evaluate(() => (globalThis as any).ticklake.live.charts.price.data);
    const expected = await lake.rows(`
      select epoch_ms(window_start) / 1000 as x, close, vwap,
             avg(close) over w as mid, stddev_pop(close) over w as sd, count(*) over w as n
      from read_parquet('${lake.dir}/bars/**/*.parquet', hive_partitioning = true)
      where symbol = 'AAA' and "window" = '1m'
      window w as (order by window_start rows between 19 preceding and current row)
      order by window_start`);
    expect(drawn[0]).toEqual(expected.map((r) => Number(r.x)));
    // [x, open, high, low, close, vwap, BB upper, SMA, BB lower]
    expect(drawn[4]).toEqual(expected.map((r) => r.close));
    expect(drawn[5]).toEqual(expected.map((r) => r.vwap));
    expected.forEach((r, i) => {
      const full = Number(r.n) === 20;
      for (const [series, want] of [
        [6, Number(r.mid) + 2 * Number(r.sd)],
        [7, Number(r.mid)],
        [8, Number(r.mid) - 2 * Number(r.sd)],
      ] as const) {
        if (full) expect(drawn[series][i]).toBeCloseTo(want, 9);
        else expect(drawn[series][i]).toBeNull();
      }
    });
    expect(drawn[6].filter((v: number | null) => v !== null)).toHaveLength(11);

    // every chart has data and its canvas shows its colour (the fixture's bars all close above their open: green)
    const lengths = await page.evaluate(() => {
      const c = (globalThis as any).ticklake.live.charts;
      return [c.volume.data[1].length, c.volatility.data[1].length, c.nav.data.length, c.nav.data[0].length];
    });
    expect(lengths).toEqual([30, 30, 3, 30]);
    expect(await chartPixels(page, 'live.charts.price', [22, 163, 74])).toBeGreaterThan(50);
    expect(await chartPixels(page, 'live.charts.volume', [22, 163, 74])).toBeGreaterThan(50);
    expect(await chartPixels(page, 'live.charts.volatility', [220, 38, 38])).toBeGreaterThan(50);
    expect(await chartPixels(page, 'live.charts.nav', [37, 99, 235])).toBeGreaterThan(50);

    expect(await page.locator('#anomalies li').count()).toBe(3);
    const health = await page.locator('#health').textContent();
    expect(health).toMatch(/DLQ \/ rejected\s*2/i);
    expect(health).toMatch(/watermark delay\s*15\.0 s/i);
    expect(health).toMatch(/throughput\s*n\/a/i);
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');

    // the processor writes two more minutes and an anomaly while the page is open
    await addMinutes(lake, 30, 32);
    await addAnomalies(lake, [31], 'b30.parquet');
    await page.waitForFunction(() => (globalThis as any).ticklake.live.charts.price.data[0].length === 32);
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#anomalies li').length === 4);
    await page.waitForFunction(() => (globalThis as any).ticklake.live.charts.nav.data[0].length === 32);
    expect(await page.locator('#anomalies li').first().textContent()).toMatch(/AAA\s*SPIKE\s*CRITICAL/);

    // another symbol from the list
    await page.locator('#symbols tr[data-symbol="BBB"]').click();
    expect(await page.locator('#sym-title').textContent()).toBe('BBB');
    await tp.shot('dashboard-live', false);
  });

  it('runs a report from its form, with download links', async () => {
    await page.goto(`${base}/#/reports/top-movers`);
    await page.locator('#param-day').fill('2026-01-05');
    expect(await page.locator('label[for="param-day"] .req').count()).toBe(1);
    await page.locator('#report-form button[type="submit"]').click();
    await page.locator('#report-result .result-table tbody tr').first().waitFor();
    // top movers of the day, computed here from the first open and the last close of each symbol
    const want = await lake.rows(`
      select symbol, (arg_max(close, window_start) / arg_min(open, window_start) - 1) * 100 as pct
      from read_parquet('${lake.dir}/bars/**/*.parquet', hive_partitioning = true)
      group by symbol order by abs(pct) desc`);
    const rows = page.locator('#report-result .result-table tbody tr');
    expect(await rows.count()).toBe(want.length);
    for (const [i, w] of want.entries()) {
      const cells = rows.nth(i).locator('td');
      expect(await cells.nth(0).textContent()).toBe(w.symbol);
      expect(Number(await cells.nth(3).getAttribute('title'))).toBeCloseTo(Number(w.pct), 9);
    }
    const csv = await page.locator('#report-form a.download').first().getAttribute('href');
    expect(csv).toBe('/api/reports/top-movers?day=2026-01-05&format=csv');
    const res = await fetch(`${base}${csv}`);
    expect((await res.text()).split('\r\n')[0]).toBe('symbol,open,close,change_pct,volume');
    await tp.shot('dashboard-report');

    // a missing required parameter is stopped by the form; a bad one comes back as the API's error
    await page.goto(`${base}/#/reports/nav-stats`);
    await page.locator('#param-from').evaluate((e: any) => {
      e.type = 'text';
      e.value = '2026-99-01';
    });
    await page.locator('#report-form button[type="submit"]').click();
    await page.locator('#report-result .error').waitFor();
    expect(await page.locator('#report-result .error .code').textContent()).toBe('TL_API_BAD_PARAM');
  });

  it('runs SQL with Ctrl+Enter: a result with a chart, then an error inline', async () => {
    await page.goto(`${base}/#/sql`);
    const editor = page.locator('#sql-text');
    await editor.fill(
      `select window_start, symbol, close from bars where "window" = '1m' order by window_start, symbol`,
    );
    await editor.press('Control+Enter');
    await page.locator('#sql-result .result-table').waitFor();
    expect(await page.locator('#sql-result .result-table tbody tr').count()).toBe(64);
    expect(await page.locator('#sql-result .meta').textContent()).toMatch(/^64 rows/);
    // a time series with a symbol column: one line per symbol
    expect(await page.locator('#sql-result .result-chart .u-legend .u-label').allTextContents()).toEqual(
      expect.arrayContaining(['AAA', 'BBB']),
    );
    await tp.shot('dashboard-sql', false);

    await editor.fill('select * from nope');
    await page.locator('#sql-run').click();
    await page.locator('#sql-result .error').waitFor();
    expect(await page.locator('#sql-result .error .code').textContent()).toBe('TL_SQL_QUERY');
    expect(await page.locator('#sql-result .error').textContent()).toMatch(/nope/);
  });

  it('logged no console errors', () => {
    expect(tp.errors()).toEqual([]);
  });
});

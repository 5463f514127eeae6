// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser (this tsconfig has no DOM types)
/**
 * The reports page and the lake's bar windows (docs/reports.md, "Windows"): over a lake made with `--windows 5m,1d`
 * the page shows the lake's windows, marks the reports that need 1m bars (hourly-kpis) as unavailable with the
 * API's reason and no Run, offers the lake's windows for vwap-volatility's `window` parameter, and still runs the
 * reports the 1d bars serve (top-movers). Expected rows: plain DuckDB over the fixture's Parquet files; the
 * expected reason is written here by hand. Screenshots: test-results/reports-windows-*.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserPage, CHROMIUM, launchPage, type TestPage } from '../../test/helpers/browser.js';
import type { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { type ServedLake, serveLake } from '../../test/helpers/served-lake.js';
import { writeWindowLake } from '../../test/helpers/window-lake.js';

const HOURLY_REASON =
  'report hourly-kpis needs bars of window 1m (sql/views/bars_1h.sql:5 through view bars_1h); ' +
  'the lake has bars of 5m, 1d';

let served: ServedLake;
let lake: LakeFixture;
let base: string;

beforeAll(async () => {
  ({ lake, base } = served = await serveLake(writeWindowLake));
});
afterAll(() => served?.close());

/** The result table as {column: title} rows (a cell's title is its unformatted value). */
async function tableRows(page: Page): Promise<Record<string, string>[]> {
  return page.locator('#report-result .result-table').evaluate((t: any) => {
    const names = [...t.querySelectorAll('thead th')].map((th: any) => th.textContent);
    return [...t.querySelectorAll('tbody tr')].map((tr: any) =>
      Object.fromEntries([...tr.querySelectorAll('td')].map((td: any, i: number) => [names[i], td.title])),
    );
  });
}

describe.skipIf(!CHROMIUM)('reports page over a lake with 5m and 1d bars', () => {
  let ui: BrowserPage;
  let tp: TestPage;
  let page: Page;

  beforeAll(async () => {
    ({ tp, page } = ui = await launchPage(base));
  });
  afterAll(() => ui?.close());

  it('shows the lake windows and marks hourly-kpis unavailable with the reason, without a Run', async () => {
    await tp.goto('#/reports/hourly-kpis');
    await page.locator('#report-list li').first().waitFor();
    expect(await page.locator('#report-windows').textContent()).toBe('Lake windows: 5m, 1d');

    const unavailable = await page
      .locator('#report-list li.unavailable')
      .evaluateAll((l) => l.map((x: any) => x.dataset.name));
    expect(unavailable).toContain('hourly-kpis');
    for (const name of ['top-movers', 'daily-closes', 'vwap-volatility', 'nav-monthly'])
      expect(unavailable, name).not.toContain(name);
    expect(await page.locator('#report-list li[data-name="hourly-kpis"] a').getAttribute('title')).toBe(HOURLY_REASON);

    const note = page.locator('#report-unavailable');
    expect(await note.textContent()).toBe(`TL_SQL_WINDOW_MISSING ${HOURLY_REASON}`);
    // the form's parts and nothing else (no stray "null" text between them)
    expect(
      await page.locator('#report-view').evaluate((v: any) => [...v.childNodes].map((n: any) => n.nodeName)),
    ).toEqual(['H2', 'P', 'DIV', 'FORM']);
    expect(await page.locator('#report-form button[type="submit"]').isDisabled()).toBe(true);
    expect(await page.locator('#report-form a.download').first().getAttribute('href')).toBeNull();
    // Enter in a field does not run it either
    await page.locator('#param-symbol').press('Enter');
    expect(await page.locator('#report-result').textContent()).toBe('');
    await tp.shot('reports-windows-unavailable');
    expect(tp.errors()).toEqual([]);
  });

  it('runs top-movers over the 1d bars, rows equal to plain SQL', async () => {
    await tp.goto('#/reports/top-movers');
    await page.locator('#param-day').fill('2026-01-06');
    expect(await page.locator('#report-unavailable').count()).toBe(0);
    expect(await page.locator('#report-view .needs-windows').textContent()).toBe(
      'Reads bars of 1m or 1d; the lake has 5m, 1d.',
    );
    await page.locator('#report-form button[type="submit"]').click();
    await page.locator('#report-result .result-table tbody tr').first().waitFor();
    const want = await lake.rows(`
      select symbol, open, close, (close / open - 1) * 100 as change_pct, volume
      from read_parquet('${lake.dir}/bars/window=1d/**/*.parquet')
      where cast(window_start as date) = date '2026-01-06'
      order by abs(change_pct) desc, symbol`);
    expect(want.map((w) => w.symbol)).toEqual(['AAPL', 'MSFT']); // 11 → 12.1 is 10 %, 380 → 399 is 5 %
    const got = await tableRows(page);
    expect(got.map((g) => g.symbol)).toEqual(want.map((w) => w.symbol));
    for (const [i, w] of want.entries()) {
      for (const col of ['open', 'close', 'change_pct', 'volume'])
        expect(Number(got[i][col]), `${w.symbol} ${col}`).toBeCloseTo(Number(w[col]), 9);
    }
    await tp.shot('reports-windows-top-movers');
    expect(tp.errors()).toEqual([]);
  });

  it('offers the lake windows for the window parameter of vwap-volatility', async () => {
    await tp.goto('#/reports/vwap-volatility');
    const select = page.locator('select#param-window');
    await select.waitFor();
    const options = await select.locator('option').evaluateAll((o) => o.map((x: any) => x.value));
    expect(options).toEqual(['', '5m', '1d']);
    await select.selectOption('1d');
    expect(await page.locator('#report-form a.download').first().getAttribute('href')).toBe(
      '/api/reports/vwap-volatility?window=1d&format=csv',
    );
    await page.locator('#report-form button[type="submit"]').click();
    await page.locator('#report-result .result-table tbody tr').first().waitFor();
    const want = await lake.rows(`
      select symbol, sum(notional) / sum(volume) as vwap
      from read_parquet('${lake.dir}/bars/window=1d/**/*.parquet') group by symbol order by symbol`);
    const got = (await tableRows(page)).sort((a, b) => a.symbol.localeCompare(b.symbol));
    expect(got.map((g) => [g.symbol, g.window])).toEqual(want.map((w) => [w.symbol, '1d']));
    for (const [i, w] of want.entries()) expect(Number(got[i].vwap)).toBeCloseTo(Number(w.vwap), 9);
    await tp.shot('reports-windows-vwap');
    expect(tp.errors()).toEqual([]);
  });
});

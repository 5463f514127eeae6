// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser (this tsconfig has no DOM types)
/**
 * Reports with several values for one parameter (issue 20 item 7: `symbol=AAPL,MSFT` silently returned nothing):
 * a report declares a list parameter (`varchar[]`), the API takes comma-separated values, and the report form takes
 * several values as chips, suggesting the known symbols. Expected rows: plain SQL over the fixture's files.
 * Screenshot: test-results/reports-multi.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserPage, CHROMIUM, launchPage, type TestPage } from '../../test/helpers/browser.js';
import type { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { type ServedLake, serveLake } from '../../test/helpers/served-lake.js';
import { INSTRUMENTS, writeSeeds, writeTraderLake } from './trader-fixture.js';

let served: ServedLake;
let lake: LakeFixture;
let base: string;

beforeAll(async () => {
  ({ lake, base } = served = await serveLake(writeTraderLake, { livePollMs: 250, seedsDir: writeSeeds() }));
});
afterAll(() => served?.close());

/** Hourly rows per symbol, rolled up from the 1m files by plain SQL. */
async function hourly(symbols: string[]) {
  return lake.rows(`
    select symbol, count(distinct time_bucket(interval 1 hour, window_start))::int as hours
    from read_parquet('${lake.dir}/bars/window=1m/**/*.parquet')
    where symbol in (${symbols.map((s) => `'${s}'`).join(', ')}) group by symbol order by symbol`);
}

describe('list parameters over HTTP', () => {
  it('declares symbol as a list and takes comma-separated values', async () => {
    const res = (await (await fetch(`${base}/api/reports/anomalies-daily?symbol=AAPL,BTC-USD`)).json()) as any;
    const want = await lake.rows(`
      select symbol, count(*)::int as n from read_parquet('${lake.dir}/anomalies/**/*.parquet')
      where symbol in ('AAPL', 'BTC-USD') group by symbol order by symbol`);
    expect(want.length).toBe(2);
    const got: Record<string, number> = {};
    for (const r of res.rows) got[r.symbol] = (got[r.symbol] ?? 0) + r.anomalies;
    expect(got).toEqual(Object.fromEntries(want.map((w) => [w.symbol, w.n])));

    const kpiRows = (await (await fetch(`${base}/api/reports/hourly-kpis?symbol=AAPL,MSFT`)).json()) as any;
    const hours = await hourly(['AAPL', 'MSFT']);
    expect(kpiRows.rows.length).toBe(hours.reduce((s, h) => s + (h.hours as number), 0));
    expect(new Set(kpiRows.rows.map((r: any) => r.symbol))).toEqual(new Set(['AAPL', 'MSFT']));

    const catalog = (await (await fetch(`${base}/api/reports`)).json()) as any;
    const kpis = catalog.reports.find((r: any) => r.name === 'hourly-kpis');
    expect(kpis.params.find((p: any) => p.name === 'symbol').type).toBe('varchar[]');

    // one value is a list of one; an empty element is refused, naming the parameter
    const one = (await (await fetch(`${base}/api/reports/hourly-kpis?symbol=SAP`)).json()) as any;
    expect(new Set(one.rows.map((r: any) => r.symbol))).toEqual(new Set(['SAP']));
    const bad = await fetch(`${base}/api/reports/hourly-kpis?symbol=AAPL,,MSFT`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ code: 'TL_API_BAD_PARAM' });
  });
});

describe.skipIf(!CHROMIUM)('report form with several values', () => {
  let ui: BrowserPage;
  let tp: TestPage;
  let page: Page;

  beforeAll(async () => {
    ({ tp, page } = ui = await launchPage(base));
  });
  afterAll(() => ui?.close());

  it('takes several symbols as chips, suggests the known ones, and runs the report for all of them', async () => {
    await tp.goto('#/reports/hourly-kpis');
    const input = page.locator('#param-symbol');
    await input.waitFor();
    // the suggestions are the lake's symbols
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#dl-symbols option').length > 0);
    const suggested = await page.locator('#dl-symbols option').evaluateAll((o) => o.map((x: any) => x.value));
    expect(suggested.sort()).toEqual(INSTRUMENTS.map((i) => i.symbol).sort());

    await input.fill('AAPL');
    await input.press('Enter');
    await input.fill('MSFT,SAP');
    await input.press('Enter');
    expect(await page.locator('.multi .chip').evaluateAll((c) => c.map((x: any) => x.dataset.value))).toEqual([
      'AAPL',
      'MSFT',
      'SAP',
    ]);
    // × removes one
    await page.locator('.multi .chip[data-value="SAP"] button').click();
    const csv = await page.locator('#report-form a.download').first().getAttribute('href');
    expect(csv).toBe('/api/reports/hourly-kpis?symbol=AAPL%2CMSFT&format=csv');

    await page.locator('#report-form button[type="submit"]').click();
    const shown = () => page.locator('#report-result .result-table tbody tr td:first-child').allTextContents();
    // the submitted form's result: the one of a moment before (with SAP, 6 rows) may still be on the page
    await expect.poll(async () => [...new Set(await shown())].sort(), { timeout: 20_000 }).toEqual(['AAPL', 'MSFT']);
    const symbols = await shown();
    const hours = await hourly(['AAPL', 'MSFT']);
    expect(symbols.length).toBe(hours.reduce((s, h) => s + (h.hours as number), 0));
    expect([...new Set(symbols)].sort()).toEqual(['AAPL', 'MSFT']);
    await tp.shot('reports-multi');
    expect(tp.errors()).toEqual([]);
  });
});

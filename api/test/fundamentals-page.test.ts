// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser, and this tsconfig has no DOM types
/**
 * #/fundamentals in headless Chromium over the hand-made filings (test/helpers/filings-fixture.ts, through the
 * broker and `ticklake process`) and the fixture's daily closes: the picker lists the companies and finds one by
 * name; ACME's KPI table shows the hand-worked 2025 Q3 figures, the amended Q2 marked (A), market cap as close ×
 * shares computed here from the fixture prices; the statements of the chosen period; as_of before the amendment
 * shows the original; the charts are drawn; no console errors. Screenshots in test-results/.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';
import { CHROMIUM, chartPixels, launchChromium, openPage, type TestPage } from '../../test/helpers/browser.js';
import {
  fixturePrices,
  writeFixtureBars,
  writeNewQuarter,
  writeOldQuarter,
} from '../../test/helpers/filings-fixture.js';
import { type FilingsLake, startFilingsLake } from '../../test/helpers/filings-lake.js';
import { buildApp } from '../app.js';

let dir: string;
let lake: FilingsLake;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let tp: TestPage;
let page: Page;

describe.skipIf(!CHROMIUM)('#/fundamentals in Chromium', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-fundamentals-page-'));
    lake = await startFilingsLake(dir);
    await lake.load([writeOldQuarter(dir), writeNewQuarter(dir)]);
    await lake.process();
    await writeFixtureBars(lake.lakeDir);
    app = await buildApp({ lakeDir: lake.lakeDir, tables: await declaredLakeTables() });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    tp = await openPage(browser, base, { viewport: { width: 1440, height: 1200 } });
    page = tp.page;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await lake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The KPI table as {kpi label: [cells per period]}, and the period headers. */
  async function kpiTable() {
    const headers = await page.locator('#fund-kpi-table thead th').allTextContents();
    const rows = await page
      .locator('#fund-kpi-table tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    return { headers, byLabel: Object.fromEntries(rows.map((r) => [r[0], r.slice(1)])) };
  }

  it('the picker lists and finds companies; a click opens the company', async () => {
    await page.goto(`${base}/#/fundamentals`);
    await page.waitForFunction(() => (globalThis as any).ticklake?.fundamentals?.companies?.length === 2);
    expect(await page.locator('#fund-companies tbody tr td:nth-child(2)').allTextContents()).toEqual([
      'ACME CORP',
      'GLOBEX INC',
    ]);
    await page.fill('#fund-search', 'acm');
    await page.waitForFunction(() => (globalThis as any).ticklake.fundamentals.companies.length === 1);
    await page.locator('#fund-companies tbody tr').first().click();
    await page.waitForFunction(() => (globalThis as any).location.hash === '#/fundamentals/ACME');
  });

  it("ACME's KPIs, valuation and statements equal the hand-worked numbers", async () => {
    await page.goto(`${base}/#/fundamentals/ACME?index=IDX`);
    await page.waitForSelector('#fund-kpi-table');
    await page.waitForSelector('#fund-income table');
    const { headers, byLabel } = await kpiTable();
    expect(headers).toEqual(['KPI', '2024 Q3', '2024 FY', '2025 Q1', '2025 Q2 (A)', '2025 Q3']);
    const q3 = (label: string) => byLabel[label][4];
    expect(q3('Revenue')).toBe('1,300');
    expect(q3('Gross margin')).toBe('40.0%'); // 520 / 1300
    expect(q3('Current ratio')).toBe('2.00'); // 1800 / 900
    expect(q3('Debt / equity')).toBe('0.48'); // 1200 / 2500
    expect(q3('Free cash flow (TTM)')).toBe('840'); // (300+250+350+300) − (100+80+90+90)
    expect(q3('Return on equity')).toBe('28.0%'); // 700 / 2500
    const close = [...fixturePrices()].reverse().find((p) => p.day <= '2025-09-30')!.acme;
    expect(q3('Market cap')).toBe(Math.round(close * 210).toLocaleString('en-US'));
    expect(q3('WACC')).toMatch(/^\d+\.\d%$/);
    expect(byLabel.Revenue[3]).toBe('1,150'); // the amendment's figure
    // statements of the newest period
    const income = await page
      .locator('#fund-income tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(income.find((r) => r[0] === 'Revenue')).toEqual(['Revenue', '1,300', '3,450', '4,550', 'Revenues']);
    expect(income.find((r) => r[0] === 'Gross profit')?.[4]).toBe('GrossProfit');
    const cash = await page
      .locator('#fund-cashflow tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(cash.find((r) => r[0] === 'Operating cash flow')).toEqual(['Operating cash flow', '900', '300', '1,200']);
    // every series is drawn in its colour (lib/charts.js COLORS: blue, orange, green, purple)
    const [blue, orange, green, purple]: [number, number, number][] = [
      [37, 99, 235],
      [234, 88, 12],
      [22, 163, 74],
      [147, 51, 234],
    ];
    for (const [chart, colours] of [
      ['fundamentals.charts.trend', [blue, orange, green, purple]],
      ['fundamentals.charts.price', [blue]],
      ['fundamentals.charts.valuation', [orange, green]],
    ] as const) {
      for (const rgb of colours)
        expect([chart, rgb, (await chartPixels(page, chart, rgb)) > 30]).toEqual([chart, rgb, true]);
    }
    await tp.shot('fundamentals-acme');
    // nothing sticks out of the window sideways
    const [scroll, client] = await page.evaluate(() => {
      const d = (globalThis as any).document.documentElement;
      return [d.scrollWidth, d.clientWidth];
    });
    expect(scroll).toBeLessThanOrEqual(client);
    // another period's statements
    await page.selectOption('#fund-period', { label: '2025 Q2 (A)' });
    await page.waitForFunction(() =>
      [...(globalThis as any).document.querySelectorAll('#fund-balance tbody tr')].some((tr: any) =>
        tr.textContent?.includes('3,400'),
      ),
    );
  });

  it('as_of before the amendment shows the original 10-Q', async () => {
    await page.goto(`${base}/#/fundamentals/ACME?as_of=2025-08-01&index=IDX`);
    await page.waitForFunction(() =>
      (globalThis as any).document.querySelector('#fund-title')?.textContent?.includes('2025-08-01'),
    );
    await page.waitForSelector('#fund-kpi-table');
    const { headers, byLabel } = await kpiTable();
    expect(headers).toEqual(['KPI', '2024 Q3', '2024 FY', '2025 Q1', '2025 Q2']);
    expect(byLabel.Revenue[3]).toBe('1,200');
    await page.waitForSelector('#fund-income table');
    await tp.shot('fundamentals-acme-as-of');
    expect(tp.errors()).toEqual([]);
  });
});

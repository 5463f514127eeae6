// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser (this tsconfig has no DOM types)
/**
 * The SQL page (issue 20 item 7): a schema browser (every lake table and derived view with its columns; a click
 * inserts the name at the cursor, quoted when it must be), and result charts that do not put BTC (67,000) and an
 * equity (190) on one axis: % change since each series' first value by default, an axis per series on request.
 * Expected values: the lake contract (lake/tables.ts), the view files, and plain SQL over the fixture's files.
 * Screenshots: test-results/sql-*.png.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE_TABLES } from '../../lake/tables.js';
import { CHROMIUM, launchChromium, openPage, type TestPage } from '../../test/helpers/browser.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { buildApp } from '../app.js';
import { writeSeeds, writeTraderLake } from './trader-fixture.js';

let lake: LakeFixture;
let app: FastifyInstance;
let browser: Browser;
let tp: TestPage;
let page: Page;

const VIEWS_DIR = join(import.meta.dirname, '../../sql/views');

describe.skipIf(!CHROMIUM)('SQL page', () => {
  beforeAll(async () => {
    lake = await LakeFixture.create();
    await writeTraderLake(lake);
    app = await buildApp({ lakeDir: lake.dir, livePollMs: 250, seedsDir: writeSeeds() });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    tp = await openPage(browser, base);
    page = tp.page;
    await tp.goto('#/sql');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    lake?.close();
  });

  it('browses the schema and inserts names at the cursor', async () => {
    await page.locator('#schema details').first().waitFor();
    const listed = await page
      .locator('#schema details')
      .evaluateAll((d) => d.map((x: any) => `${x.dataset.kind}:${x.dataset.table}`));
    const tables = LAKE_TABLES.map((t) => `table:${t.name}`);
    const derived = readdirSync(VIEWS_DIR)
      .map((f) => f.replace(/\.sql$/, ''))
      .filter((v) => !LAKE_TABLES.some((t) => t.name === v))
      .map((v) => `view:${v}`);
    expect(listed.sort()).toEqual([...tables, ...derived].sort());
    // a table's columns: the stored ones and its partition columns
    await page.locator('#schema details[data-table="bars"] summary').click();
    const columns = await page.locator('#schema details[data-table="bars"] .columns .name').allTextContents();
    const bars = LAKE_TABLES.find((t) => t.name === 'bars')!;
    expect(columns.sort()).toEqual([...bars.columns, ...bars.partitions].map((c) => c.name).sort());
    await tp.shot('sql-schema', false);

    const editor = page.locator('#sql-text');
    await editor.fill('select count(*) as n from ');
    await editor.press('End');
    await page.locator('#schema details[data-table="bars"] summary .name').click();
    await page.keyboard.type(' where ');
    await page.locator('#schema details[data-table="bars"] .columns .name', { hasText: /^window$/ }).click();
    await page.keyboard.type(" = '1h'");
    expect(await editor.inputValue()).toBe(`select count(*) as n from bars where "window" = '1h'`);
    await editor.press('Control+Enter');
    await page.locator('#sql-result .result-table').waitFor();
    const [want] = await lake.rows(
      `select count(*)::int as n from read_parquet('${lake.dir}/bars/window=1h/**/*.parquet')`,
    );
    expect(await page.locator('#sql-result .result-table tbody td').first().textContent()).toBe(String(want.n));
  });

  it('does not draw BTC and an equity on one axis: % change, or an axis each', async () => {
    const sql = `select window_start, symbol, close from bars where "window" = '1m' and symbol in ('AAPL', 'BTC-USD')
order by window_start, symbol`;
    await page.locator('#sql-text').fill(sql);
    await page.locator('#sql-run').click();
    await page.locator('#sql-result .result-chart canvas').waitFor();
    expect(await page.locator('#sql-result .scale-mode').inputValue()).toBe('pct');
    const rows = await lake.rows(`
      select symbol, close from read_parquet('${lake.dir}/bars/window=1m/**/*.parquet')
      where symbol in ('AAPL', 'BTC-USD') order by window_start`);
    const pct = (s: string) => {
      const closes = rows.filter((r) => r.symbol === s).map((r) => r.close as number);
      return closes.map((c) => (c / closes[0] - 1) * 100);
    };
    const drawn = await page.evaluate(() => (globalThis as any).ticklake.sql.result.chart.data);
    const labels = await page.locator('#sql-result .u-legend .u-label').allTextContents();
    const aapl = labels.indexOf('AAPL');
    const btc = labels.indexOf('BTC-USD');
    expect(aapl).toBeGreaterThan(0);
    expect(btc).toBeGreaterThan(0);
    for (const [series, symbol] of [
      [aapl, 'AAPL'],
      [btc, 'BTC-USD'],
    ] as const) {
      const want = pct(symbol);
      expect(drawn[series]).toHaveLength(want.length);
      for (const [i, v] of (drawn[series] as number[]).entries()) expect(v).toBeCloseTo(want[i], 9);
    }
    // both lines use the height of the plot: the y range is that of the percentages, not 0 … 67,000
    const y = await page.evaluate(() => (globalThis as any).ticklake.sql.result.chart.scales.y);
    expect(y.max - y.min).toBeLessThan(10);
    await tp.shot('sql-normalised', false);

    await page.locator('#sql-result .scale-mode').selectOption('own');
    const scales = await page.evaluate(() => {
      const s = (globalThis as any).ticklake.sql.result.chart.scales;
      return { y0: { min: s.y0.min, max: s.y0.max }, y1: { min: s.y1.min, max: s.y1.max } };
    });
    const range = (s: string) => {
      const c = rows.filter((r) => r.symbol === s).map((r) => r.close as number);
      return [Math.min(...c), Math.max(...c)];
    };
    const [a0, a1] = range('AAPL');
    const [b0, b1] = range('BTC-USD');
    // each axis spans its own series (with uPlot's padding), far from the other's magnitude
    expect(scales.y0.min).toBeLessThanOrEqual(a0);
    expect(scales.y0.max).toBeGreaterThanOrEqual(a1);
    expect(scales.y0.max).toBeLessThan(b0 / 10);
    expect(scales.y1.min).toBeLessThanOrEqual(b0);
    expect(scales.y1.max).toBeGreaterThanOrEqual(b1);
    expect(scales.y1.min).toBeGreaterThan(a1 * 10);
    await tp.shot('sql-own-axes', false);
    expect(tp.errors()).toEqual([]);
  });
});

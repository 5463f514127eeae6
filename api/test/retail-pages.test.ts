// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser, and this tsconfig has no DOM types
/**
 * #/upload and #/retail in headless Chromium with the real pipeline behind them: the embedded broker, the keyed-table
 * engine running over the retail sources into a lake, and the API over that lake with its own upload token.
 *
 * The accountant's page: a generated workbook with two planted errors shows both with their Sheet!Cell and rule and
 * cannot be published; the good workbook's dry run shows the rows per sheet and no error; Publish publishes it.
 * The administrator's page, open on #/retail since before the upload (then showing "no sales yet") and never
 * reloaded, then shows it: the top products' bars, the stock at risk, the loyalty tiers and revenue per month equal
 * the figures test/helpers/retail_figures.py computes from the workbook file with Debian's openpyxl (another
 * reader, the rules written again in Python). A second upload (a large sale) appears there too. No console errors.
 * Screenshots: test-results/upload-page.png, upload-page-errors.png, retail-page.png.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';
import { type RunningTablesProcessor, startTablesProcessor } from '../../processors/tables/processor.js';
import { generateRetail, PLANTED } from '../../producers/workbook/retail-generator.js';
import { type WriteSheet, writeXlsx } from '../../producers/workbook/xlsx-writer.js';
import { useBroker } from '../../test/helpers/broker.js';
import { CHROMIUM, launchChromium, openPage, type TestPage } from '../../test/helpers/browser.js';
import { pythonWritersAvailable } from '../../test/helpers/python-workbook.js';
import { buildApp } from '../app.js';

const FIGURES = join(import.meta.dirname, '../../test/helpers/retail_figures.py');
const TOKEN = 'accountant-secret';
const AS_OF = new Date().toISOString().slice(0, 10);

interface Figures {
  rows: { products: number; clients: number; lines: number };
  top: [string, number][];
  risk: [string, string, number][];
  tiers: Record<string, number>;
  eligible: [string, number][];
  months: [string, number][];
}

/** The figures of a workbook file, computed by Python/openpyxl (test/helpers/retail_figures.py). */
function figures(file: string): Figures {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-W', 'ignore', FIGURES, file, AS_OF], { encoding: 'utf8' }));
}

describe.skipIf(!CHROMIUM || !pythonWritersAvailable())('#/upload and #/retail in Chromium', () => {
  let dir: string;
  let broker: RunningBroker;
  let proc: RunningTablesProcessor | undefined;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  /** The accountant's tab. */
  let accountant: TestPage;
  let page: Page;
  /** The administrator's tab. */
  let administrator: TestPage;
  let admin: Page;
  let sheets: WriteSheet[];

  const embedded = useBroker('ticklake-retail-pages');
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    const lakeDir = join(dir, 'lake');
    proc = await startTablesProcessor({
      brokers: [broker.address],
      lakeDir,
      stateDir: join(dir, 'state'),
      sources: ['products', 'crm_clients', 'invoice_lines', 'retail_as_of'],
      foldEveryMs: 0,
      lingerMs: 100,
    });
    app = await buildApp({
      lakeDir,
      tables: await declaredLakeTables([]),
      uploads: { brokers: [broker.address], token: TOKEN, maxBytes: 8 * 2 ** 20, maxUnpacked: 64 * 2 ** 20 },
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    accountant = await openPage(browser, base, { viewport: { width: 1440, height: 1000 } });
    administrator = await openPage(browser, base, { viewport: { width: 1440, height: 1000 } });
    page = accountant.page;
    admin = administrator.page;
    // the administrator's tab is open before anything is uploaded, and never reloaded
    await administrator.goto('#/retail');
    await admin.waitForSelector('#retail-top p.muted');
    expect(await admin.locator('#retail-top').textContent()).toContain('no sales yet');
    expect(await admin.locator('#retail-error').textContent()).toBe('');
    sheets = generateRetail({ seed: 'pages', lines: 300, asOf: AS_OF });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await proc?.close();
  });

  const sheet = (s: WriteSheet[], name: string) => s.find((x) => x.name === name) as WriteSheet;

  it('#/upload: the dry run shows every planted error by cell and refuses to publish, then publishes a good workbook', async () => {
    // two planted errors: a product's buy price that is not a number, an invoice line's negative quantity
    const bad = structuredClone(sheets);
    const products = sheet(bad, 'Products').rows;
    const pRow = products.findIndex((r) => r[0] === PLANTED.dead);
    products[pRow][4] = 'twelve';
    const invoices = sheet(bad, 'Invoices').rows;
    invoices[12][5] = -3;
    const badFile = join(dir, 'bad.xlsx');
    await writeFile(badFile, writeXlsx(bad));
    const goodFile = join(dir, 'shop.xlsx');
    await writeFile(goodFile, writeXlsx(sheets));
    const want = figures(goodFile);

    await accountant.goto('#/upload');
    await page.fill('#upload-token', TOKEN);
    await page.setInputFiles('#upload-file', badFile);
    await page.waitForSelector('#upload-errors tbody tr td');
    const cells = await page.locator('#upload-errors tbody tr td:first-child').allTextContents();
    expect(cells.sort()).toEqual([`Invoices!F13`, `Products!E${pRow + 1}`].sort());
    const rules = await page.locator('#upload-errors tbody tr').allTextContents();
    expect(rules.join('\n')).toContain('"-3"');
    expect(rules.join('\n')).toContain('"twelve"');
    expect(await page.locator('#upload-verdict').textContent()).toContain('2 errors in 2 rows');
    expect(await page.locator('#upload-publish').isDisabled()).toBe(true);
    await accountant.shot('upload-page-errors');

    await page.setInputFiles('#upload-file', goodFile);
    await page.waitForFunction(
      () =>
        (globalThis as any).document.querySelector('#upload-verdict')?.textContent === 'No errors: ready to publish.',
    );
    const summary = await page.locator('#upload-report table').first().locator('tbody tr').allTextContents();
    expect(summary).toHaveLength(3);
    const counts = await page
      .locator('#upload-report table')
      .first()
      .locator('tbody tr td:nth-child(4)')
      .allTextContents();
    expect(counts.map(Number)).toEqual([want.rows.products, want.rows.clients, want.rows.lines]);
    expect(await page.locator('#upload-publish').isDisabled()).toBe(false);
    await page.click('#upload-publish');
    await page.waitForSelector('#upload-done');
    expect(await page.locator('#upload-done').textContent()).toContain(
      `${want.rows.clients} clients and ${want.rows.lines} invoice lines`,
    );
    await accountant.shot('upload-page');
  }, 120_000);

  async function shown(tab: Page): Promise<Figures> {
    return tab.evaluate(() => {
      const d = (globalThis as any).document;
      const all = (sel: string) => [...d.querySelectorAll(sel)] as any[];
      const num = (t: string) => Math.round(Number(t.replace(/,/g, '')) * 100);
      return {
        rows: { products: 0, clients: 0, lines: 0 },
        top: all('#retail-top-chart .bar').map((b) => [b.dataset.product, Math.round(Number(b.dataset.profit) * 100)]),
        risk: all('#retail-risk-table tbody tr')
          .filter((tr) => tr.children.length > 1)
          .map((tr) => [tr.children[0].textContent, tr.children[6].textContent, num(tr.children[3].textContent)]),
        tiers: Object.fromEntries(
          all('#retail-tiers .tier').map((t) => [t.dataset.tier, Number(t.querySelector('b').textContent)]),
        ),
        eligible: all('#retail-eligible tbody tr')
          .filter((tr) => tr.children.length > 1)
          .map((tr) => [tr.children[0].textContent, num(tr.children[3].textContent)]),
        months: all('#retail-months .col').map((c) => [c.dataset.month, Math.round(Number(c.dataset.revenue) * 100)]),
      } as any;
    });
  }

  async function waitForFigures(tab: Page, want: Figures): Promise<void> {
    const strip = (f: Figures) => ({ ...f, rows: undefined });
    const deadline = Date.now() + 60_000;
    let last: Figures | undefined;
    while (Date.now() < deadline) {
      last = await shown(tab);
      if (JSON.stringify(strip(last)) === JSON.stringify(strip(want))) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(strip(last as Figures)).toEqual(strip(want));
  }

  it('#/retail shows the upload: top products, stock at risk, tiers and revenue per month, then a new upload live', async () => {
    const want = figures(join(dir, 'shop.xlsx'));
    // the planted cases are there to be seen
    expect(want.risk.map((r) => r[0]).sort()).toEqual([PLANTED.expiring, PLANTED.expired, PLANTED.dead].sort());
    expect(want.eligible.map((e) => e[0])).toContain(PLANTED.bigClient);
    // the administrator's tab, open since before the upload, shows it without a reload
    await waitForFigures(admin, want);
    expect(await admin.locator('#retail-error').textContent()).toBe('');
    await administrator.shot('retail-page');
    // and the accountant's link leads to the same figures
    await page.click('#upload-done a');
    expect(new URL(page.url()).hash).toBe('#/retail');
    await waitForFigures(page, want);

    // a large sale of the dead stock, uploaded while the page is open: it becomes the top product and leaves the
    // loss-risk table, without a reload
    const more = structuredClone(sheets);
    sheet(more, 'Invoices').rows.push([
      'INV-LIVE',
      1,
      new Date(`${AS_OF}T00:00:00Z`),
      'C0003',
      PLANTED.dead,
      10000,
      null,
    ]);
    const moreFile = join(dir, 'more.xlsx');
    const data = writeXlsx(more);
    await writeFile(moreFile, data);
    const next = figures(moreFile);
    expect(next.top[0][0]).toBe(PLANTED.dead);
    const form = new FormData();
    form.append('file', new Blob([data]), 'more.xlsx');
    const res = await fetch(`${base}/api/uploads`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await waitForFigures(admin, next);
    await waitForFigures(page, next);
    expect([...accountant.errors(), ...administrator.errors()]).toEqual([]);
  }, 120_000);
});

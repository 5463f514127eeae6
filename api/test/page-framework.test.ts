// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser, and this tsconfig has no DOM types
/**
 * The page framework in Chromium (api/public/js/app/router.js, js/pages/index.js; docs/dashboard.md, "Adding a
 * page"): every page of the dashboard is a registry entry, the nav is the registry, each entry mounts into one
 * <section> with its stylesheets served, leaving a page stops what it started (its polls end, its section goes), a
 * hash change inside a page updates it in place, an unknown hash shows the first page. The server has no scheduler,
 * Kafka, cdc or bank tables: those pages show that they lack them, which is checked too.
 * Screenshots: test-results/framework-<page>.png.
 */
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, openPage, type TestPage } from '../../test/helpers/browser.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { buildApp } from '../app.js';
import { writeLiveLake } from './live-fixture.js';

// the pages on main when the framework took them in; a page may be added, none of these may go missing
const PAGES_ON_MAIN = ['live', 'portfolio', 'reports', 'sql', 'pipeline', 'kafka', 'cdc', 'fraud'];
// what each page shows on this server (a lake with two symbols; no scheduler, Kafka, cdc or bank jobs)
const SHOWS: Record<string, { selector: string; text: RegExp }> = {
  live: { selector: '#symbols', text: /AAA[\s\S]*BBB/ },
  reports: { selector: '#page-reports', text: /Top movers/ },
  sql: { selector: '#page-sql', text: /Schema[\s\S]*bars/ },
  cdc: { selector: '#page-cdc', text: /not configured[\s\S]*--offsets-dir/ },
  fraud: { selector: '#fraud-error', text: /--sql-dir sql\/bank/ },
  kafka: { selector: '#page-kafka', text: /TL_KAFKA_OFF/ },
  retail: { selector: '#retail-error', text: /no retail tables/ },
  upload: { selector: '#page-upload', text: /Upload a sales workbook/ },
  pipeline: { selector: '#page-pipeline', text: /0 jobs|no jobs|scheduler/i },
  fundamentals: { selector: '#page-fundamentals', text: /no filings in the lake yet/ },
};
// the pages above that lack their backend get an API error on purpose; Chromium logs each as a console error
const EXPECTED_4XX = /\/api\/(query$|kafka\/|pipeline\/)/;

let lake: LakeFixture;
let app: FastifyInstance;
let browser: Browser;
let tp: TestPage;
const requests: string[] = [];
const failedAssets: string[] = [];

// a string, not a function: vitest would rewrite a function's import() for Node
const registry = () =>
  tp.page.evaluate(`import('/assets/js/pages/index.js').then(({ PAGES }) =>
    PAGES.map((p) => ({ path: p.path, title: p.title, nav: p.nav !== false, css: [p.css ?? []].flat() })))`) as Promise<
    { path: string; title: string; nav: boolean; css: string[] }[]
  >;

const mounted = () =>
  tp.page.evaluate(() =>
    [...(globalThis as any).document.querySelectorAll('main > section')].map((s: any) => ({
      page: s.dataset.page,
      children: s.children.length,
    })),
  );

async function go(hash: string) {
  await tp.page.evaluate((h) => {
    (globalThis as any).location.hash = h;
  }, hash);
}

describe.skipIf(!CHROMIUM)('page framework in Chromium', () => {
  beforeAll(async () => {
    lake = await LakeFixture.create();
    await writeLiveLake(lake);
    app = await buildApp({ lakeDir: lake.dir, livePollMs: 300 });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    tp = await openPage(browser, base, { expectedFailures: EXPECTED_4XX });
    // intervals the page has running, for the test that a page's ctx.every ends when it is left
    await tp.page.addInitScript(() => {
      const g = globalThis as any;
      const live = new Set();
      const set = g.setInterval;
      const clear = g.clearInterval;
      g.setInterval = (...a: any[]) => {
        const id = set(...a);
        live.add(id);
        return id;
      };
      g.clearInterval = (id: any) => {
        live.delete(id);
        clear(id);
      };
      g.__intervals = () => live.size;
    });
    tp.page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    tp.page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/assets/') && r.status() !== 200) failedAssets.push(r.url());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    lake?.close();
  });

  it('builds the nav from the registry, and mounts every entry into one section with its stylesheets', async () => {
    await tp.goto('#/live');
    const pages = await registry();
    expect(pages.map((p) => p.path)).toEqual(expect.arrayContaining(PAGES_ON_MAIN));
    expect(new Set(pages.map((p) => p.path)).size).toBe(pages.length);
    const nav = await tp.page
      .locator('#nav a[data-page]')
      .evaluateAll((as: any[]) =>
        as.map((a) => ({ path: a.dataset.page, title: a.textContent, href: a.getAttribute('href') })),
      );
    expect(nav).toEqual(pages.filter((p) => p.nav).map((p) => ({ path: p.path, title: p.title, href: `#/${p.path}` })));

    for (const p of pages) {
      await go(`#/${p.path}`);
      await tp.page.waitForFunction((path) => {
        const s = (globalThis as any).document.querySelectorAll('main > section');
        return s.length === 1 && s[0].dataset.page === path && s[0].id === `page-${path}` && s[0].children.length > 0;
      }, p.path);
      expect(await tp.page.title()).toBe(`${p.title} · ticklake`);
      expect(await tp.page.locator('#nav a.active').evaluateAll((as: any[]) => as.map((a) => a.dataset.page))).toEqual(
        p.nav ? [p.path] : [],
      );
      const links = await tp.page
        .locator('link[rel=stylesheet]')
        .evaluateAll((ls: any[]) => ls.map((l) => l.getAttribute('href')));
      for (const css of p.css) expect(links).toContain(`/assets/css/${css}`);
      const shows = SHOWS[p.path];
      if (shows) await expect.poll(() => tp.page.locator(shows.selector).textContent()).toMatch(shows.text);
      await tp.shot(`framework-${p.path}`, false);
    }
    await tp.page.waitForLoadState('networkidle');
    expect(failedAssets).toEqual([]);
  });

  it('stops a page’s polling and removes its section when it is left', async () => {
    await go('#/sql');
    await tp.page.waitForFunction(() => (globalThis as any).document.querySelector('#page-sql'));
    const intervals = () => tp.page.evaluate(() => (globalThis as any).__intervals());
    const idle = await intervals();
    await go('#/cdc');
    const polls = () => requests.filter((r) => r === '/api/cdc/status').length;
    const before = polls();
    await expect.poll(polls, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 2); // it polls every second
    expect(await intervals()).toBeGreaterThan(idle);
    await go('#/sql');
    await tp.page.waitForFunction(() => (globalThis as any).document.querySelector('#page-sql'));
    expect(await mounted()).toEqual([{ page: 'sql', children: expect.any(Number) }]);
    expect(await intervals()).toBe(idle);
    const left = polls();
    await tp.page.waitForTimeout(2500);
    expect(polls()).toBe(left);
  });

  it('updates a page in place on a hash change that stays on it', async () => {
    await go('#/reports/top-movers');
    await expect.poll(() => tp.page.locator('#report-view h2').textContent()).toMatch(/top-movers/);
    await tp.page.evaluate(() => {
      (globalThis as any).document.querySelector('#page-reports').dataset.marker = 'same';
    });
    await go('#/reports/hourly-kpis');
    await expect.poll(() => tp.page.locator('#report-view h2').textContent()).toMatch(/hourly-kpis/);
    expect(await tp.page.locator('#page-reports').getAttribute('data-marker')).toBe('same');
  });

  it('shows the first page of the registry for an unknown hash', async () => {
    const [first] = await registry();
    await go('#/no-such-page');
    await tp.page.waitForFunction(
      (path) => (globalThis as any).document.querySelector('main > section')?.dataset.page === path,
      first.path,
    );
    expect((await mounted()).map((s) => s.page)).toEqual([first.path]);
  });

  it('logged no console errors', () => {
    expect(tp.errors()).toEqual([]);
  });
});

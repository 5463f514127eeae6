// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser (this tsconfig has no DOM types)
/**
 * Headless Chromium for page tests (docs/dashboard.md, "Adding a page"): Debian's /usr/bin/chromium driven by
 * playwright-core with the house flags. `openPage(base)` gives a page that records console errors and uncaught
 * exceptions (a page test ends with `expect(p.errors()).toEqual([])`), takes screenshots into test-results/, and
 * reads charts the page exposes on `window.ticklake.<page>`.
 *
 *   const browser = await launchChromium();          // once per file (skip the suite when CHROMIUM is undefined)
 *   const p = await openPage(browser, base);         // base = await app.listen({ port: 0, host: '127.0.0.1' })
 *   await p.goto('#/live');
 *   await p.shot('live-page');                       // test-results/live-page.png: open it and look at it
 *   expect(p.errors()).toEqual([]);
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { requireTool } from './tools.js';

/** Path of Chromium, or undefined outside CI when it is not installed (describe.skipIf(!CHROMIUM)). */
export const CHROMIUM = requireTool('chromium', ['/usr/bin/chromium']);

/** Where screenshots go (gitignored). */
export const SHOTS_DIR = join(import.meta.dirname, '../../test-results');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('chromium is not installed');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface PageOptions {
  viewport?: { width: number; height: number };
  /**
   * Failed requests the test causes on purpose (an API error it checks): Chromium logs each as a console error
   * "Failed to load resource"; those whose URL matches are not counted.
   */
  expectedFailures?: RegExp;
}

export interface TestPage {
  page: Page;
  base: string;
  /** Navigates to `base/` + hash (e.g. '#/live'). */
  goto(hash: string): Promise<void>;
  /** Console errors and uncaught exceptions so far. */
  errors(): string[];
  /** Screenshot to test-results/<name>.png (fullPage by default); returns the path. */
  shot(name: string, fullPage?: boolean): Promise<string>;
  /** Evaluates `window.ticklake.<path>` in the page (JSON-serialisable parts only). */
  exposed<T = any>(path: string): Promise<T>;
  close(): Promise<void>;
}

export async function openPage(browser: Browser, base: string, opts: PageOptions = {}): Promise<TestPage> {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1440, height: 900 } });
  page.setDefaultTimeout(30_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const failed = /^Failed to load resource/.test(m.text());
    if (failed && opts.expectedFailures?.test(m.location().url)) return;
    errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    page,
    base,
    async goto(hash) {
      await page.goto(`${base}/${hash}`);
    },
    errors: () => [...errors],
    async shot(name, fullPage = true) {
      const path = join(SHOTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage });
      return path;
    },
    exposed: (path) =>
      page.evaluate((p) => p.split('.').reduce((o: any, k) => o?.[k], (globalThis as any).ticklake), path),
    close: () => page.close(),
  };
}

/** A browser with one page, as a page test's `beforeAll` opens it. */
export interface BrowserPage {
  browser: Browser;
  tp: TestPage;
  page: Page;
  /** Closes the browser (and so the page). */
  close(): Promise<void>;
}

/**
 * `launchChromium` and `openPage` on `base` in one (the browser closed again if the page cannot be opened):
 *
 *   beforeAll(async () => ({ tp, page } = ui = await launchPage(base)));
 *   afterAll(() => ui?.close());
 */
export async function launchPage(base: string, opts: PageOptions = {}): Promise<BrowserPage> {
  const browser = await launchChromium();
  try {
    const tp = await openPage(browser, base, opts);
    return { browser, tp, page: tp.page, close: () => browser.close() };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/**
 * Pixels of a uPlot chart's canvas close to `rgb` (each channel within 30, opaque enough): proof that a series was
 * drawn, not only that the chart has data. `chart` is a path under window.ticklake, e.g. 'live.charts.price'.
 */
export function chartPixels(page: Page, chart: string, rgb: [number, number, number]): Promise<number> {
  return page.evaluate(
    ([path, c]) => {
      const u = (path as string).split('.').reduce((o: any, k) => o?.[k], (globalThis as any).ticklake);
      const { width, height } = u.ctx.canvas;
      const d = u.ctx.getImageData(0, 0, width, height).data;
      let n = 0;
      const [r, g, b] = c as number[];
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i] - r) < 30 && Math.abs(d[i + 1] - g) < 30 && Math.abs(d[i + 2] - b) < 30 && d[i + 3] > 100)
          n++;
      }
      return n;
    },
    [chart, rgb] as const,
  );
}

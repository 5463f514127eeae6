// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser, and this tsconfig has no DOM types
/**
 * The #/cdc page in Chromium with live data: `ticklake cdc` captures the bank simulator's MariaDB while it writes;
 * the page shows the captured tables with created/updated/deleted counts equal to the operations the simulator
 * made (counted here from its statements, not from cdc), change rates while it writes, the snapshot done, the
 * binlog position; no console errors. Screenshot: test-results/cdc-page.png.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBank } from '../../producers/bank/bank-run.js';
import { runCdc } from '../../producers/cdc/cdc-run.js';
import { CHROMIUM, launchChromium, openPage } from '../../test/helpers/browser.js';
import { type CdcEnv, cdcEnvAvailable, startCdcEnv } from '../../test/helpers/cdc.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { createDatabase } from '../../test/helpers/mysql.js';
import { buildApp } from '../app.js';

let env: CdcEnv;
let lake: LakeFixture;
let app: FastifyInstance;
let browser: Browser;

describe.skipIf(!CHROMIUM || !cdcEnvAvailable())('#/cdc in Chromium', () => {
  beforeAll(async () => {
    env = await startCdcEnv('cdc-page');
    lake = await LakeFixture.create();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    lake?.close();
    await env?.close();
  });

  it('shows the captured tables, their changes and rates, the snapshot and the binlog position', async () => {
    const url = await createDatabase(env.my.url, 'bank');
    const start = Date.UTC(2026, 0, 5, 9);
    await runBank({ url, seed: 'page', rate: 0, count: 60, startMs: start }); // tables and a first population
    const cdcDir = join(env.dir, 'cdc');
    const abort = new AbortController();
    const cdc = runCdc({
      mysqlUrl: url,
      brokers: env.brokers,
      tables: [],
      snapshot: 'initial',
      topicPrefix: 'bank',
      offsetsDir: cdcDir,
      serverId: 904,
      schemas: true,
      signal: abort.signal,
    });
    app = await buildApp({ lakeDir: lake.dir, cdcDir });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const p = await openPage(browser, base, { viewport: { width: 1440, height: 800 } });
    const { page } = p;
    await p.goto('#/cdc');

    // the simulator writes while the page watches; count what it does, independently of cdc
    const counts = { txnInserts: 0, reversals: 0, userUpdates: 0 };
    const writer = runBank({
      url,
      seed: 'page',
      rate: 40,
      count: 240,
      startMs: start,
      onOp: (op) => {
        for (const s of op.statements) {
          if (s.sql.startsWith('INSERT INTO transactions')) counts.txnInserts++;
          if (s.sql.startsWith('DELETE FROM transactions')) counts.reversals++;
          if (s.sql.startsWith('UPDATE users')) counts.userUpdates++;
        }
      },
    });
    // a rate shows while it writes
    await page.waitForFunction(
      () => {
        const cell = (globalThis as any).document.querySelector(
          '#cdc-tables tr[data-table="bank.transactions"] td.rate',
        );
        return cell && Number(cell.textContent) > 0;
      },
      undefined,
      { timeout: 30_000 },
    );
    await p.shot('cdc-page');
    await writer;
    await page.waitForFunction(
      (n: number) => {
        const row = (globalThis as any).document.querySelector('#cdc-tables tr[data-table="bank.transactions"]');
        return row && Number(row.children[2].textContent?.replace(/,/g, '')) === n;
      },
      counts.txnInserts,
      { timeout: 30_000 },
    );
    const cells = await page.locator('#cdc-tables tr[data-table="bank.transactions"] td').allTextContents();
    expect(cells[0]).toBe('bank.transactions');
    expect(cells[1]).toBe('bank.bank.transactions');
    expect(Number(cells[2].replace(/,/g, ''))).toBe(counts.txnInserts);
    expect(Number(cells[4].replace(/,/g, ''))).toBe(counts.reversals);
    const users = await page.locator('#cdc-tables tr[data-table="bank.users"] td').allTextContents();
    expect(Number(users[3].replace(/,/g, ''))).toBe(counts.userUpdates);
    expect(await page.locator('#cdc-tables tbody tr').count()).toBe(6);
    expect(await page.locator('#cdc-snapshot').textContent()).toContain('snapshot done');
    expect(await page.locator('#cdc-cards').textContent()).toMatch(/runningbinlog readbinlog\.\d+:\d+/);
    await p.shot('cdc-page-done');
    expect(p.errors()).toEqual([]);
    abort.abort();
    await cdc;
  }, 120_000);
});

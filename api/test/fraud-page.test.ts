// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser, and this tsconfig has no DOM types
/**
 * The #/fraud page in Chromium with live data: the bank simulator's MariaDB captured by `ticklake cdc`, the lake
 * built by the keyed-table engine with sql/bank, the API over it. The page shows the alerts, each rule's precision
 * and recall and the riskiest merchants and cards; the numbers shown equal a computation written here over the
 * lake's fraud_scores and fact_transactions (through the API's SQL). No console errors. Screenshot:
 * test-results/fraud-page.png.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';
import { startTablesProcessor } from '../../processors/tables/processor.js';
import { runBank } from '../../producers/bank/bank-run.js';
import { BANK_TABLES } from '../../producers/bank/bank-schema.js';
import { runCdc } from '../../producers/cdc/cdc-run.js';
import { CHROMIUM, launchChromium, openPage } from '../../test/helpers/browser.js';
import { type CdcEnv, cdcEnvAvailable, startCdcEnv } from '../../test/helpers/cdc.js';
import { createDatabase } from '../../test/helpers/mysql.js';
import { buildApp } from '../app.js';

const BANK_SQL = fileURLToPath(new URL('../../sql/bank/', import.meta.url));

let env: CdcEnv;
let app: FastifyInstance;
let browser: Browser;

describe.skipIf(!CHROMIUM || !cdcEnvAvailable())('#/fraud in Chromium', () => {
  beforeAll(async () => {
    env = await startCdcEnv('fraud-page');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await env?.close();
  });

  it('shows alerts, rule precision/recall and the riskiest merchants and cards from the lake', async () => {
    const url = await createDatabase(env.my.url, 'bank');
    await runBank({ url, seed: 'fraud-page', rate: 0, count: 1500, startMs: Date.UTC(2026, 0, 5, 9) });
    await runCdc({
      mysqlUrl: url,
      brokers: env.brokers,
      tables: [],
      snapshot: 'initial',
      topicPrefix: 'bank',
      offsetsDir: join(env.dir, 'cdc'),
      serverId: 905,
      schemas: true,
      stopWhenIdleMs: 800,
    });
    const lakeDir = join(env.dir, 'lake');
    const proc = await startTablesProcessor({
      brokers: env.brokers,
      lakeDir,
      stateDir: join(env.dir, 'state'),
      sqlDirs: [BANK_SQL],
      sources: [...BANK_TABLES],
      untilIdle: true,
    });
    await proc?.done;
    await proc?.close();

    app = await buildApp({ lakeDir, tables: await declaredLakeTables([BANK_SQL]) });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const sql = async (q: string) => {
      const r = await app.inject({ method: 'POST', url: '/api/query', payload: { sql: q } });
      expect(r.statusCode, r.body).toBe(200);
      return r.json().rows as Record<string, any>[];
    };
    // the computation the page's numbers are checked against
    const [alertTotal] = await sql('select count(*) as n from fraud_scores where score >= 50');
    expect(Number(alertTotal.n)).toBeGreaterThan(0);
    const [q] = await sql(`select count(*) filter (where score >= 50 and is_fraud) as tp,
                                   count(*) filter (where score >= 50 and not is_fraud) as fp,
                                   count(*) filter (where score < 50 and is_fraud) as fn
                            from fraud_scores where is_fraud is not null`);
    const topCard = await sql(`select card_id, count(*) as n from fraud_scores where score >= 50
                               group by card_id order by n desc, max(score) desc limit 1`);

    const p = await openPage(browser, base, { viewport: { width: 1440, height: 1100 } });
    const { page } = p;
    await p.goto('#/fraud');
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('#fraud-alerts tbody tr').length > 0,
    );
    expect(await page.locator('#fraud-alerts tbody tr').count()).toBe(Math.min(25, Number(alertTotal.n)));
    const alertRow = await page.locator('#fraud-rules tbody tr').first().locator('td').allTextContents();
    expect(alertRow[0]).toBe('alert');
    expect(alertRow.slice(3, 6).map(Number)).toEqual([Number(q.tp), Number(q.fp), Number(q.fn)]);
    const rules = await page.locator('#fraud-rules tbody tr td[data-col="rule"]').allTextContents();
    expect(rules.sort()).toEqual([
      'alert',
      'amount_spike',
      'away_from_home',
      'error_burst',
      'new_risky_merchant',
      'swipe_on_chip',
      'velocity',
    ]);
    const firstCard = await page.locator('#fraud-cards tbody tr').first().locator('td').allTextContents();
    expect([Number(firstCard[0]), Number(firstCard[1])]).toEqual([Number(topCard[0].card_id), Number(topCard[0].n)]);
    expect(await page.locator('#fraud-merchants tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#fraud-error').textContent()).toBe('');
    await p.shot('fraud-page');
    expect(p.errors()).toEqual([]);
  }, 180_000);
});

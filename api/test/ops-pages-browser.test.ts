// biome-ignore-all lint/suspicious/noExplicitAny: page functions run in the browser, and this tsconfig has no DOM types
/**
 * #/pipeline and #/kafka in Debian's headless Chromium (playwright-core) against buildApp on a real port, with a real
 * scheduler over a temp lake (scheduler/test/fixtures.ts: an hourly model, a blocking and a warn check, ticked over
 * seven simulated hours, hour 5 holding a bad tick) and the embedded broker over TCP (ticks.dlq holding dead letters
 * with their reason header, a consumer group with committed offsets):
 *  - #/pipeline lists the jobs in dependency order with their last run, shows a job's runs (the blocked hour with its
 *    reason) and the recent failures; the re-run button runs the latest interval again (behind the token);
 *  - #/kafka lists the topics and the group with its lag per partition, and browses ticks.dlq showing each message's
 *    reason header, the same as the messages the test produced;
 *  - no console errors. Screenshots go to test-results/.
 */
import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { type OpenScheduler, openScheduler } from '../../scheduler/open.js';
import {
  BLOCKING_CHECK,
  DAY,
  HOUR,
  MODEL,
  type SchedFixture,
  schedFixture,
  WARN_CHECK,
} from '../../scheduler/test/fixtures.js';
import { useBroker } from '../../test/helpers/broker.js';
import { CHROMIUM, launchChromium, openPage, type TestPage } from '../../test/helpers/browser.js';
import { buildApp } from '../app.js';

const TOKEN = 'page-token';
const DEAD = Array.from({ length: 5 }, (_, i) => ({
  key: `SE1:SYM${i}`,
  value: `{"price":"bad-${i}"}`,
  reason: i % 2 ? 'price: not a number' : 'missing field ts',
}));

let fx: SchedFixture;
let sched: OpenScheduler;
let broker: RunningBroker;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let p: TestPage;
let page: Page;

describe.skipIf(!CHROMIUM)('#/pipeline and #/kafka in Chromium', () => {
  const embedded = useBroker('tl-ops-pages', { groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    fx = await schedFixture({
      'models/hourly_counts.sql': MODEL,
      'checks/positive.sql': BLOCKING_CHECK,
      'checks/warns.sql': WARN_CHECK,
    });
    sched = await openScheduler({ lakeDir: fx.lake.dir, sqlDirs: [fx.sqlDir], bundled: false });
    for (let h = 1; h <= 7; h++) await sched.scheduler.tick(DAY + h * HOUR + 30_000);

    broker = embedded.broker;
    const kafka = new Kafka({ clientId: 'ops-pages-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'ticks', numPartitions: 3 },
        { topic: 'ticks.dlq', numPartitions: 1 },
      ],
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'ticks.dlq',
      messages: DEAD.map((d) => ({
        key: d.key,
        value: d.value,
        headers: { reason: d.reason, 'source-topic': 'ticks' },
      })),
    });
    for (let p = 0; p < 3; p++) {
      await producer.send({
        topic: 'ticks',
        messages: Array.from({ length: 5 + p }, (_, i) => ({ partition: p, value: `v${i}` })),
      });
    }
    await producer.disconnect();
    // a group that committed offset 2 on every partition of ticks (lag = end − 2)
    await admin.setOffsets({
      groupId: 'processor-x',
      topic: 'ticks',
      partitions: [0, 1, 2].map((p) => ({ partition: p, offset: '2' })),
    });
    await admin.disconnect();

    app = await buildApp({
      lakeDir: fx.lake.dir,
      scheduler: sched.scheduler,
      kafka: { brokers: [broker.address] },
      token: TOKEN,
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    // the re-run without the token is refused on purpose: Chromium logs its 401 as a failed resource load
    p = await openPage(browser, base, {
      viewport: { width: 1440, height: 1000 },
      expectedFailures: /\/api\/pipeline\/jobs\/[^/]+\/runs$/,
    });
    page = p.page;
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await sched?.close();
    fx?.close();
  });

  it('#/pipeline shows the jobs, their runs with the blocked hour and its reason, and re-runs a job', async () => {
    await p.goto('#/pipeline');
    await page.waitForFunction(() => (globalThis as any).ticklake?.pipeline?.jobs?.length === 3);
    const names = await page.locator('#pipeline-jobs tbody tr td:first-child').allTextContents();
    // the checks come before the model they gate
    expect(names).toEqual(['check.positive', 'check.warns', 'model.hourly_counts']);
    const lastStatuses = await page.locator('#pipeline-jobs tbody tr td:nth-child(5)').allTextContents();
    // the latest hour (06:00-07:00) is clean; the warn check fails every hour
    expect(lastStatuses).toEqual(['success', 'failed', 'success']);
    // the model's runs: intervals ending 01:00..07:00, the one ending 06:00 blocked by the bad tick at 05:30
    await page.locator('#pipeline-jobs tbody tr td:first-child', { hasText: /^model\.hourly_counts$/ }).click();
    await page.waitForFunction(() => (globalThis as any).ticklake.pipeline.selected === 'model.hourly_counts');
    const runs = await page.locator('#pipeline-runs tbody tr').allTextContents();
    expect(runs.length).toBe(7);
    const blocked = page.locator('#pipeline-runs tbody tr', { hasText: 'blocked' });
    expect(await blocked.count()).toBe(1);
    expect(await blocked.textContent()).toContain('2026-03-02 05:00 → 06:00');
    expect(await blocked.textContent()).toContain('blocking check check.positive failed');
    // the recent failures: the blocked model hour, the failed blocking check hour, and the warn check's runs
    const failing = await page.locator('#pipeline-failures li > b').allTextContents();
    expect(failing.filter((f) => f === 'model.hourly_counts')).toHaveLength(1);
    expect(failing.filter((f) => f === 'check.positive')).toHaveLength(1);
    expect(failing.filter((f) => f === 'check.warns')).toHaveLength(7);
    await p.shot('pipeline-page');

    // re-run without the token: 401 shown; with it: a second attempt of the latest interval
    const row = page
      .locator('#pipeline-jobs tbody tr')
      .filter({ has: page.locator('td:first-child', { hasText: /^check\.positive$/ }) });
    page.once('dialog', (d) => d.accept());
    await row.locator('button.rerun').click();
    await page.locator('#pipeline-note .error').waitFor();
    expect(await page.locator('#pipeline-note').textContent()).toContain('TL_API_UNAUTHORIZED');
    await page.locator('.token-field input[type=password]').fill(TOKEN);
    await row.locator('button.rerun').click();
    await page.locator('#pipeline-note .ok-note').waitFor();
    expect(await page.locator('#pipeline-note').textContent()).toMatch(/check\.positive@20260302T070000Z#2: success/);
    expect(p.errors()).toEqual([]);
  });

  it('#/kafka lists topics and groups with lag, and browses ticks.dlq with the reason header', async () => {
    await p.goto('#/kafka');
    await page.waitForFunction(() => (globalThis as any).ticklake?.kafka?.groups !== undefined);
    await p.shot('kafka-page-topics');
    const topics = await page.locator('#kafka-topics tbody tr td:first-child').allTextContents();
    expect(topics).toEqual(['ticks', 'ticks.dlq']);
    const group = page.locator('#kafka-groups .group[data-group="processor-x"]');
    expect(await group.locator('.lag').textContent()).toBe(String(5 - 2 + (6 - 2) + (7 - 2)));
    expect(await group.locator('tbody tr').allTextContents()).toEqual(['ticks0253', 'ticks1264', 'ticks2275']);
    await page.locator('#kafka-topics tbody tr', { hasText: 'ticks.dlq' }).click();
    await page.waitForFunction(() => (globalThis as any).ticklake.kafka.browsed?.topic === 'ticks.dlq');
    // newest first page: all five messages, each with its reason header, as produced above
    const keys = await page.locator('#browse-result tbody tr td:nth-child(3)').allTextContents();
    expect(keys).toEqual(DEAD.map((d) => d.key));
    const reasons = await page.locator('#browse-result .hdr-reason').allTextContents();
    expect(reasons).toEqual(DEAD.map((d) => `reason=${d.reason}`));
    // from offset 3 with a key search
    await page.locator('#browse-offset').fill('1');
    await page.locator('#browse-key').fill('SYM3');
    await page.locator('#browse-go').click();
    await page.waitForFunction(() => (globalThis as any).ticklake.kafka.browsed?.messages?.length === 1);
    expect(await page.locator('#browse-result tbody tr td:first-child').allTextContents()).toEqual(['3']);
    await page.locator('#browse-key').fill('');
    await page.locator('#browse-offset').fill('');
    await page.locator('#browse-go').click();
    await page.waitForFunction(() => (globalThis as any).ticklake.kafka.browsed?.messages?.length === 5);
    await p.shot('kafka-page');
    expect(p.errors()).toEqual([]);
  });
});

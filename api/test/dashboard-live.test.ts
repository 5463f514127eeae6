// biome-ignore-all lint/suspicious/noExplicitAny: SSE payloads are checked field by field
/**
 * The dashboard's server side over a real socket: the SSE stream GET /api/live (snapshot from the lake, then only
 * new bars, valuations and anomalies as files land, each row once), one shared poller that runs only while
 * clients listen, health from the lake or from a pipeline provider, the stream ending on app close; the static
 * files and the bundled uPlot, and paths that try to leave the public directory.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { buildApp } from '../app.js';
import type { PipelineHealth } from '../live/health.js';
import {
  addAnomalies,
  addMinutes,
  closeOf,
  DAY,
  MINUTE,
  NEWEST_TICK_MS,
  navOf,
  START_MS,
  writeLiveLake,
} from './live-fixture.js';

interface SseEvent {
  event: string;
  data: any;
}

/** A minimal EventSource over fetch: `next(name)` returns the next event of that name, keeping the others. */
class SseClient {
  readonly seen: SseEvent[] = [];
  private buf = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  ended = false;

  private constructor(
    readonly res: Response,
    private readonly abort: AbortController,
  ) {
    this.reader = res.body!.getReader();
  }

  static async open(base: string): Promise<SseClient> {
    const abort = new AbortController();
    const res = await fetch(`${base}/api/live`, { signal: abort.signal });
    return new SseClient(res, abort);
  }

  /** Reads until an event named `name` arrives after index `from`; returns it and its index. */
  async next(name: string, from = 0): Promise<SseEvent & { index: number }> {
    for (;;) {
      const i = this.seen.findIndex((e, k) => k >= from && e.event === name);
      if (i >= 0) return { ...this.seen[i], index: i };
      const { value, done } = await this.reader.read();
      if (done) {
        this.ended = true;
        throw new Error(`stream ended before "${name}"`);
      }
      this.buf += this.decoder.decode(value, { stream: true });
      let cut = this.buf.indexOf('\n\n');
      while (cut >= 0) {
        const frame = this.buf.slice(0, cut);
        this.buf = this.buf.slice(cut + 2);
        const ev = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (ev && data !== undefined) this.seen.push({ event: ev, data: JSON.parse(data) });
        cut = this.buf.indexOf('\n\n');
      }
    }
  }

  /** Resolves when the server ends the stream. */
  async end(): Promise<void> {
    for (;;) {
      const { done } = await this.reader.read();
      if (done) return;
    }
  }

  close(): void {
    this.abort.abort();
  }
}

let lake: LakeFixture;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeLiveLake(lake);
  app = await buildApp({ lakeDir: lake.dir, livePollMs: 200 });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  lake?.close();
});

describe('GET /api/live', () => {
  it('sends a snapshot, then each new bar, valuation and anomaly once, with lake health', async () => {
    const c = await SseClient.open(base);
    expect(c.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const snap = (await c.next('snapshot')).data;
    expect(snap.window).toBe('1m');
    expect(Object.keys(snap.bars).sort()).toEqual(['AAA', 'BBB']);
    const minutes = Array.from({ length: 30 }, (_, i) => i);
    expect(snap.bars.AAA.t).toEqual(minutes.map((i) => START_MS + i * MINUTE));
    expect(snap.bars.AAA.close).toEqual(minutes.map((i) => closeOf('AAA', i)));
    expect(snap.bars.BBB.volume).toEqual(minutes.map((i) => 100 + i * 10));
    expect(snap.navs.P1).toEqual({
      investor: 'Inv1',
      t: minutes.map((i) => START_MS + (i + 1) * MINUTE),
      nav: minutes.map((i) => navOf('P1', i)),
    });
    expect(snap.anomalies.map((a: any) => [a.t, a.severity])).toEqual([
      [START_MS + 20 * MINUTE + 30_000, 'WARNING'],
      [START_MS + 10 * MINUTE + 30_000, 'WARNING'],
      [START_MS + 3 * MINUTE + 30_000, 'CRITICAL'],
    ]);

    const h = (await c.next('health')).data;
    expect(h).toMatchObject({ source: 'lake', newestTick: NEWEST_TICK_MS, rejected: 2, dlq: 2, error: null });
    // watermark from the lake = end of the newest closed bar (10:30:00); the newest tick is 15 s later
    expect(h.watermark).toBe(START_MS + 30 * MINUTE);
    expect(h.watermarkDelayMs).toBe(15_000);
    expect(h.ticksPerSecond).toBeNull();
    expect(h.mysql).toBeNull();

    // the processor writes two more minutes and an anomaly while the client listens
    await addMinutes(lake, 30, 32);
    await addAnomalies(lake, [31], 'b30.parquet');
    const bars = await c.next('bars');
    expect(bars.data.bars.AAA.t).toEqual([START_MS + 30 * MINUTE, START_MS + 31 * MINUTE]);
    expect(bars.data.bars.BBB.close).toEqual([closeOf('BBB', 30), closeOf('BBB', 31)]);
    const navs = await c.next('valuations');
    expect(navs.data.navs.P2.nav).toEqual([navOf('P2', 30), navOf('P2', 31)]);
    const an = await c.next('anomalies');
    expect(an.data.anomalies).toHaveLength(1);
    expect(an.data.anomalies[0]).toMatchObject({
      symbol: 'AAA',
      severity: 'CRITICAL',
      t: START_MS + 31 * MINUTE + 30_000,
    });

    // later polls re-read the overlap (the last 10 minutes) but send nothing twice
    const after = Math.max(bars.index, navs.index, an.index);
    let k = after;
    for (let i = 0; i < 3; i++) k = (await c.next('health', k + 1)).index;
    expect(c.seen.slice(after + 1).map((e) => e.event)).toEqual(['health', 'health', 'health']);
    c.close();
    await vi.waitFor(() => expect(app.live.stats()).toMatchObject({ clients: 0, running: false }), {
      timeout: 10_000,
    });
  });

  it('shares one poller between clients and stops it when the last one leaves', async () => {
    const a = await SseClient.open(base);
    const b = await SseClient.open(base);
    const [sa, sb] = [(await a.next('snapshot')).data, (await b.next('snapshot')).data];
    expect(sb.bars.AAA.t).toEqual(sa.bars.AAA.t);
    expect(app.live.stats()).toMatchObject({ clients: 2, running: true });
    // one poll fans out to both
    const [ha, hb] = [(await a.next('health')).data, (await b.next('health')).data];
    expect([ha.source, hb.source]).toEqual(['lake', 'lake']);
    a.close();
    await vi.waitFor(() => expect(app.live.stats().clients).toBe(1), { timeout: 10_000 });
    expect(app.live.stats().running).toBe(true);
    b.close();
    await vi.waitFor(() => expect(app.live.stats()).toMatchObject({ clients: 0, running: false }), {
      timeout: 10_000,
    });
    const polls = app.live.stats().polls;
    // nobody listens: no polling (three poll periods later the count is unchanged)
    await new Promise((r) => setTimeout(r, 700));
    expect(app.live.stats().polls).toBe(polls);
  });
});

describe('an empty lake', () => {
  it('sends an empty snapshot and n/a health, then the first files as they land', async () => {
    const empty = await LakeFixture.create();
    const app3 = await buildApp({ lakeDir: empty.dir, livePollMs: 100 });
    const base3 = await app3.listen({ port: 0, host: '127.0.0.1' });
    try {
      const c = await SseClient.open(base3);
      const snap = (await c.next('snapshot')).data;
      expect(snap).toMatchObject({ window: null, navWindow: null, bars: {}, navs: {}, anomalies: [] });
      expect(snap.health).toMatchObject({
        source: 'lake',
        newestTick: null,
        rejected: 0,
        watermark: null,
        error: null,
      });
      // the first files: the stream sends at most the newest bars of each symbol, as a snapshot would
      await addMinutes(empty, 0, 3);
      const bars = await c.next('bars');
      expect(bars.data.window).toBe('1m');
      expect(bars.data.bars.AAA.close).toEqual([0, 1, 2].map((i) => closeOf('AAA', i)));
      const ended = c.end();
      await app3.close();
      await ended;
    } finally {
      await app3.close();
      empty.close();
    }
  });
});

describe('a poll that fails part way', () => {
  it('sends the rows it had read with the next poll that succeeds', async () => {
    const own = await LakeFixture.create();
    await writeLiveLake(own);
    const app4 = await buildApp({ lakeDir: own.dir, livePollMs: 100 });
    const base4 = await app4.listen({ port: 0, host: '127.0.0.1' });
    try {
      const c = await SseClient.open(base4);
      await c.next('snapshot');
      // an anomalies file that is not Parquet (yet) makes every poll fail at its last query, after the bars and
      // valuations queries have read the two new minutes
      const bad = join(own.dir, 'anomalies', `date=${DAY}`, 'b30.parquet');
      writeFileSync(bad, 'not parquet yet');
      await addMinutes(own, 30, 32);
      let h = await c.next('health');
      const failed = [];
      while (failed.length < 3) {
        h = await c.next('health', h.index + 1);
        if (h.data.error) failed.push(h.data.error);
      }
      expect(failed[2]).toMatch(/b30\.parquet/);
      const sentWhileFailing = c.seen.map((e) => e.event).filter((e) => e !== 'health');
      expect(sentWhileFailing).toEqual(['snapshot']);

      // the file is replaced by a good one: the next poll sends both minutes and the anomaly
      unlinkSync(bad);
      await addAnomalies(own, [31], 'b30.parquet');
      while (h.data.error) h = await c.next('health', h.index + 1);
      await c.next('health', h.index + 1);
      const byName = (name: string) => c.seen.filter((e) => e.event === name).map((e) => e.data);
      expect(byName('bars').flatMap((d) => d.bars.AAA.t)).toEqual([START_MS + 30 * MINUTE, START_MS + 31 * MINUTE]);
      expect(byName('valuations').flatMap((d) => d.navs.P2.nav)).toEqual([navOf('P2', 30), navOf('P2', 31)]);
      expect(byName('anomalies').flatMap((d) => d.anomalies.map((a: any) => a.t))).toEqual([
        START_MS + 31 * MINUTE + 30_000,
      ]);
      c.close();
    } finally {
      await app4.close();
      own.close();
    }
  });
});

describe('pipeline health provider', () => {
  it('reports the provider’s numbers and derives ticks/s from its cumulative count', async () => {
    let ticks = 0;
    let at = 0;
    const provider = (): PipelineHealth => {
      ticks += 500;
      at++;
      return {
        ticks,
        consumerLag: 42,
        watermark: START_MS + 29 * MINUTE,
        maxEventTime: START_MS + 29 * MINUTE + 5000,
        dlq: 3,
        late: 1,
        mysql: 'down',
        lakeFiles: 17,
      };
    };
    const app2 = await buildApp({ lakeDir: lake.dir, health: provider, livePollMs: 100 });
    const base2 = await app2.listen({ port: 0, host: '127.0.0.1' });
    try {
      const c = await SseClient.open(base2);
      // the snapshot carries the first sample: no rate yet; the next samples have one
      const snap = await c.next('snapshot');
      expect(snap.data.health.ticksPerSecond).toBeNull();
      const first = await c.next('health');
      expect(first.data).toMatchObject({
        source: 'pipeline',
        consumerLag: 42,
        watermark: START_MS + 29 * MINUTE,
        watermarkDelayMs: 5000,
        dlq: 3,
        late: 1,
        mysql: 'down',
        lakeFiles: 17,
        newestTick: NEWEST_TICK_MS,
        rejected: 2,
      });
      expect(at).toBeGreaterThanOrEqual(2);
      // ticks/s once the samples span 4 s (api/live/health.ts MIN_RATE_SPAN_MS); n/a before
      let h = first;
      while (h.data.ticksPerSecond === null) h = await c.next('health', h.index + 1);
      expect(h.data.ticksPerSecond).toBeGreaterThan(0);
      expect(h.data.at - snap.data.health.at).toBeGreaterThanOrEqual(4000);

      // closing the app ends the open stream
      const ended = c.end();
      await app2.close();
      await ended;
    } finally {
      await app2.close();
    }
  });
});

describe('dashboard files', () => {
  it('serves the page, its modules and the bundled uPlot', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/assets/js/main.js">');
    const js = await fetch(`${base}/assets/js/main.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const uplot = await fetch(`${base}/vendor/uplot.js`);
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toMatch(/uPlot/);
    expect((await fetch(`${base}/vendor/uplot.css`)).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it.each([
    '/assets/../app.ts',
    '/assets/%2e%2e/app.ts',
    '/assets/js/%2e%2e/%2e%2e/app.ts',
    '/assets/.hidden.js',
    '/assets/js/nope.js',
    '/assets/index.ts',
    '/vendor/uPlot.cjs.js',
    '/vendor/__proto__',
  ])('%s is 404 in the one error shape', async (path) => {
    const res = await fetch(`${base}${path}`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.code).toBe('TL_API_NOT_FOUND');
  });
});

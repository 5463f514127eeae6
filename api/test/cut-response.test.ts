/**
 * Issue 22's flake: `cli/test/start.test.ts` failed once with `TypeError: terminated` (`SocketError: other side
 * closed`, UND_ERR_SOCKET) reading the body of a `POST /api/query` from the running pipeline. Cause: the API
 * sent a streamed result's status and first bytes before the query had finished; when the lake compactor (every
 * second in that test) deleted files the query had listed, the query ended with TL_LAKE_CHANGED after the head,
 * and all the server could do was close the connection — a one-row `select count(*)` cut mid-body, for any HTTP
 * client. Now a result is held back until it is complete (or 64 KiB long), and one that overlapped a compaction
 * before that is run again: the client gets the whole answer.
 *
 * Reproduced over a real socket with what compaction does around its deletions (lake/compact-epoch.ts): the
 * deletion mark changes while a slow one-row query runs.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markDeleting, markDone } from '../../lake/compact-epoch.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { TICKS, writeSampleLake } from '../../test/helpers/sample-lake.js';
import { buildApp } from '../app.js';

let lake: LakeFixture;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  app = await buildApp({ lakeDir: lake.dir, queryTimeoutMs: 60_000 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  lake?.close();
});

describe('a result is not cut by a compaction that overlaps its query', () => {
  it('a slow one-row query during a compaction deletion answers whole, over a real socket', async () => {
    const ROWS = 300_000_000; // several seconds of counting
    const sent = performance.now();
    const res = fetch(`${base}/api/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: `select count(*) as n from ticks, range(${ROWS})` }),
    }).then(async (r) => ({ status: r.status, body: await r.text(), at: performance.now() - sent }));
    // once the query runs (it has read the mark), a compaction deletes files. /health says when it runs; a server
    // whose /health does not count queries (the code before the fix) gets a second, a fraction of the query's time
    for (;;) {
      const h = (await (await fetch(`${base}/health`)).json()) as { queries?: { running: number } };
      if (h.queries?.running === 1 || (h.queries === undefined && performance.now() - sent > 1000)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await markDeleting(lake.dir);
    await markDone(lake.dir);
    const marked = performance.now() - sent;
    const r = await res;
    // the mark must have changed while the query was running for this to test anything
    expect(r.at).toBeGreaterThan(marked);
    expect([r.status, JSON.parse(r.body).rows]).toEqual([200, [{ n: TICKS.length * ROWS }]]);
  }, 120_000);
});

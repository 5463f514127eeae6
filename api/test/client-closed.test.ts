/**
 * A client that closes its connection before its answer gives up its place, over a real socket against
 * `ticklake serve`: a running query is stopped (its process is free for the next request at once, not at the time
 * limit), and a waiting request leaves the queue. Before, a query whose client had gone ran on until its time limit
 * and held its process and memory: two such queries of 234 MB each were still running 8 s after their clients
 * aborted, and limits-resources.test.ts's memory pair kept one for 90 s.
 *
 * The time limit here (120 s) is far longer than any wait below, so a query that is only stopped at its limit fails
 * the test. The slow queries are a scan of range(1e13), which DuckDB interrupts, and levenshtein over two
 * 60,000-character strings, one scalar call that does not look at interrupts (so its process has to be stopped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { waitFor } from '../../test/helpers/poll.js';
import { writeSampleLake } from '../../test/helpers/sample-lake.js';
import { descendants, type ServeProcess, startServe } from '../../test/helpers/serve-process.js';

const SCAN = 'select count(*) from range(10000000000000) where range % 7 = 3';
const SCALAR = `select levenshtein(repeat('ab', 30000), repeat('ba', 30000)) as d`;
// a scan behind one scalar call of ~0.6 s (levenshtein over two 12,000-character strings; 0.58 s measured here
// alone): interrupted while the call runs, DuckDB gives up only once it has returned
const SLOW_TO_STOP = `select count(*) from range(10000000000000) r
  where r.range % 7 = (select levenshtein(repeat('ab', 6000), repeat('ba', 6000)))`;
let lake: LakeFixture;
let server: ServeProcess;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  // --no-schedule: the scheduler's first tick, which catches up the last hour as the server starts, ran its checks in
  // the server process while the first query below was being interrupted (npm test of the 7 December, two other test
  // files beside it); the process's "done" came after the 2 s grace and it was replaced. What is tested here is the
  // pool, not how a loaded server shares its CPU with the scheduler.
  server = await startServe(
    ['--lake-dir', lake.dir, '--query-timeout', '120s', '--max-queries', '1', '--no-schedule'],
    { TICKLAKE_LOG_LEVEL: 'info' },
  );
});
afterAll(async () => {
  await server?.close();
  lake?.close();
});

interface Queries {
  running: number;
  queued: number;
  processes: number;
  idle: number;
}

async function queries(): Promise<Queries> {
  return ((await (await fetch(`${server.base}/health`)).json()) as { queries: Queries }).queries;
}

/** Sends `sql` with a controller the test aborts; the outcome is only logged (the client is gone by then). */
function send(sql: string): AbortController {
  const client = new AbortController();
  fetch(`${server.base}/api/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql }),
    signal: client.signal,
  }).catch(() => {});
  return client;
}

async function answer(sql: string): Promise<number> {
  const r = await fetch(`${server.base}/api/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql }),
  });
  await r.arrayBuffer();
  return r.status;
}

/**
 * Sends `sql`, closes the connection once it runs, waits until nothing runs, and has the next query answered; returns
 * the server's descendants (its query processes) as they were while `sql` ran, and the ms from the close until
 * nothing ran.
 */
async function abortWhileRunning(sql: string): Promise<{ before: number[]; stoppedAfterMs: number }> {
  const client = send(sql);
  await waitFor('the query running', async () => (await queries()).running === 1, { timeoutMs: 60_000 });
  const before = descendants(server.pid);
  const closed = Date.now();
  client.abort();
  await waitFor('no query running', async () => (await queries()).running === 0, { timeoutMs: 20_000 });
  const stoppedAfterMs = Date.now() - closed;
  expect(await answer('select 42')).toBe(200);
  return { before, stoppedAfterMs };
}

describe('a client that closes its connection', () => {
  it('running, a query DuckDB interrupts: it is stopped and the process takes the next query', async () => {
    const { before } = await abortWhileRunning(SCAN);
    // interrupted, not killed: the same process ran the next query
    expect(descendants(server.pid)).toEqual(before);
    expect(server.stderr()).toContain('TL_API_CLIENT_CLOSED');
  }, 120_000);

  // The flake of the 6 December: the process was killed 250 ms after the interrupt, sooner than a loaded
  // machine's round trip (cancel, DuckDB noticing, "done" read by the server); it was replaced, so the test saw
  // other pids. Measured beside a test run: 10-170 ms for the scan above; this query takes ~0.6 s alone.
  // What the pool promises is the grace, not a machine fast enough: on a machine so busy that the call's 0.6 s of
  // CPU take longer than the 2 s docs/api.md ("Limits") gives (seen at a load average of 8 on 2 cores), the process
  // may be replaced, but never before those 2 s have passed.
  it('running, a query that takes ~0.6 s to give up after the interrupt: its process is not killed before the grace', async () => {
    // only this query's log lines: the server's log is shared by the tests of this file
    const logFrom = server.stderr().length;
    const { before, stoppedAfterMs } = await abortWhileRunning(SLOW_TO_STOP);
    const kept = JSON.stringify(descendants(server.pid)) === JSON.stringify(before);
    if (kept) expect(server.stderr().slice(logFrom)).not.toContain('did not stop when asked');
    else expect(stoppedAfterMs).toBeGreaterThanOrEqual(2000);
  }, 120_000);

  it('running, a scalar call that ignores interrupts: its process is stopped and replaced', async () => {
    const { before } = await abortWhileRunning(SCALAR);
    expect(descendants(server.pid).some((p) => before.includes(p))).toBe(false);
  }, 120_000);

  it('waiting, behind a running query (--max-queries 1): it leaves the queue, the running one goes on', async () => {
    const running = send(SCAN);
    await waitFor('the scan running', async () => (await queries()).running === 1, { timeoutMs: 60_000 });
    const waiting = send('select 1');
    await waitFor('one request waiting', async () => (await queries()).queued === 1, { timeoutMs: 20_000 });
    waiting.abort();
    await waitFor('none waiting', async () => (await queries()).queued === 0, { timeoutMs: 20_000 });
    expect((await queries()).running).toBe(1);
    running.abort();
    await waitFor('no query running', async () => (await queries()).running === 0, { timeoutMs: 20_000 });
  }, 120_000);
});

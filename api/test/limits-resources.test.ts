/**
 * Memory and temporary disk are bounded per query and in total (issue 21 item 7), measured from outside on a real
 * `ticklake serve`: the server process and its query processes are sampled every 20 ms through /proc (anonymous
 * resident memory, RssAnon), and the server's temporary directory (TMPDIR, where every scratch directory lives)
 * through its file sizes.
 *
 * Limits of the server: --query-memory-limit 300MB, --memory-limit 400MB, --query-temp-limit 16MB,
 * --temp-limit 20MB (a second server for the memory pair: --query-memory-limit 400MB). The probes:
 * - `select repeat('x', 2000000000)` (one 2 GB value: DuckDB builds it outside its memory_limit and does not look
 *   at interrupts meanwhile; it peaked at 4.88 GB before) fails with TL_SQL_MEMORY;
 * - two queries each holding 200 MB of strings, fine alone, exceed the total together: the larger is stopped
 *   with TL_API_BUSY;
 * - a DISTINCT over 4 million hashes that spills (one 10 s query spilled 868 MB before) fails with
 *   TL_SQL_TEMP_SPACE;
 * - a Parquet export of ~22 MB fails with TL_SQL_TEMP_SPACE; two of ~12 MB, the first one held in the scratch
 *   directory by a client that does not read it, exceed the total together: the larger is stopped.
 * After each, the measured maxima stay within the limits plus what grows between two samples.
 *
 * The time limit (--query-timeout 90s) only has to be longer than the probes take on a loaded machine: beside the
 * suite and a CPU hog (load 20 on 2 cores) the spilling DISTINCT did not reach 16 MB of spill files within 20 s.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { waitFor } from '../../test/helpers/poll.js';
import { writeSampleLake } from '../../test/helpers/sample-lake.js';
import { descendants, procStatus, type ServeProcess, startServe } from '../../test/helpers/serve-process.js';

const MB = 1e6;
const QUERY_MEMORY = 300 * MB;
const TOTAL_MEMORY = 400 * MB;
const QUERY_TEMP = 16 * MB;
const TOTAL_TEMP = 20 * MB;
/**
 * What can grow between two samples of the server's watchdog (25 ms) and ours (20 ms), at least. On a loaded
 * machine both sample late (a 2-core machine at load 10 ran the watchdog ~100 ms apart, and two queries finished
 * building their strings in between: 477 MB against 448): the bound is then the fastest growth our sampler saw
 * times its longest gap plus the watchdog's period (Peaks.slack).
 */
const MEMORY_SLACK = 48 * MB;
const WATCH_MS = 25;
const TEMP_SLACK = 8 * MB;

/** A server under test and its temporary directory (TMPDIR: where its query processes' scratch directories are). */
interface Target {
  server: ServeProcess;
  tmp: string;
}

let lake: LakeFixture;
let main: Target;

async function serve(queryMemory: string): Promise<Target> {
  const tmp = mkdtempSync(join(tmpdir(), 'tl-limits-tmp-'));
  const args = ['--lake-dir', lake.dir, '--query-timeout', '90s', '--max-rows', '10000000'];
  args.push('--query-memory-limit', queryMemory, '--memory-limit', '400MB');
  args.push('--query-temp-limit', '16MB', '--temp-limit', '20MB');
  return { server: await startServe(args, { TMPDIR: tmp }), tmp };
}

async function stop(t: Target | undefined): Promise<void> {
  await t?.server.close();
  if (t) rmSync(t.tmp, { recursive: true, force: true });
}

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  main = await serve('300MB');
});
afterAll(async () => {
  await stop(main);
  lake?.close();
});

function dirBytes(dir: string): number {
  let total = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const n of names) {
    try {
      const st = statSync(join(dir, n));
      total += st.isDirectory() ? dirBytes(join(dir, n)) : st.size;
    } catch {
      /* removed meanwhile */
    }
  }
  return total;
}

interface Peaks {
  /** Largest RssAnon of one query process. */
  query: number;
  /** Largest sum of RssAnon over the query processes. */
  total: number;
  /** Largest temp usage under TMPDIR. */
  temp: number;
  /** Largest RssAnon of the server process itself. */
  server: number;
  /** Memory the query processes can add before the watchdog acts, on this machine now (MEMORY_SLACK above). */
  slack: number;
}

/** Samples every 20 ms while `work` runs. */
async function measured<T>(work: () => Promise<T>, on = main): Promise<{ result: T; peaks: Peaks }> {
  const { server, tmp } = on;
  const peaks: Peaks = { query: 0, total: 0, temp: 0, server: 0, slack: MEMORY_SLACK };
  let last: { at: number; total: number } | undefined;
  let maxGapMs = 0;
  let maxRate = 0; // bytes per ms
  const sample = () => {
    const mems = descendants(server.pid).map((p) => procStatus(p)?.rssAnon ?? 0);
    const total = mems.reduce((a, b) => a + b, 0);
    const at = performance.now();
    if (last && at > last.at) {
      maxGapMs = Math.max(maxGapMs, at - last.at);
      maxRate = Math.max(maxRate, (total - last.total) / (at - last.at));
    }
    last = { at, total };
    peaks.slack = Math.max(MEMORY_SLACK, maxRate * (maxGapMs + WATCH_MS));
    peaks.query = Math.max(peaks.query, ...mems);
    peaks.total = Math.max(peaks.total, total);
    peaks.temp = Math.max(peaks.temp, dirBytes(tmp));
    peaks.server = Math.max(peaks.server, procStatus(server.pid)?.rssAnon ?? 0);
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await work();
    sample();
    return { result, peaks };
  } finally {
    clearInterval(timer);
  }
}

async function ask(
  sql: string,
  format = 'json',
  signal?: AbortSignal,
  on = main,
): Promise<{ status: number; code?: string; message?: string }> {
  const r = await fetch(`${on.server.base}/api/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql, format }),
    signal,
  });
  if (r.ok) {
    await r.arrayBuffer();
    return { status: r.status };
  }
  const body = (await r.json()) as { error: { code: string; message: string } };
  return { status: r.status, code: body.error.code, message: body.error.message };
}

async function health(on = main): Promise<{ queries: { running: number; idle: number; processes: number } }> {
  return (await fetch(`${on.server.base}/health`)).json() as Promise<{
    queries: { running: number; idle: number; processes: number };
  }>;
}

const exportOf = (rows: number) => `select md5(range::varchar) || md5((range + 1)::varchar) as h from range(${rows})`;

describe('memory and temporary disk limits, measured on the server processes', () => {
  it('a 2 GB value: TL_SQL_MEMORY, the query process stays within --query-memory-limit', async () => {
    const { result, peaks } = await measured(() => ask("select repeat('x', 2000000000) as s"));
    expect([result.status, result.code]).toEqual([400, 'TL_SQL_MEMORY']);
    expect(result.message).toContain('300MB (--query-memory-limit)');
    expect(peaks.query, JSON.stringify(peaks)).toBeLessThanOrEqual(QUERY_MEMORY + peaks.slack);
    expect(peaks.total, JSON.stringify(peaks)).toBeLessThanOrEqual(TOTAL_MEMORY + peaks.slack);
    expect(peaks.server).toBeLessThan(300 * MB); // the result never reached the server process
    // the stopped process was the only one: another is started at once, not when the next request waits for it
    await waitFor('a query process ready again, before any request', async () => (await health()).queries.idle >= 1, {
      timeoutMs: 60_000,
    });
    // the server answers normally afterwards
    expect((await ask('select count(*) from ticks')).status).toBe(200);
  }, 150_000);

  it('a query that spills: TL_SQL_TEMP_SPACE, its spill files stay within --query-temp-limit', async () => {
    const { result, peaks } = await measured(() =>
      ask('select count(*) from (select distinct md5(range::varchar) from range(4000000))'),
    );
    expect([result.status, result.code]).toEqual([400, 'TL_SQL_TEMP_SPACE']);
    expect(peaks.temp).toBeLessThanOrEqual(QUERY_TEMP + TEMP_SLACK);
    expect(dirBytes(main.tmp)).toBeLessThan(MB); // and the spill files are gone
  }, 150_000);

  it('a Parquet export larger than --query-temp-limit: TL_SQL_TEMP_SPACE before any byte is sent', async () => {
    const { result, peaks } = await measured(() => ask(exportOf(600_000), 'parquet'));
    expect([result.status, result.code]).toEqual([400, 'TL_SQL_TEMP_SPACE']);
    expect(peaks.temp).toBeLessThanOrEqual(QUERY_TEMP + TEMP_SLACK);
  }, 150_000);

  it('two exports within their own limit but over --temp-limit together: the larger is stopped', async () => {
    const { result, peaks } = await measured(async () => {
      // the first export is written, and then held in the scratch directory: its client does not read it
      const first = await fetch(`${main.server.base}/api/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: exportOf(330_000), format: 'parquet' }),
      });
      expect(first.status).toBe(200);
      const second = await ask(exportOf(330_001), 'parquet');
      const firstBody = await first.arrayBuffer().then(
        () => 'complete',
        () => 'cut',
      );
      return { second, firstBody };
    });
    // the first file was the larger when the second one grew past the total: its response is cut
    expect(result).toEqual({ second: { status: 200 }, firstBody: 'cut' });
    expect(peaks.temp).toBeLessThanOrEqual(TOTAL_TEMP + TEMP_SLACK);
  }, 150_000);
});

/**
 * Holds 20 strings of 10 MB until stopped: 200 MB in DuckDB's buffer pool, under its memory_limit (60 % of
 * --query-memory-limit 400MB: 240 MB), so DuckDB neither evicts nor spills them. Measured on the pair's server, each
 * pair held 20 s (two rounds quiet, three beside six CPU hogs): 248–279 MB RssAnon per process, 516–558 MB for the
 * pair, so one stays 120 MB under --query-memory-limit and a pair goes 116 MB over --memory-limit.
 *
 * Before, the pair ran under --query-memory-limit 300MB (DuckDB's limit 180 MB) with 16 strings: 208–239 MB per
 * process, the part over 160 MB of strings being what DuckDB and its allocator had not yet given back, so a pair was
 * only 20–70 MB over 400 MB, and beside the suite and a CPU hog neither process once reached it (408 after 90 s,
 * twice).
 */
const HOLD = `select count(*) from (select repeat('x', 10000000) || range::varchar as s from range(20)) a,
  range(10000000000000) b where length(a.s) > 0`;
const PAIR_QUERY_MEMORY = 400 * MB;

describe('memory of all queries, on a server of --query-memory-limit 400MB', () => {
  let pair: Target;
  beforeAll(async () => {
    pair = await serve('400MB');
  });
  afterAll(async () => {
    await stop(pair);
  });

  it('two queries within their own limit but over --memory-limit together: the larger is stopped', async () => {
    // a warm-up pair makes the server start a second query process; the pair below is sent once both are ready.
    // (A process that finished `select 1` takes `select 2` while the second one is still starting, and on a loaded
    // machine that start outlasted the time limit, 20 s then: one query ran alone and timed out, 408.)
    // The pair overlaps only if the second request arrives before the first query ends: on a loaded machine this
    // process sent it later, the one process took both in turn, no second one was started, and the wait below
    // never ended (/health said 1 process, 1 idle, for 150 s; 3 of 8 runs beside start.test.ts). So a pair of
    // queries that last is sent again until two processes are idle.
    const warm = 'select count(*) from range(30000000) where range % 7 = 0';
    await waitFor(
      'two idle query processes',
      async () => {
        const q = (await health(pair)).queries;
        if (q.idle >= 2) return true;
        if (q.processes === q.idle)
          await Promise.all([ask(warm, 'json', undefined, pair), ask(warm, 'json', undefined, pair)]); // none starting or running
        return false;
      },
      { timeoutMs: 120_000, everyMs: 100 },
    );
    const before = (await health(pair)).queries;
    const client = new AbortController();
    // what each query process held, every 250 ms, and what /health said: printed if the answer is not the expected
    const trace: string[] = [];
    const tracer = setInterval(() => {
      const mems = descendants(pair.server.pid).map((p) => `${p}:${Math.round((procStatus(p)?.rssAnon ?? 0) / MB)}`);
      trace.push(`${(performance.now() - t0).toFixed(0)}ms ${mems.join(' ')}`);
    }, 250);
    const t0 = performance.now();
    const { result, peaks } = await measured(async () => {
      const both = [ask(HOLD, 'json', client.signal, pair), ask(HOLD, 'json', client.signal, pair)];
      for (const p of both) p.catch(() => {});
      const first = await Promise.race(both);
      // the other one runs on: its client gives up instead, which stops it too (api/test/client-closed.test.ts)
      const { queries } = await health(pair);
      client.abort();
      return { first, running: queries.running, queries };
    }, pair).finally(() => clearInterval(tracer));
    const seen = JSON.stringify({
      first: result.first,
      before,
      after: result.queries,
      peaks,
      trace: trace.length > 48 ? [...trace.slice(0, 40), '…', ...trace.slice(-8)] : trace,
      server: pair.server.stderr().slice(-3000),
    });
    expect([result.first.status, result.first.code], seen).toEqual([503, 'TL_API_BUSY']);
    expect(result.first.message).toContain('400MB of memory (--memory-limit)');
    expect(result.running).toBe(1);
    expect(peaks.total, seen).toBeLessThanOrEqual(TOTAL_MEMORY + peaks.slack);
    expect(peaks.query, seen).toBeLessThanOrEqual(PAIR_QUERY_MEMORY);
  }, 150_000);
});

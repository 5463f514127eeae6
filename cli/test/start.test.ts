/**
 * `ticklake start` end to end, as a user runs it: a subprocess in a temporary directory, the URLs line, live ticks,
 * bars and valuations through the HTTP API, the README tour's commands (a report over HTTP, kcat -L against the
 * embedded broker), Ctrl-C (SIGINT, exit 0), a second start that resumes, and then, read straight from the lake
 * with a separate DuckDB:
 *   - no duplicate (symbol, window, window_start) and, per symbol, consecutive 2s bars exactly 2 s apart across
 *     the restart (no gap);
 *   - the ticks of every symbol are exactly the beginning of one uninterrupted simulation with the same seed,
 *     start and step (the exchanges resumed their event clock, prices and random streams, nothing lost or repeated).
 * Short windows and a fast rate keep it around a minute; the defaults are checked cheaply at the end.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../broker/index.js';
import { parseCommandLine } from '../../core/config.js';
import { Simulator } from '../../producers/simulator.js';
import { DEFAULT_UNIVERSE_FILE, loadUniverse } from '../../producers/universe.js';
import { createDatabase, queryMysql, startTestMysql, testMysqlAvailable } from '../../test/helpers/mysql.js';
import { waitFor } from '../../test/helpers/poll.js';
import { requireTool } from '../../test/helpers/tools.js';
import { stepIntervalMs } from '../start/run.js';

const BIN = new URL('../bin.js', import.meta.url).pathname;
const RATE = 290; // 29 symbols trading every step: one step per 100 ms of event time
// no history (history/backfill.ts; cli/test/start-history.test.ts): the checks below compare every tick with one live simulation
const ARGS = [
  '--port',
  '0',
  '--broker-port',
  '0',
  '--rate',
  String(RATE),
  '--windows',
  '2s,10s',
  // no scheduler: its hourly model needs 1m bars, which 2s,10s does not make (start refuses that: cli/test/windows.test.ts)
  '--no-schedule',
  '--history',
  '0',
  '--history-intraday',
  '0',
];
// The lake compactor runs every second with no settle time, so bar files are merged while the processor writes and
// the exact bar checks below also show that compaction neither loses nor repeats a row.
const ARGS2 = [
  '--lateness',
  '500ms',
  '--batch-interval',
  '500ms',
  '--compact-every',
  '1s',
  '--settle',
  '0',
  '--min-files',
  '2',
];
const kcat = requireTool('kcat');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
  urls: { dashboard: string; docs: string; kafka: string };
}

async function startTicklake(cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [BIN, 'start', '--data-dir', join(cwd, 'data'), ...ARGS, ...ARGS2], {
    cwd,
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exited = false;
  void exit.then(() => {
    exited = true;
  });
  for (;;) {
    const m = /^ticklake urls: dashboard=(\S+) docs=(\S+) kafka=(\S+)$/m.exec(out);
    if (m)
      return { child, stdout: () => out, stderr: () => err, exit, urls: { dashboard: m[1], docs: m[2], kafka: m[3] } };
    if (exited) throw new Error(`ticklake start exited before printing its URLs:\n${out}\n${err}`);
    await sleep(100);
  }
}

async function query<T = Record<string, unknown>>(base: string, sql: string): Promise<T[]> {
  const res = await fetch(new URL('/api/query', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql }),
  });
  const body = (await res.json()) as { rows?: T[]; error?: unknown };
  if (!res.ok) throw new Error(`query failed: ${JSON.stringify(body)}`);
  return body.rows ?? [];
}

/** How the tests below wait for the pipeline: a query that fails (no file of the table yet) is asked again. */
const POLL = { timeoutMs: 150_000, everyMs: 250, retryErrors: true };

async function stop(run: Run): Promise<number | null> {
  run.child.kill('SIGINT');
  return run.exit;
}

describe('ticklake start', () => {
  let dir: string;
  const runs: Run[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-start-'));
  });
  afterAll(async () => {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    // a killed start leaves its private mariadbd behind
    const pidFile = join(dir, 'data', 'mysql', 'mysqld.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the pipeline, stops on SIGINT, resumes with no gap or duplicate in bars and ticks', async () => {
    // first run: live data arrives through the API
    const r1 = await startTicklake(dir);
    runs.push(r1);
    expect(r1.stdout()).toContain(`dashboard  ${r1.urls.dashboard}`);
    expect(r1.stdout()).toMatch(/API docs {3}http:\/\/127\.0\.0\.1:\d+\/docs/);
    const base = r1.urls.dashboard;
    let api = base;
    const n = async (sql: string) => Number((await query<{ n: number }>(api, sql))[0].n);
    await waitFor('ticks', async () => (await n('select count(*)::int as n from ticks')) > 0, POLL);
    await waitFor(
      '2s bars',
      async () => (await n(`select count(*)::int as n from bars where "window" = '2s'`)) >= 29 * 3,
      POLL,
    );
    await waitFor('valuations', async () => (await n('select count(*)::int as n from valuations')) > 0, POLL);

    // the tour: API docs, a report over HTTP, kcat against the embedded broker
    expect((await fetch(r1.urls.docs)).status).toBe(200);
    // over the lake's shortest window, 2s (it used to filter on 1m and answer an empty table here)
    const report = await fetch(new URL('/api/reports/vwap-volatility?format=csv', base));
    expect(report.status).toBe(200);
    const lines = (await report.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^symbol,window,bars,/);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.split(',')[1] === '2s')).toBe(true);
    if (kcat) {
      const meta = execFileSync(kcat, ['-b', r1.urls.kafka, '-L', '-t', 'ticks'], { encoding: 'utf8' });
      expect(meta).toMatch(/topic "ticks" with 3 partitions/);
      const first = execFileSync(kcat, ['-b', r1.urls.kafka, '-C', '-t', 'ticks', '-c', '5', '-q', '-f', '%s\n'], {
        encoding: 'utf8',
      });
      const tail = first.split('\n').filter(Boolean);
      expect(tail).toHaveLength(5);
      for (const line of tail) expect(JSON.parse(line)).toMatchObject({ v: 1, symbol: expect.any(String) });
    }
    const q = await query<{ n: number }>(base, 'select count(*)::int as n from ticks');
    expect(q[0].n).toBeGreaterThan(0);

    expect(await stop(r1)).toBe(0);
    expect(r1.stdout()).toContain('stopped cleanly');
    const lake = join(dir, 'data', 'lake');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const read = async (sql: string) => (await db.runAndReadAll(sql)).getRows();
    const bars = `read_parquet('${lake}/bars/**/*.parquet', hive_partitioning = true)`;
    const lastBefore = Number(
      (await read(`select max(epoch_ms(window_start)) from ${bars} where "window" = '2s'`))[0][0],
    );

    // the tour's one-shot SQL over the lake agrees with a direct read of the Parquet files
    const csv = execFileSync(
      process.execPath,
      [BIN, 'sql', `select symbol, count(*) as bars from bars where "window" = '2s' group by all order by symbol`],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, TICKLAKE_LAKE_DIR: lake, TICKLAKE_FORMAT: 'csv' } },
    );
    const direct = await read(
      `select symbol, count(*) from ${bars} where "window" = '2s' group by all order by symbol`,
    );
    expect(csv.trim().split('\n')).toEqual(['symbol,bars', ...direct.map((r) => `${r[0]},${r[1]}`)]);

    // second run: more bars after the restart
    const r2 = await startTicklake(dir);
    runs.push(r2);
    api = r2.urls.dashboard;
    await waitFor(
      'bars after the restart',
      async () =>
        (await n(`select min(c)::int as n from (select count(*) as c from bars
           where "window" = '2s' and epoch_ms(window_start) > ${lastBefore} group by symbol)`)) >= 4,
      POLL,
    );
    // the compactor merges bar files of the open date while the pipeline runs (its manifest records the merges);
    // tick files within a minute of a partition's newest batch are never merged, so this short run merges none.
    // Waited for rather than assumed after a fixed amount of work: on a loaded machine (a suite run at load
    // average 24) the second run reached its 4 bars before the compactor's first merge, and the check failed.
    const manifests = () =>
      readdirSync(join(lake, 'bars'), { recursive: true }).filter((f) => String(f).endsWith('.compacted.json')).length;
    await waitFor('a compaction while the pipeline runs', () => manifests() > 0, POLL);
    expect(await stop(r2)).toBe(0);
    expect(manifests()).toBeGreaterThan(0);

    // no duplicate key, no gap: consecutive 2s bars of each symbol are 2000 ms apart, but for windows all of whose
    // ticks came late
    const dup = await read(`select symbol, "window", window_start, count(*) from ${bars}
      group by all having count(*) > 1 limit 5`);
    expect(dup).toEqual([]);
    const steps = await read(`select symbol, step, count(*)::int from (
        select symbol, epoch_ms(window_start) - lag(epoch_ms(window_start)) over (partition by symbol order by window_start) as step
        from ${bars} where "window" = '2s') where step is not null group by all order by all`);
    const symbols = new Set(steps.map((r) => r[0]));
    expect(symbols.size).toBe(29);
    for (const r of steps) expect(Number(r[1]) % 2000, String(r[0])).toBe(0);
    // a missing 2s bar is one whose every tick came after the window closed (--lateness 500ms: on a starved machine
    // one exchange's ticks can reach the processor that late); the processor keeps those in late_ticks. Any other
    // missing bar is a gap: the restart lost something
    const late = existsSync(join(lake, 'late_ticks'))
      ? `select distinct symbol, (epoch_ms(ts) // 2000) * 2000 as m
         from read_parquet('${lake}/late_ticks/**/*.parquet', hive_partitioning = true) where "window" = '2s'`
      : 'select null::varchar as symbol, null::bigint as m where false';
    const gaps = await read(`with b as (select symbol, epoch_ms(window_start) as w from ${bars} where "window" = '2s'),
        g as (select symbol, w, lead(w) over (partition by symbol order by w) as nxt from b),
        missing as (select symbol, unnest(range(w + 2000, nxt, 2000)) as m from g where nxt - w > 2000)
      select symbol, m from missing anti join (${late}) l using (symbol, m) order by all limit 5`);
    expect(gaps).toEqual([]);
    const span =
      await read(`select symbol, min(epoch_ms(window_start)) < ${lastBefore} and max(epoch_ms(window_start)) > ${lastBefore}
      from ${bars} where "window" = '2s' group by symbol having not (min(epoch_ms(window_start)) < ${lastBefore} and max(epoch_ms(window_start)) > ${lastBefore})`);
    expect(span).toEqual([]); // every symbol's bars cross the restart

    // ticks: per symbol exactly the start of one uninterrupted simulation
    const ticks =
      await read(`select symbol, epoch_ms(ts)::bigint, price, size from read_parquet('${lake}/ticks/**/*.parquet')
      order by symbol, ts`);
    const first = Math.min(...ticks.map((t) => Number(t[1])));
    const universe = await loadUniverse(DEFAULT_UNIVERSE_FILE);
    const all = universe.exchanges.flatMap((x) => x.symbols);
    const sim = new Simulator(all, { seed: '1', start: first, tickIntervalMs: 100 });
    const bySymbol = new Map<string, string[]>();
    for (const t of ticks) {
      const k = String(t[0]);
      if (!bySymbol.has(k)) bySymbol.set(k, []);
      bySymbol.get(k)?.push(`${t[1]} ${t[2]} ${t[3]}`);
    }
    const expected = new Map<string, string[]>();
    const need = (s: string) => (expected.get(s)?.length ?? 0) < (bySymbol.get(s)?.length ?? 0);
    while (all.some((s) => need(s.symbol))) {
      const m = sim.next();
      if (!m) break;
      const t = sim.tick();
      if (!expected.has(t.symbol)) expected.set(t.symbol, []);
      expected.get(t.symbol)?.push(`${t.ts} ${t.price} ${t.size}`);
    }
    expect(bySymbol.size).toBe(29);
    // the simulation ran until every symbol had as many ticks as the lake: compare each symbol's prefix (ticks still
    // unconsumed at the last stop are missing at the end only; anything lost or repeated before would shift it)
    for (const [symbol, got] of bySymbol) {
      expect({ symbol, got }).toEqual({ symbol, got: expected.get(symbol)?.slice(0, got.length) });
    }
    db.closeSync();
  }, 240_000);

  it('uses TICKLAKE_BROKERS and TICKLAKE_MYSQL_URL instead of its own broker and MySQL', async (ctx) => {
    // without mariadbd the test is reported as skipped, with this reason (under CI=true it fails: see requireTool)
    ctx.skip(!testMysqlAvailable(), 'mariadbd is not installed (apt-get install mariadb-server)');
    const other = await mkdtemp(join(tmpdir(), 'tl-start-ext-'));
    const broker = await startBroker({ dataDir: join(other, 'kafka'), port: 0, groupInitialRebalanceDelayMs: 0 });
    const my = await startTestMysql();
    try {
      const url = await createDatabase(my.url, 'start_external');
      const r = await startTicklake(other, { TICKLAKE_BROKERS: broker.address, TICKLAKE_MYSQL_URL: url });
      runs.push(r);
      expect(r.urls.kafka).toBe(broker.address);
      expect(r.stdout()).toContain('(external cluster)');
      expect(r.stdout()).toContain('(TICKLAKE_MYSQL_URL)');
      expect(r.stdout()).not.toContain(url.split('@')[0]); // the password is not printed
      const n = async (sql: string) => Number((await query<{ n: number }>(r.urls.dashboard, sql))[0].n);
      await waitFor(
        '2s bars',
        async () => (await n(`select count(*)::int as n from bars where "window" = '2s'`)) >= 29,
        POLL,
      );
      expect(await stop(r)).toBe(0);
      // nothing of its own: no broker log, no private MySQL
      expect(existsSync(join(other, 'data', 'broker'))).toBe(false);
      expect(existsSync(join(other, 'data', 'mysql'))).toBe(false);
      // the ticks went to the given cluster, the bars to the given MySQL (all delivered on a clean stop)
      const admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets('ticks');
      await admin.disconnect();
      expect(offsets.reduce((a, o) => a + Number(o.high), 0)).toBeGreaterThan(0);
      const db = await (await DuckDBInstance.create(':memory:')).connect();
      const lakeBars = Number(
        (
          await db.runAndReadAll(
            `select count(*) from read_parquet('${join(other, 'data', 'lake')}/bars/**/*.parquet', hive_partitioning = true)`,
          )
        ).getRows()[0][0],
      );
      db.closeSync();
      const [row] = await queryMysql<{ n: number }>(url, 'SELECT count(*) AS n FROM bars');
      expect(Number(row.n)).toBe(lakeBars);
      expect(lakeBars).toBeGreaterThanOrEqual(29);
    } finally {
      await my.close();
      await broker.close();
      await rm(other, { recursive: true, force: true });
    }
  }, 120_000);

  // that a start without MySQL says so in one line: cli/test/start-history.test.ts (its start has none)

  it('defaults: a laptop-sized live market with short and long windows', () => {
    const c = parseCommandLine('start', [], {});
    expect(c.str('dataDir')).toBe('./data');
    expect(c.num('produceRate')).toBe(100);
    expect(c.list('windows')).toEqual(['10s', '1m', '1h', '1d']);
    expect(c.num('apiPort')).toBe(8080);
    expect(c.num('embeddedBrokerPort')).toBe(9092);
    expect(c.list('brokers')).toEqual([]);
    // 29 symbols trading every step at 100 ticks/s: a step every 290 ms of event time
    expect(stepIntervalMs(new Array(29).fill(1), 100)).toBe(290);
    expect(stepIntervalMs(new Array(29).fill(1), RATE)).toBe(100);
  });
});

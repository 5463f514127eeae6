/**
 * A fresh `ticklake start` has history (history/backfill.ts): with the defaults (two years of daily history, intraday
 * since yesterday) every shipped report returns rows through the HTTP API, as the README tour promises. Also:
 *  - compact: every partition directory of the daily history holds one file (the stream processor wrote one per
 *    batch, window and Kafka partition: 4,425 files for two years);
 *  - one price path: AAPL (a GBM without jumps) moves far less than 1% from one tick to the next, intraday and live,
 *    and from the last daily close to the first intraday tick;
 *  - made once: a second start of the same data dir says so and makes none;
 *  - without MySQL (TICKLAKE_PRIVATE_MYSQL=false), the banner says in one line that the sink is off and how to turn it
 *    on, and no private MySQL is made (this start is the suite's one without MySQL: start.test.ts's other starts
 *    have one, and a start of its own for this line cost a whole pipeline).
 *
 * The tour's commands run one after another: run side by side (to stop the start, which spends ~0.3 CPU-s a second
 * on its live market, sooner), the API's query of the first one passed its 30 s limit on a loaded machine.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, expect, it } from 'vitest';
import { SqlCatalog } from '../../lake/sql-catalog.js';

const BIN = new URL('../bin.js', import.meta.url).pathname;
const children: ChildProcess[] = [];
let dir = '';

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function start(cwd: string): Promise<{ child: ChildProcess; out: () => string; api: string; kafka: string }> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--broker-port', '0'], {
    cwd,
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', TICKLAKE_PRIVATE_MYSQL: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  for (;;) {
    const m = /^ticklake urls: dashboard=(\S+) .*kafka=(\S+)/m.exec(out);
    if (m) return { child, out: () => out, api: m[1], kafka: m[2] };
    if (child.exitCode !== null) throw new Error(`start exited:\n${out}\n${err}`);
    await sleep(200);
  }
}

/**
 * The commands of the README tour's sh blocks, as written: continuation lines joined, comments dropped. They are run
 * with the README's default addresses replaced by the test start's (it listens on random ports).
 */
function tourCommands(): string[] {
  const text = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const from = text.indexOf('\n## A tour');
  const section = text.slice(from, text.indexOf('\n## ', from + 5));
  const commands: string[] = [];
  for (const [, block] of section.matchAll(/```sh\n([\s\S]*?)\n\s*```/g)) {
    const lines = block.split('\n').map((l) => l.trim());
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i];
      while (line.endsWith('\\')) line = `${line.slice(0, -1).trim()} ${lines[++i]}`;
      line = line.replace(/\s{2,}#.*$/, '').trim();
      if (line) commands.push(line);
    }
  }
  return commands;
}

/** Runs one tour command in `cwd` with bash, `npx ticklake` being this checkout's bin. */
function runTour(command: string, cwd: string, api: string, kafka: string) {
  const npx = `npx() { if [ "$1" = ticklake ]; then shift; "${process.execPath}" "${BIN}" "$@"; else command npx "$@"; fi; }`;
  const line = command.replaceAll('http://127.0.0.1:8080', api.replace(/\/$/, '')).replaceAll('127.0.0.1:9092', kafka);
  const env: NodeJS.ProcessEnv = { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' };
  delete env.TICKLAKE_LAKE_DIR;
  const r = spawnSync('bash', ['-c', `${npx}\n${line}`], {
    cwd,
    env,
    encoding: 'utf8',
    input: '.tables\n', // what the shell line gets typed into it; the other commands ignore stdin
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  return exit;
}

it('a fresh start has history: every shipped report returns rows, in one file per partition, one price path', async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-start-history-'));
  const r = await start(dir);
  expect(r.out()).toMatch(/^ {2}history {4}daily since \d{4}-\d\d-\d\d \(\d+ files\), intraday since .* made in/m);
  // without MySQL (TICKLAKE_PRIVATE_MYSQL=false, no URL), one line says the sink is off and how to turn it on
  expect(
    r
      .out()
      .split('\n')
      .filter((l) => /MySQL/.test(l)),
  ).toEqual([
    '  MySQL      off (--no-private-mysql); set TICKLAKE_MYSQL_URL=mysql://user:pass@host:3306/db to use a server',
  ]);

  // every report, with a value for each required parameter (a day of the intraday history)
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const empty: string[] = [];
  // the market's reports: those over the market's tables and views (reports over other pipelines' tables — SEC
  // filings, retail uploads — need their own loads and are not part of the simulated market)
  const marketSql = /\b(from|join)\s+(bars\w*|ticks|anomalies|valuations|nav_daily|closes_daily)\b/;
  const market = SqlCatalog.load('report')
    .list()
    .filter((r) => marketSql.test(r.sql.replace(/--.*$/gm, '')));
  expect(market.length).toBeGreaterThanOrEqual(12); // the 11 of the issue and daily-closes
  for (const report of market) {
    const q = new URLSearchParams();
    for (const p of report.params)
      if (p.required) q.set(p.name, p.type === 'date' ? yesterday : p.name === 'symbol' ? 'AAPL' : '1');
    let rows = 0;
    // the daily history is in the lake before the banner; the intraday part is being processed: poll (bounded by
    // the test's timeout, no timing assertion)
    for (let i = 0; i < 240 && rows === 0; i++) {
      const res = await fetch(new URL(`/api/reports/${report.name}?${q}`, r.api));
      const body = (await res.json()) as { rows?: unknown[] };
      rows = body.rows?.length ?? 0;
      if (rows === 0) await sleep(500);
    }
    if (rows === 0) empty.push(report.name);
  }
  expect(empty).toEqual([]);
  // the README tour's history commands, as written (the CLI finds the lake through ./data/ticklake.json)
  const navStats = spawnSync(process.execPath, [BIN, 'report', 'nav-stats', '--format', 'csv'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
  });
  expect({ status: navStats.status, stderr: navStats.stderr }).toEqual({ status: 0, stderr: '' });
  expect(navStats.stdout.split('\n')[0]).toBe('portfolio_id,days,first_day,last_day,mean_nav,stddev_nav');
  expect(navStats.stdout.trim().split('\n').length).toBeGreaterThan(1);
  const risk = await (await fetch(new URL('/api/reports/portfolio-risk?format=csv', r.api))).text();
  expect(risk.trim().split('\n').length).toBeGreaterThan(1);

  // the whole README tour, every command of its sh blocks as written, against this start
  const tour = tourCommands();
  expect(tour.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
    "curl -s 'http://127.0.0.1:8080/api/reports/vwap-volatility?format=csv'",
    'curl -s http://127.0.0.1:8080/api/query',
    'npx ticklake report',
    "curl -s 'http://127.0.0.1:8080/api/reports/portfolio-risk?format=csv'",
    'npx ticklake sql',
    'npx ticklake shell',
    'kcat -b 127.0.0.1:9092',
    'kcat -b 127.0.0.1:9092',
  ]);
  const ran = tour.map((c) => ({ command: c, ...runTour(c, dir, r.api, r.kafka) }));
  for (const t of ran) expect({ command: t.command, code: t.code, stderr: t.stderr }).toMatchObject({ code: 0 });
  const csvRows = (out: string) => out.trim().split('\n').slice(1);
  const [vwap, query, navTable, riskCsv, bars10s, shell, meta, first5] = ran.map((t) => t.stdout);
  expect(vwap.split('\n')[0]).toMatch(/^symbol,/);
  expect(csvRows(vwap).length).toBeGreaterThan(0);
  expect(Number((JSON.parse(query) as { rows: { n: number | string }[] }).rows[0].n)).toBeGreaterThan(1000);
  expect(navTable.split('\n').filter((l) => l.startsWith('|')).length).toBeGreaterThan(2); // header and rows
  expect(csvRows(riskCsv).length).toBeGreaterThan(0);
  expect(bars10s.split('\n')[0]).toBe('symbol,bars');
  const perSymbol = csvRows(bars10s).map((l) => l.split(','));
  expect(perSymbol.length).toBeGreaterThan(5);
  for (const [symbol, n] of perSymbol) expect({ symbol, positive: Number(n) > 0 }).toEqual({ symbol, positive: true });
  expect(shell).toMatch(/\bticks\b/);
  expect(shell).toMatch(/\bbars\b/);
  expect(meta).toMatch(/topic "ticks" with 3 partitions/);
  const ticks5 = first5.trim().split('\n');
  expect(ticks5).toHaveLength(5);
  for (const t of ticks5)
    expect(JSON.parse(t)).toMatchObject({ symbol: expect.any(String), price: expect.any(Number) });
  expect(await stop(r.child)).toBe(0);
  expect(existsSync(join(dir, 'data', 'mysql'))).toBe(false); // no private MySQL was made

  // compact: one file per partition directory of the daily history (dates before the intraday part)
  const lake = join(dir, 'data', 'lake');
  const files = readdirSync(lake, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.parquet'));
  const history = files.filter((f) => /\/h-backfill-\d+\.parquet$/.test(f));
  expect(history.length).toBeGreaterThan(2 * 500); // 1d bars and 1d valuations of ~520 weekdays, and anomalies
  const perDir = new Map<string, number>();
  for (const f of history)
    perDir.set(f.slice(0, f.lastIndexOf('/')), (perDir.get(f.slice(0, f.lastIndexOf('/'))) ?? 0) + 1);
  expect([...perDir.values()].filter((n) => n !== 1)).toEqual([]);
  expect(new Set(history.map((f) => f.split('/')[0]))).toEqual(new Set(['bars', 'anomalies', 'valuations']));

  // one price path: the intraday ticks and the live ticks continue each other (AAPL moves ~0.04% a minute: a restart
  // from the start price or a lost path would be a jump of percents), and the intraday part continues the last
  // daily close (no time passes at that hand-over)
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const read = async (sql: string) => (await db.runAndReadAll(sql)).getRowsJS();
  const ticks = `read_parquet('${lake}/ticks/**/*.parquet')`;
  const [[jump, n]] = await read(`select max(abs(ln(price / prev))), count(*) from (
      select price, lag(price) over (order by ts, kafka_offset) as prev from ${ticks} where symbol = 'AAPL')`);
  expect(Number(n)).toBeGreaterThan(1000);
  expect(Number(jump)).toBeLessThan(0.01);
  const [[seam]] = await read(`select abs(ln(
      (select arg_min(price, ts) from ${ticks} where symbol = 'AAPL') /
      (select arg_max(close, window_start) from read_parquet('${lake}/bars/window=1d/**/h-backfill-*.parquet')
       where symbol = 'AAPL')))`);
  expect(Number(seam)).toBeLessThan(0.01);
  db.closeSync();

  // made once
  const again = await start(dir);
  expect(again.out()).toMatch(/^ {2}history {4}daily since \d{4}-\d\d-\d\d, made on the first start/m);
  expect(again.out()).not.toContain('making the market');
  expect(await stop(again.child)).toBe(0);
}, 300_000);

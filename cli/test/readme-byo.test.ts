/**
 * The README's "Bring your own data" section, run as written against a live `ticklake start` in the same directory:
 * the block is read from README.md and each command run by bash (`npx ticklake` → this checkout's bin). The start
 * listens on random ports, so the commands can only reach it through its run file (./data/ticklake.json): no flags.
 * Expected values are computed here from the CSV rows of the README (bars per window by the epoch-aligned grid,
 * volumes with the fractional BTC-like sizes, the day's first and last price). Then, beyond the README: a feed of
 * current trades replayed without flags reaches the running pipeline (on time, fractional size kept).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const BIN = new URL('../bin.js', import.meta.url).pathname;
const README = new URL('../../README.md', import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let dir: string;
let child: ChildProcess;

/** The section's sh block, cut into units: a heredoc (up to its EOF line) or one command line. */
function readmeUnits(): string[] {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Bring your own data'));
  const block = /```sh\n([\s\S]*?)\n```/.exec(section.slice(0, section.indexOf('\n## ', 5)))?.[1];
  if (!block) throw new Error('README.md: no sh block in "Bring your own data"');
  const units: string[] = [];
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /<<'(\w+)'$/.exec(lines[i]);
    if (heredoc) {
      const end = lines.indexOf(heredoc[1], i + 1);
      units.push(lines.slice(i, end + 1).join('\n'));
      i = end;
    } else if (lines[i].trim()) units.push(lines[i]);
  }
  return units;
}

/** The rows of a printed table (`| a | b |` lines after the header), as trimmed cells. */
function table(out: string): string[][] {
  const lines = out.split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(1).map((l) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim()),
  );
}

function bash(unit: string): { code: number; stdout: string; stderr: string } {
  const npx = `npx() { if [ "$1" = ticklake ]; then shift; "${process.execPath}" "${BIN}" "$@"; else command npx "$@"; fi; }`;
  const env: NodeJS.ProcessEnv = { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' };
  delete env.TICKLAKE_LAKE_DIR;
  delete env.TICKLAKE_BROKERS;
  const r = spawnSync('bash', ['-c', `${npx}\n${unit}`], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-readme-byo-'));
  // `npm start` in the directory, on random ports, without history (not needed here; cli/test/start-history.test.ts)
  child = spawn(
    process.execPath,
    [BIN, 'start', '--port', '0', '--broker-port', '0', '--history', '0', '--history-intraday', '0'],
    {
      cwd: dir,
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', TICKLAKE_PRIVATE_MYSQL: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  while (!/^ticklake urls:/m.test(out)) {
    if (child.exitCode !== null) throw new Error(`start exited: ${out}`);
    await sleep(200);
  }
  // the pipeline is live: its watermark is in the run file
  for (;;) {
    const run = JSON.parse(readFileSync(join(dir, 'data', 'ticklake.json'), 'utf8')) as { watermark?: number | null };
    if (typeof run.watermark === 'number') break;
    await sleep(500);
  }
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exit = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exit;
  }
  await rm(dir, { recursive: true, force: true });
});

it('runs the README section as written: import, a report and SQL over the imported bars, a refused replay', () => {
  const units = readmeUnits();
  expect(units.map((u) => u.split(' ').slice(0, 3).join(' '))).toEqual([
    'cat > my-trades.csv',
    'npx ticklake import',
    'npx ticklake report',
    'npx ticklake sql',
    'npx ticklake replay',
  ]);
  const [heredoc, imp, report, sql, replay] = units;
  expect(bash(heredoc).code).toBe(0);

  // the trades, read here from the file the README made
  const rows = readFileSync(join(dir, 'my-trades.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const [ts, symbol, price, size] = l.split(',');
      return { ts: Date.parse(`${ts.replace(' ', 'T')}Z`), symbol, price: Number(price), size: Number(size) };
    });
  const symbols = [...new Set(rows.map((r) => r.symbol))].sort();

  const i = bash(imp);
  expect(i.code).toBe(0);
  expect(i.stdout).toContain(`import: ${rows.length} ticks of ${symbols.length} symbol(s) (${symbols.join(', ')})`);

  // top-movers of 2026-01-06: first and last price of the day per symbol
  const r = bash(report);
  expect(r.code).toBe(0);
  const movers = new Map(table(r.stdout).map((c) => [c[0], c.slice(1).map(Number)]));
  for (const s of symbols) {
    const day = rows.filter((x) => x.symbol === s && new Date(x.ts).toISOString().startsWith('2026-01-06'));
    const [open, close, pct, volume] = movers.get(s) ?? [];
    expect([open, close]).toEqual([day[0].price, day.at(-1)!.price]);
    expect(pct).toBeCloseTo((day.at(-1)!.price / day[0].price - 1) * 100, 9);
    expect(volume).toBeCloseTo(
      day.reduce((a, x) => a + x.size, 0),
      9,
    );
  }

  // bars per window and their volume (fractions kept), by the epoch-aligned grid
  const q = bash(sql);
  expect(q.code).toBe(0);
  const windows: [string, number][] = [
    ['10s', 10_000],
    ['1d', 86_400_000],
    ['1h', 3_600_000],
    ['1m', 60_000],
  ];
  const got = table(q.stdout).map(([s, w, bars, volume]) => [s, w, Number(bars), Number(Number(volume).toFixed(9))]);
  const want = symbols.flatMap((s) =>
    windows.map(([w, ms]) => {
      const mine = rows.filter((x) => x.symbol === s);
      const volume = mine.reduce((a, x) => a + x.size, 0);
      return [s, w, new Set(mine.map((x) => Math.floor(x.ts / ms))).size, Number(volume.toFixed(9))];
    }),
  );
  expect(got).toEqual(want);

  // replay of history into the running pipeline: refused, loudly, with the way to do it, nothing sent
  const p = bash(replay);
  expect(p.code).toBe(1);
  expect(p.stderr).toMatch(/is at event time .*; every tick of my-trades\.csv .* is older/);
  expect(p.stderr).toContain('npx ticklake import --file my-trades.csv');
  expect(p.stderr).toContain('[TL_DATA_LATE]');
  const late = bash(`npx ticklake sql "select count(*) as n from late_ticks where symbol like 'MYCO%'" --format csv`);
  expect(late.stdout).toBe('n\n0\n');

  // importing the same file again adds nothing, and says why
  const again = bash(imp);
  expect(again.code).toBe(0);
  expect(again.stderr).toContain('the lake already has bars of: MYCO 2026-01-05, MYCO 2026-01-06, MYCOIN 2026-01-06');
  expect(again.stdout).toContain('import: 0 ticks of 0 symbol(s)');
}, 180_000);

it('a feed of current trades replayed without flags reaches the running start, on time, fractional sizes kept', async () => {
  const t0 = Date.now() + 2000;
  writeFileSync(
    join(dir, 'live.csv'),
    ['ts,symbol,price,size,asset_class', ...[0, 1, 2].map((k) => `${t0 + k * 500},LIVEX,${100 + k},0.25,crypto`)].join(
      '\n',
    ),
  );
  const r = bash('npx ticklake replay --file live.csv');
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/to the Kafka 127\.0\.0\.1:\d+ of the ticklake start running in .*\/data \(pid \d+\)/);
  let out = '';
  for (let i = 0; i < 120 && !out.includes('3,0.75,0'); i++) {
    await sleep(500);
    out = bash(
      `npx ticklake sql "select (select count(*) from ticks where symbol = 'LIVEX') as n, (select sum(size) from ticks where symbol = 'LIVEX') as size, (select count(*) from late_ticks where symbol = 'LIVEX') as late" --format csv`,
    ).stdout;
  }
  expect(out).toBe('n,size,late\n3,0.75,0\n');
}, 120_000);

/**
 * `ticklake shell` driven as a user would: through a pipe (scripts) and through a pseudo-terminal (util-linux
 * `script`), on the fixed lake of test/helpers/sample-lake.ts.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { BARS_1M, writeSampleLake } from '../../test/helpers/sample-lake.js';
import { requireTool } from '../../test/helpers/tools.js';

const BIN = new URL('../bin.js', import.meta.url).pathname;
let lake: LakeFixture;
let home: string;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  home = mkdtempSync(join(tmpdir(), 'ticklake-shell-home-'));
});
afterAll(() => {
  lake?.close();
  rmSync(home, { recursive: true, force: true });
});

function piped(input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'shell', '--lake-dir', lake.dir], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent', HOME: home },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('ticklake shell through a pipe', () => {
  it('runs multi-line statements ended by ";", dot-commands and modes; output is clean for scripts', async () => {
    const r = await piped(
      [
        'select symbol,',
        '       count(*) as bars',
        "from bars where symbol = 'MSFT'",
        'group by symbol;',
        '.mode csv',
        "select 'a;b' as s; select 2 as two;",
        '.mode json',
        '.report top-movers day=2026-01-06 limit=1',
        '.mode table',
        '.schema ticks',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const msft = BARS_1M.filter((b) => b.symbol === 'MSFT').length;
    expect(r.stdout).toContain(
      ['+--------+------+', '| symbol | bars |', '+--------+------+', `| MSFT   |    ${msft} |`].join('\n'),
    );
    expect(r.stdout).toContain('s\na;b\ntwo\n2\n');
    expect(r.stdout).toContain('"symbol":"AAPL","open":11.1,"close":12');
    expect(r.stdout).toMatch(/\| kafka_offset +\| BIGINT +\|/);
    expect(r.stdout).not.toContain('ticklake>');
  });

  it('.tables, .reports, .checks and .timer', async () => {
    const r = await piped(
      '.tables\n.reports\n.timer on\nselect 1 as one;\n.timer off\n.checks\n.mode csv\n.report hourly-kpis symbol=MSFT from="2026-01-06 00:00" to=\'2026-01-07\'\n',
    );
    expect(r.stdout).toMatch(/^MSFT,2026-01-06T10:00:00Z,401,410,400,409,20,/m);
    expect(r.stdout).toMatch(/\| bars_1h +\| view +\|/);
    expect(r.stdout).toMatch(/\| top-movers +\| Top movers of a day +\| day:date limit\?:integer +\|/);
    expect(r.stdout).toMatch(/Run Time: \d+\.\d{3} s/);
    expect(r.stdout).toMatch(/\| ohlc-consistency +\| FAIL +\| +1 \|/);
    expect(r.code).toBe(0);
  });

  it('an error goes to stderr, the next statement still runs, and the exit code is 1', async () => {
    const r = await piped('select * from nope;\nselect 42 as answer;\n.report top-movers\n');
    expect(r.stderr).toContain('Table with name nope does not exist');
    expect(r.stderr).toContain('Parameter day: required date parameter is missing [TL_API_BAD_PARAM]');
    expect(r.stdout).toMatch(/\| answer \|\n\+-+\+\n\| +42 \|/);
    expect(r.code).toBe(1);
  });

  it('a last statement without ";" still runs at the end of the input', async () => {
    const r = await piped('select 7 as seven');
    expect(r.stdout).toMatch(/\| +7 \|/);
  });
});

describe('ticklake shell in a pseudo-terminal', () => {
  const script = requireTool('script', ['/usr/bin/script']);
  // a test that fails (or times out) mid-way leaves no shell behind: `script` killed, the pty closes, the shell ends
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  /** Starts the shell under `script`, which gives it a pty; `waitFor` reads the terminal output. */
  function pty(): { child: ChildProcess; out: () => string; waitFor: (re: RegExp, from?: number) => Promise<void> } {
    const cmd = `${process.execPath} ${BIN} shell --lake-dir ${lake.dir} --history-file ${join(home, 'hist')}`;
    const child = spawn(script!, ['-qfec', cmd, '/dev/null'], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent', TERM: 'xterm', COLUMNS: '200' },
    });
    started.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const waitFor = (re: RegExp, from = 0) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (re.test(out.slice(from))) {
            child.stdout!.off('data', check);
            child.off('close', onClose);
            resolve();
          }
        };
        const onClose = () => reject(new Error(`shell ended before ${re}; output:\n${out}`));
        child.stdout!.on('data', check);
        child.on('close', onClose);
        check();
      });
    return { child, out: () => out, waitFor };
  }

  it.skipIf(!script)(
    'prompts, continues a statement over lines, recalls history with the up arrow, .quit exits',
    async () => {
      const { child, out, waitFor } = pty();
      await waitFor(/ticklake> /);
      child.stdin!.write('select 40 +\r');
      await waitFor(/\.\.\.> /);
      child.stdin!.write('2 as answer;\r');
      await waitFor(/\| +42 \|[\s\S]*ticklake> /);
      child.stdin!.write('select 6 * 7 as again;\r');
      await waitFor(/\| again \|[\s\S]*ticklake> /);
      const mark = out().length;
      child.stdin!.write('\x1b[A'); // up arrow recalls the last line; Enter runs it again
      child.stdin!.write('\r');
      await waitFor(/\| again \|[\s\S]*\| +42 \|[\s\S]*ticklake> /, mark);
      child.stdin!.write('.quit\r');
      const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
      expect(code).toBe(0);
      expect(out()).toContain('ticklake shell: views over the lake are loaded');
      expect(out()).toContain('| answer |');
      // history file holds both statements as typed, for the next session
      const history = readFileSync(join(home, 'hist'), 'utf8');
      expect(history).toContain('select 40 + 2 as answer;');
      expect(history.match(/select 6 \* 7 as again;/g)).toHaveLength(2);
      expect(history).toContain('.quit');
    },
  );
  it.skipIf(!script)('Ctrl-C discards a half-typed statement and the shell stays open (psql, duckdb CLI)', async () => {
    const { child, out, waitFor } = pty();
    await waitFor(/ticklake> /);
    child.stdin!.write('select 1 as one\r');
    await waitFor(/\.\.\.> /);
    child.stdin!.write('\x03');
    let mark = out().length;
    await waitFor(/\^C\r?\n[\s\S]*ticklake> /, mark - 5);
    // typed but not entered: Ctrl-C clears it too
    child.stdin!.write('select 3 as three');
    child.stdin!.write('\x03');
    mark = out().length;
    child.stdin!.write('select 2 as two;\r');
    await waitFor(/\| two \|[\s\S]*ticklake> /, mark);
    expect(out().slice(mark)).not.toMatch(/\| (one|three) \||Error/);
    child.stdin!.write('.quit\r');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(0);
    expect(out()).not.toMatch(/\| one \|/);
  });

  it.skipIf(!script)('Ctrl-C cancels a long statement; the shell stays open and runs the next one', async () => {
    const { child, out, waitFor } = pty();
    await waitFor(/ticklake> /);
    // 10^10 rows: minutes of work
    child.stdin!.write('select sum(a.range * b.range) as s from range(100000) a, range(100000) b;\r');
    await new Promise((r) => setTimeout(r, 1500));
    const mark = out().length;
    child.stdin!.write('\x03');
    await waitFor(/Cancelled \(Ctrl-C\)[\s\S]*ticklake> /, mark);
    expect(child.exitCode).toBeNull();
    child.stdin!.write('select 5 as five;\r');
    await waitFor(/\| five \|[\s\S]*ticklake> /, mark);
    child.stdin!.write('.quit\r');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(0);
  });

  it.skipIf(!script)('Tab completes dot-commands, table and view names and columns', async () => {
    const { child, out, waitFor } = pty();
    await waitFor(/ticklake> /);
    // readline completes only a Tab typed on its own (a Tab inside pasted text is text): one key at a time, each
    // awaited on the terminal (which shows the completed text from `mark`, where the line began)
    let mark = out().length;
    const type = async (text: string, shown: RegExp) => {
      child.stdin!.write(text);
      await waitFor(shown, mark);
    };
    await type('.sch', /\.sch/);
    await type('\t', /\.schema $/);
    await type('late_t', /\.schema late_t/);
    await type('\t', /\.schema late_ticks/);
    child.stdin!.write('\r');
    await waitFor(/\| watermark +\| TIMESTAMP[\s\S]*ticklake> /, mark);
    mark = out().length;
    await type('select count(*) as n from nav_d', /nav_d/);
    await type('\t', /from nav_daily/);
    child.stdin!.write(';\r');
    await waitFor(/\| n +\|[\s\S]*ticklake> /, mark);
    mark = out().length;
    await type('select bars.window_sta', /window_sta/);
    await type('\t', /select bars\.window_start/);
    child.stdin!.write(" as first from bars where symbol = 'MSFT' order by 1 limit 1;\r");
    await waitFor(/\| +first +\|[\s\S]*2026-01-05[\s\S]*ticklake> /, mark);
    child.stdin!.write('.quit\r');
    await new Promise((resolve) => child.on('close', resolve));
  });
});

describe('one-shot commands', () => {
  const run = promisify(execFile);
  const tl = (...args: string[]) =>
    run(process.execPath, [BIN, ...args, '--lake-dir', lake.dir], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent' },
    });

  it('ticklake sql prints table, csv and json', async () => {
    const q = "select symbol, count(*) as n from bars where symbol = 'AAPL' group by symbol";
    const n = BARS_1M.filter((b) => b.symbol === 'AAPL').length;
    expect((await tl('sql', q)).stdout).toContain(`| AAPL   | ${n} |`);
    expect((await tl('sql', q, '--format', 'csv')).stdout).toBe(`symbol,n\nAAPL,${n}\n`);
    expect(JSON.parse((await tl('sql', q, '--format', 'json')).stdout)).toEqual([{ symbol: 'AAPL', n }]);
  });

  it('ticklake sql refuses a second statement (as the API does) instead of printing only the last result', async () => {
    const r = await tl('sql', 'select 1 as a; select 2 as b').catch((e) => e);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/2 statements given; ticklake sql runs exactly one .*\[TL_SQL_FORBIDDEN\]/);
  });

  it('ticklake sql reads the statement from stdin', async () => {
    const out = await new Promise<{ code: number; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'sql', '--lake-dir', lake.dir, '--format', 'csv'], {
        env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent' },
      });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout }));
      child.stdin.end("select count(*) as n\nfrom bars where symbol = 'AAPL';\n");
    });
    expect(out).toEqual({ code: 0, stdout: `n\n${BARS_1M.filter((b) => b.symbol === 'AAPL').length}\n` });
  });

  it('ticklake --version (and COMMAND --version) prints the version of package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const args of [['--version'], ['-V'], ['shell', '--version']]) {
      const { stdout } = await run(process.execPath, [BIN, ...args]);
      expect(stdout).toMatch(new RegExp(`^ticklake ${pkg.version.replaceAll('.', '\\.')} \\(node v\\d+`));
    }
  });

  it('report parameters are written the same way on the command line and in the shell: NAME k=v', async () => {
    const cli = await tl('report', 'top-movers', 'day=2026-01-06', 'limit=1', '--format', 'csv');
    const flag = await tl('report', 'top-movers', '--param', 'day=2026-01-06', '--param', 'limit=1', '--format', 'csv');
    const sh = await piped('.mode csv\n.report top-movers day=2026-01-06 limit=1\n');
    expect(cli.stdout.split('\n')[1]).toMatch(/^AAPL,11.1,12,/);
    expect(flag.stdout).toBe(cli.stdout);
    expect(sh.stdout).toBe(cli.stdout);
    const bad = await tl('report', 'top-movers', 'day').catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Parameter day: expected name=value');
  });

  it('ticklake report without a name lists the catalog', async () => {
    const { stdout } = await tl('report', '--format', 'csv');
    expect(stdout.split('\n')).toContain('top-movers,Top movers of a day,day:date limit?:integer,1m|1d');
  });

  it('ticklake report NAME --param k=v; a bad parameter exits 1 naming it', async () => {
    const r = await tl('report', 'top-movers', '--param', 'day=2026-01-06', '--param', 'limit=1', '--format', 'csv');
    expect(r.stdout.split('\n')[1]).toMatch(/^AAPL,11.1,12,/);
    const bad = await tl('report', 'top-movers', '--param', 'day=soon').catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Parameter day: expected a date YYYY-MM-DD, got "soon" [TL_API_BAD_PARAM]');
  });

  it('ticklake check exits 1 when a check fails and 0 when the selected ones pass', async () => {
    const failing = await tl('check', 'ohlc-consistency').catch((e) => e);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^FAIL {2}ohlc-consistency/);
    const json = await tl('check', 'ohlc-consistency', '--format', 'json').catch((e) => e);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        name: 'ohlc-consistency',
        passed: false,
        violations: 1,
        rows: [
          {
            symbol: 'MSFT',
            window: '1m',
            window_start: '2026-01-07T10:01:00Z',
            open: 392,
            high: 391,
            low: 390,
            close: 391,
          },
        ],
      },
    ]);
    const ok = await tl(
      'check',
      'freshness',
      'price-bounds',
      '--param',
      'now=2026-01-07 11:00',
      '--param',
      'max_ratio=3',
    );
    expect(ok.stdout).toBe('PASS  freshness  Ticks are fresh\nPASS  price-bounds  Prices within per-symbol bounds\n');
  });

  it('ticklake views --print prints plain SQL naming every view', async () => {
    const { stdout } = await tl('views', '--print');
    for (const v of ['ticks', 'bars', 'anomalies', 'valuations', 'late_ticks', 'rejected', 'bars_1h', 'nav_daily']) {
      expect(stdout).toMatch(new RegExp(`create or replace view "?${v}"? as`));
    }
    expect(stdout).toContain(`read_parquet('${lake.dir}/bars/**/*.parquet'`);
  });
});

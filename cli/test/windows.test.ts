/**
 * The bar windows a SQL file needs, in the real CLI (issue 22, "a hidden contract"; docs/reports.md, "Windows"):
 * - `ticklake start --windows 5m,1d` refuses to start, before it creates anything, because the scheduled model
 *   sql/models/hourly_symbol_stats.sql needs 1m bars; the message names the file, the window, --windows and the fix.
 *   A user's own scheduled model in --sql-dir is held to its `-- requires_window:` line the same way.
 * - `ticklake report` over a lake made with --windows 5m,1d refuses a report needing 1m (it used to print no rows),
 *   runs one the 1d bars satisfy, and lists each report's windows.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { UserSqlDir } from '../../test/helpers/user-sql-dir.js';
import { QUARTER_VOLUME_CHECK, windowLake } from '../../test/helpers/window-lake.js';

const BIN = new URL('../bin.js', import.meta.url).pathname;
const run = promisify(execFile);
let lake: LakeFixture;
let sql: UserSqlDir;
let dir: string;

beforeAll(async () => {
  lake = await windowLake();
  sql = UserSqlDir.create('tl-windows-cli-');
  dir = sql.dir;
  sql.write('checks-only/checks', 'quarter-volume', QUARTER_VOLUME_CHECK);
  sql.write(
    'sql/models',
    'quarter_stats',
    [
      '-- title: Quarter-hour bar count',
      '-- description: How many 15m bars the hour has',
      '-- schedule: hourly',
      '-- requires_window: 15m',
      '-- param: interval_start  timestamp  optional  First instant of the hour',
      '-- param: interval_end    timestamp  optional  End of the hour',
      'select count(*) as n from bars where "window" = \'15m\'',
      '  and window_start >= $interval_start and window_start < $interval_end',
      '',
    ].join('\n'),
  );
});
afterAll(() => {
  lake?.close();
  sql?.remove();
});

/** Runs the CLI; a command that does not end within 60 s (a start that was not refused) is killed. */
async function tl(args: string[]) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent' },
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
    return { code: 0 as number | null, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number | null; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const START = ['start', '--port', '0', '--broker-port', '0', '--no-private-mysql', '--history', '0'];

describe('ticklake start with --windows that cannot serve a scheduled file', () => {
  it('refuses --windows 5m,1d before creating anything, naming the model, the window and the fix', async () => {
    const data = join(dir, 'data-5m');
    const r = await tl([...START, '--data-dir', data, '--windows', '5m,1d']);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull(); // ended by itself, not killed after the time limit
    expect(r.stderr).toContain('TL_CONFIG_WINDOWS_UNMET');
    expect(r.stderr).toContain(
      '--windows 5m,1d cannot serve sql/models/hourly_symbol_stats.sql (scheduled hourly): it needs bars of window 1m ' +
        '(sql/models/hourly_symbol_stats.sql:9); add 1m to --windows, or run without the scheduler (--no-schedule)',
    );
    expect(existsSync(data)).toBe(false);
  }, 90_000);

  it("holds a user's own scheduled model in --sql-dir to its requires_window line", async () => {
    const data = join(dir, 'data-1m');
    const r = await tl([...START, '--data-dir', data, '--windows', '1m,1d', '--sql-dir', join(dir, 'sql')]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(
      /--windows 1m,1d cannot serve \S*sql\/models\/quarter_stats\.sql \(scheduled hourly\): it needs bars of window 15m \(\S*quarter_stats\.sql:4\)/,
    );
    expect(existsSync(data)).toBe(false);
  }, 90_000);
});

describe('ticklake report over a lake made with --windows 5m,1d', () => {
  it('refuses a report that needs 1m, naming it and the lake windows, instead of printing no rows', async () => {
    const r = await tl(['report', 'hourly-kpis', '--lake-dir', lake.dir, '--format', 'csv']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('TL_SQL_WINDOW_MISSING');
    expect(r.stderr).toContain(
      'report hourly-kpis needs bars of window 1m (sql/views/bars_1h.sql:5 through view bars_1h); the lake has bars of 5m, 1d',
    );
  });

  it('runs a report the 1d bars satisfy, and lists the windows each report needs', async () => {
    const r = await tl(['report', 'top-movers', 'day=2026-01-06', '--lake-dir', lake.dir, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    // by hand from WINDOW_BARS' 1d bars of 2026-01-06: AAPL 11 → 12.1, MSFT 380 → 399 (+10 % and +5 %)
    const rows = r.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').slice(0, 3));
    expect(rows).toEqual([
      ['AAPL', '11', '12.1'],
      ['MSFT', '380', '399'],
    ]);
    const list = await tl(['report', '--lake-dir', lake.dir, '--format', 'csv']);
    expect(list.stdout).toMatch(/^top-movers,Top movers of a day,day:date limit\?:integer,1m\|1d$/m);
    expect(list.stdout).toMatch(/^hourly-kpis,Hourly market KPIs,.*,1m$/m);
    expect(list.stdout).toMatch(/^vwap-volatility,VWAP and volatility summary,.*,\$window$/m);
    expect(list.stdout).toMatch(/^nav-monthly,Monthly mean NAV,portfolio\?:varchar,$/m);
  });

  it('the shell refuses .report of such a report too', async () => {
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'shell', '--lake-dir', lake.dir], {
        env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent', HOME: dir },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', () => resolve({ stdout, stderr }));
      child.stdin.end('.mode csv\n.report vwap-volatility window=1m\n.report daily-closes symbol=MSFT\n');
    });
    expect(r.stderr).toContain(
      'report vwap-volatility needs bars of window 1m (parameter window, sql/reports/vwap-volatility.sql:9); the lake has bars of 5m, 1d',
    );
    const rows = r.stdout.trim().split('\n');
    expect(rows.slice(0, 2)).toEqual(['day,close,log_return', '2026-01-05,380,']);
    const [day, close, ret] = rows[2].split(',');
    expect([day, close, rows.length]).toEqual(['2026-01-06', '399', 3]);
    expect(Number(ret)).toBeCloseTo(Math.log(399 / 380), 12);
  });

  it('ticklake check: a named check needing a missing window is refused; in a run of all it is a SKIP', async () => {
    const sqlDir = join(dir, 'checks-only');
    const one = await tl(['check', 'quarter-volume', '--lake-dir', lake.dir, '--sql-dir', sqlDir]);
    expect(one.code).not.toBe(0);
    expect(one.stderr).toMatch(/check quarter-volume needs bars of window 15m .*the lake has bars of 5m, 1d/);
    const all = await tl(['check', '--lake-dir', lake.dir, '--sql-dir', sqlDir]);
    expect(all.stdout).toMatch(
      /^SKIP {2}quarter-volume {2}check quarter-volume needs bars of window 15m .*the lake has bars of 5m, 1d$/m,
    );
    expect(all.stdout).toMatch(/^PASS {2}ohlc-consistency/m);
  });
});

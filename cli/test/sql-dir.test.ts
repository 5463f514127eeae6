/**
 * `--sql-dir` (and TICKLAKE_SQL_DIR) for views, reports and checks in every local command (issue 20 item 9, the
 * overlay rule of lake/sql-dirs.ts): `sql`, `report`, `check`, `views --print` and `shell` see the user's files, a
 * user file replaces the bundled one of the same name, and a broken file is named with file:line while the others
 * keep working. `check --param` refuses a name no selected check declares, as the API does.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { TICKS, writeSampleLake } from '../../test/helpers/sample-lake.js';
import { UserSqlDir } from '../../test/helpers/user-sql-dir.js';

const BIN = new URL('../bin.js', import.meta.url).pathname;
let lake: LakeFixture;
let sql: UserSqlDir;
let dir: string;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  sql = UserSqlDir.create('tl-sqldir-cli-', ['views', 'reports', 'checks']);
  dir = sql.dir;
  sql.write('views', 'msft_ticks', "create view msft_ticks as select * from ticks where symbol = 'MSFT';");
  sql.write(
    'reports',
    'msft-count',
    '-- title: MSFT ticks\n-- description: How many MSFT ticks\nselect count(*) as n from msft_ticks;\n',
  );
  // replaces the bundled report of the same name
  sql.write(
    'reports',
    'top-movers',
    '-- title: My movers\n-- description: Mine\n-- param: day date required Day\nselect $day as day, 1 as mine;\n',
  );
  sql.write('reports', 'broken', '-- title: Broken\n-- description: D\n-- param: x money optional X\nselect $x;\n');
  // a check that always fails
  sql.write(
    'checks',
    'no-msft',
    '-- title: No MSFT\n-- description: Fails when there is an MSFT tick\nselect symbol from msft_ticks limit 1;\n',
  );
});
afterAll(() => {
  lake?.close();
  sql?.remove();
});

const run = promisify(execFile);

async function tl(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args, '--lake-dir', lake.dir], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent', ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const MSFT = TICKS.filter((t) => t[0] === 'MSFT').length;

describe('--sql-dir in the local commands', () => {
  it('sql (with TICKLAKE_SQL_DIR) and views --print see the user views', async () => {
    const r = await tl(['sql', '--format', 'csv', 'select count(*) as n from msft_ticks'], { TICKLAKE_SQL_DIR: dir });
    expect([r.code, r.stdout.trim()]).toEqual([0, `n\n${MSFT}`]);
    const printed = await tl(['views', '--print', '--sql-dir', dir]);
    expect(printed.stdout).toContain("create view msft_ticks as select * from ticks where symbol = 'MSFT';");
  });

  it('report: user reports listed and run, a bundled one replaced, a broken one named with file:line', async () => {
    const list = await tl(['report', '--sql-dir', dir, '--format', 'csv']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^msft-count,MSFT ticks,/m);
    expect(list.stdout).toMatch(/^top-movers,My movers,day:date,$/m); // the user file needs no window
    expect(list.stdout).not.toMatch(/^broken,/m);
    expect(list.stderr).toMatch(/broken\.sql:3: param x: unknown type "money"/);
    const mine = await tl(['report', 'top-movers', '--sql-dir', dir, '--format', 'csv', '--param', 'day=2026-01-06']);
    expect(mine.stdout.trim()).toBe('day,mine\n2026-01-06,1');
  });

  it('check: the user check runs (and fails, exit 1); a --param goes to the selected checks declaring it', async () => {
    const r = await tl(['check', 'no-msft', 'freshness', '--sql-dir', dir, '--param', 'now=2026-01-07 11:00']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}no-msft {2}No MSFT \(1 violating rows\)/m);
    expect(r.stdout).toMatch(/^PASS {2}freshness/m);
  });

  it('check --param with a name no selected check declares is refused, as in the API', async () => {
    const r = await tl(['check', 'freshness', '--param', 'max_agee=1h']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('TL_API_BAD_PARAM');
    expect(r.stderr).toContain(
      'Parameter max_agee: unknown parameter of freshness (known: max_age, now, interval_end)',
    );
  });

  it('shell: user views and reports', async () => {
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'shell', '--lake-dir', lake.dir, '--sql-dir', dir], {
        env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent', HOME: dir },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', () => resolve({ stdout, stderr }));
      child.stdin.end('.mode csv\nselect count(*) as n from msft_ticks;\n.report msft-count\n');
    });
    expect(r.stdout).toBe(`n\n${MSFT}\nn\n${MSFT}\n`);
  });
});

/**
 * `--param` through the real CLI (issue 22, "a repeatable --param"): each occurrence is one name=value, the value
 * being everything after the first `=`, commas and `=` included (a value containing `,x=y` used to split into a second
 * parameter); TICKLAKE_PARAMS holds one pair per line. The old comma form (`--param a=1,b=2`) is refused where it
 * would now be misread: when the text after a comma names another parameter of the report that is not given.
 * Also: a value outside a setting's declared choices is refused before anything runs.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = new URL('../bin.js', import.meta.url).pathname;
const run = promisify(execFile);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tl-params-'));
  for (const kind of ['lake', 'sql/reports', 'sql/checks']) mkdirSync(join(dir, kind), { recursive: true });
  writeFileSync(
    join(dir, 'sql/reports/echo.sql'),
    '-- title: Echo\n-- description: Its parameters back\n' +
      '-- param: note varchar required The note\n-- param: tag varchar optional A tag\n' +
      'select $note as note, $tag as tag;\n',
  );
  // fails (returns a row) unless it is given exactly the note below
  writeFileSync(
    join(dir, 'sql/checks/exact-note.sql'),
    '-- title: Exact note\n-- description: The note arrives whole\n-- param: note varchar optional The note\n' +
      "select $note as note where $note is distinct from 'a=1,b=2';\n",
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tl(args: string[], env: Record<string, string> = {}) {
  const base = ['--lake-dir', join(dir, 'lake'), '--sql-dir', join(dir, 'sql')];
  try {
    const r = await run(process.execPath, [BIN, ...args, ...base], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'silent', ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('--param: one name=value per flag', () => {
  it('report: a value keeps its commas and = signs', async () => {
    const r = await tl(['report', 'echo', '--format', 'json', '--param', 'note=x=1,y,z=2', '--param=tag=a,b']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([{ note: 'x=1,y,z=2', tag: 'a,b' }]);
  }, 60_000);

  it('report: TICKLAKE_PARAMS holds one pair per line', async () => {
    const r = await tl(['report', 'echo', '--format', 'json'], { TICKLAKE_PARAMS: 'note=p,q=r\ntag=s,t' });
    expect(JSON.parse(r.stdout)).toEqual([{ note: 'p,q=r', tag: 's,t' }]);
  }, 60_000);

  it('the old comma form naming another parameter is refused, saying what to write', async () => {
    const r = await tl(['report', 'echo', '--param', 'note=hello,tag=t']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'ticklake report: Invalid value for --param / TICKLAKE_PARAMS: "note=hello,tag=t" (one --param is one name=value, and "tag" is a parameter too: give it its own --param tag=...',
    );
    expect(r.stderr).toContain('[TL_CONFIG_BAD_VALUE]');
    // with tag given on its own, the text is the note
    const ok = await tl(['report', 'echo', '--format', 'json', '--param', 'note=hello,tag=t', '--param', 'tag=u']);
    expect(JSON.parse(ok.stdout)).toEqual([{ note: 'hello,tag=t', tag: 'u' }]);
  }, 60_000);

  it('check: the value arrives whole (the check fails on any other note)', async () => {
    const pass = await tl(['check', 'exact-note', '--param', 'note=a=1,b=2']);
    expect([pass.code, pass.stdout]).toEqual([0, 'PASS  exact-note  Exact note\n']);
    const fail = await tl(['check', 'exact-note', '--param', 'note=a=1']);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('FAIL  exact-note');
  }, 60_000);
});

describe('choices through the CLI', () => {
  it('a value outside the declared choices exits 2 naming the flag, the value and the choices', async () => {
    const r = await tl(['report', 'echo', '--format', 'xml', '--param', 'note=n']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'ticklake report: Invalid value for --format: "xml" (expected one of: table, csv, json) [TL_CONFIG_BAD_VALUE]\n',
    );
  }, 60_000);
});

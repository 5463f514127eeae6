/**
 * `npm test` on a machine without the Debian packages: the first step (.ci/preflight.mjs) must stop within seconds,
 * naming every missing package and the one command that installs them, instead of 15 test files failing deep
 * inside after minutes. Run here with a PATH that holds only `node` (no kcat, no dpkg-query, no apt-get, no python3),
 * which is what such a machine looks like to the check.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tl-preflight-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The package names of .ci/packages.txt, read here independently of the script. */
const listed = readFileSync(join(ROOT, '.ci/packages.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'))
  .map((l) => l.trim().split(/\s+/)[0]);

it('npm test is "preflight first": the README test command runs the check before anything else', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.test.startsWith('node .ci/preflight.mjs && ')).toBe(true);
  // .ci/run installs from the same list (one list, two readers)
  expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain('.ci/packages.txt');
  expect(listed).toEqual(expect.arrayContaining(['kcat', 'python3-kafka', 'mariadb-server', 'chromium', 'zstd']));
});

it('without the tools (and no apt-get) it stops within 10 s, naming each package and the install command', () => {
  symlinkSync(process.execPath, join(dir, 'node'));
  const r = spawnSync(join(dir, 'node'), [join(ROOT, '.ci/preflight.mjs')], {
    env: { PATH: dir, HOME: dir },
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(r.error).toBeUndefined(); // not killed by the 10 s timeout
  expect(r.status).toBe(1);
  for (const p of listed) expect(r.stderr).toMatch(new RegExp(`^  ${p.replace(/[.+]/g, '\\$&')} +\\S`, 'm'));
  expect(r.stderr).toContain(`sudo apt-get install -y ${listed.join(' ')}`);
  expect(r.stderr).toContain('.ci/packages.txt');
});

it('it also runs from a checkout reached through a symlink or a path with spaces (CI workspaces)', () => {
  // `node .ci/preflight.mjs` compared argv[1] with import.meta.url, which is the real path and %-escaped: through a
  // symlink or from a directory with a space the check silently did nothing and exited 0
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(process.execPath, join(bin, 'node'));
  const spaced = join(dir, 'my checkout');
  mkdirSync(spaced);
  cpSync(join(ROOT, '.ci'), join(spaced, '.ci'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'linked'));
  for (const script of [join(spaced, '.ci/preflight.mjs'), join(dir, 'linked/.ci/preflight.mjs')]) {
    const r = spawnSync(join(bin, 'node'), [script], {
      env: { PATH: bin, HOME: dir },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect({ script, status: r.status }).toEqual({ script, status: 1 });
    expect(r.stderr).toContain(`sudo apt-get install -y ${listed.join(' ')}`);
  }
});

it('on this machine (packages installed) it passes quietly', () => {
  const r = spawnSync(process.execPath, [join(ROOT, '.ci/preflight.mjs')], { encoding: 'utf8', timeout: 10_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

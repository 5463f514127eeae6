/**
 * cli/compiled.js: processes run a compiled mirror of the sources, made again after any change to a source, made
 * once when several processes start together, and run through tsx when it cannot be made. On a copy of the
 * repository (its own mirror, so that the checkout's is not touched).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckout, MIRRORS_DIR, mirrorsOf, removeMirrorsOf } from '../../test/helpers/checkout-copy.js';

let copy = '';
const mirrorsOfCopy = () => mirrorsOf(copy);

function ticklake(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(copy, 'cli', 'bin.js'), ...args], {
    cwd: copy,
    encoding: 'utf8',
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...env },
  });
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'ticklake-compiled-'));
  copyCheckout(copy);
});

afterAll(() => {
  if (!copy) return;
  removeMirrorsOf(copy);
  rmSync(copy, { recursive: true, force: true });
});

describe('the compiled mirror of the sources', () => {
  it('is made once by processes started together, and each of them runs', async () => {
    const runs = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
            const c = spawn(process.execPath, [join(copy, 'cli', 'bin.js'), '--version'], {
              cwd: copy,
              env: { ...process.env, TICKLAKE_COMPILE: '1' },
            });
            let out = '';
            let err = '';
            c.stdout.on('data', (d) => (out += d));
            c.stderr.on('data', (d) => (err += d));
            c.on('exit', (code) => resolve({ code, out, err }));
          }),
      ),
    );
    for (const r of runs) expect(r).toEqual({ code: 0, out: expect.stringMatching(/^ticklake \d/), err: '' });
    const mirrors = mirrorsOfCopy();
    expect(mirrors).toHaveLength(1);
    // plain JavaScript where the sources have TypeScript, their neighbours linked
    expect(readdirSync(join(mirrors[0], 'cli'))).toEqual(expect.arrayContaining(['main.js', 'main.js.map', 'bin.js']));
    expect(readdirSync(join(mirrors[0], 'cli')).some((f) => f.endsWith('.ts'))).toBe(false);
    // no half-made mirror left by the processes that lost the race
    const name = mirrors[0].slice(MIRRORS_DIR.length + 1);
    expect(readdirSync(MIRRORS_DIR).filter((n) => n.startsWith(`${name}.tmp-`))).toEqual([]);
    // the processes marked the mirror while they ran, and removed their marks as they ended
    expect(readdirSync(join(mirrors[0], '.users'))).toEqual([]);
  }, 60_000);

  it('is made again after a source changes, and the process runs the change', () => {
    expect(ticklake(['--help'], { TICKLAKE_COMPILE: '1' }).stdout).not.toContain('compiled-mirror-test');
    const before = mirrorsOfCopy();
    const help = join(copy, 'cli', 'help.ts');
    appendFileSync(help, "\nprocess.stdout.write('compiled-mirror-test\\n');\n");
    const r = ticklake(['--help'], { TICKLAKE_COMPILE: '1' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('compiled-mirror-test');
    const after = mirrorsOfCopy();
    expect(after.filter((m) => !before.includes(m))).toHaveLength(1);
  }, 60_000);

  it('leaves no compiler process behind in the process that made it', () => {
    // a process that builds a mirror and then runs on (a `ticklake start`) kept esbuild's service process, about
    // 140 MB resident, for its whole life: esbuild's synchronous API runs it from a worker thread by default
    appendFileSync(join(copy, 'cli', 'help.ts'), '\n// a change, so that the next process builds a mirror\n');
    const before = mirrorsOfCopy();
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      const { compiledRoot } = await import(${JSON.stringify(join(copy, 'cli', 'compiled.js'))});
      const root = compiledRoot();
      await new Promise((r) => setTimeout(r, 500));
      const children = readdirSync('/proc/self/task').flatMap((t) =>
        readFileSync('/proc/self/task/' + t + '/children', 'utf8').split(' ').filter(Boolean),
      );
      console.log(JSON.stringify({ root, children }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: copy, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { root: string; children: string[] };
    // it did build one (node_modules of the copy is a link to the checkout's)
    expect(
      mirrorsOfCopy()
        .filter((m) => !before.includes(m))
        .map((m) => basename(m)),
    ).toEqual([basename(out.root)]);
    expect(out.children).toEqual([]); // not even a zombie
  }, 60_000);

  it('runs the sources through tsx when it cannot be made, and a source error is named by file and line', () => {
    const command = join(copy, 'cli', 'views.ts');
    appendFileSync(command, '\nexport const broken = ;\n');
    const lines = readFileSync(command, 'utf8').split('\n').length;
    // the default: the failed compile falls back to tsx, whose error names the file
    const fallback = ticklake(['--help']);
    expect(fallback.status).not.toBe(0);
    expect(fallback.stderr).toContain('cli/views.ts');
    // TICKLAKE_COMPILE=1: esbuild's own error, with file and line
    const strict = ticklake(['--help'], { TICKLAKE_COMPILE: '1' });
    expect(strict.status).not.toBe(0);
    expect(strict.stderr).toMatch(new RegExp(`cli/views\\.ts:${lines - 1}:`));
  }, 60_000);
});

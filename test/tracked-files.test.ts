/**
 * What git tracks must stand on a fresh clone: no `node_modules` (a worktree's `node_modules` symlink to another
 * checkout was once committed, because `.gitignore` said `node_modules/`, which matches a directory only; a clone then
 * held a link into the author's machine), and no symbolic link whose target lies outside the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { isAbsolute, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const isCheckout = existsSync(join(ROOT, '.git'));

describe.skipIf(!isCheckout)('files tracked by git (needs a git checkout)', () => {
  const entries = execFileSync('git', ['ls-files', '-s'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [meta, path] = line.split('\t');
      return { mode: meta.split(' ')[0], path };
    });

  it('has no node_modules, file or link', () => {
    expect(entries.filter((e) => e.path === 'node_modules' || e.path.startsWith('node_modules/'))).toEqual([]);
  });

  it('has no symbolic link pointing outside the repository', () => {
    const outside = entries
      .filter((e) => e.mode === '120000')
      .map((e) => ({ path: e.path, target: readlinkSync(join(ROOT, e.path)) }))
      .filter(({ path, target }) => {
        if (isAbsolute(target)) return true;
        const resolved = normalize(join(ROOT, path, '..', target));
        return relative(ROOT, resolved).startsWith('..');
      });
    expect(outside).toEqual([]);
  });
});

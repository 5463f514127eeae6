/**
 * A copy of this checkout elsewhere (git's tracked files, their times kept, node_modules linked), for running
 * ticklake from another root, and the compiled mirrors (cli/compiled.js) made for such a root, which share this
 * checkout's node_modules/.cache/ticklake and should be removed with the copy: their links point into it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MIRRORS_DIR = join(ROOT, 'node_modules', '.cache', 'ticklake');

/** Copies the tracked files into `to` (modification times kept, so the copy's sources are in the same state). */
export function copyCheckout(to: string): void {
  const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    cpSync(join(ROOT, f), join(to, f), { preserveTimestamps: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'));
}

/** The finished mirrors compiled from sources under `root` (each names its sources in its marker file). */
export function mirrorsOf(root: string): string[] {
  if (!existsSync(MIRRORS_DIR)) return [];
  return readdirSync(MIRRORS_DIR)
    .filter((name) => !name.includes('.tmp-'))
    .map((name) => join(MIRRORS_DIR, name))
    .filter((d) => {
      try {
        return readFileSync(join(d, '.ticklake-compiled'), 'utf8').includes(root);
      } catch {
        return false;
      }
    });
}

/** Removes the mirrors compiled from sources under `root`. */
export function removeMirrorsOf(root: string): void {
  for (const m of mirrorsOf(root)) rmSync(m, { recursive: true, force: true });
}

/**
 * The Dockerfile's image, checked without a Docker engine: the files its COPY lines take from the build context
 * (the repository less .dockerignore, matched as Docker matches it: anchored at the root, `**` any folders) are
 * copied into a directory as the image's /app, and every command of the CLI must load there. An image that left
 * out a folder the commands import (contracts/, metrics/, registry/, scheduler/ and history/ once were) fails here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { removeMirrorsOf } from './helpers/checkout-copy.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const app = mkdtempSync(join(tmpdir(), 'ticklake-image-'));
afterAll(() => {
  removeMirrorsOf(app); // made by the run with TICKLAKE_COMPILE=1 below
  rmSync(app, { recursive: true, force: true });
});

/** A .dockerignore line as a test of a context path (Docker: filepath.Match from the root, `**` any folders). */
function ignorePattern(line: string): (path: string) => boolean {
  const glob = line.replace(/^\/+|\/+$/g, '');
  const re = new RegExp(
    `^${glob
      .split('/')
      .map((part) =>
        part === '**'
          ? '(?:[^/]+/)*'
          : `${part
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]')}/`,
      )
      .join('')
      .replace(/\/$/, '')}(?:/|$)`,
  );
  return (path) => re.test(path);
}

/** The build context: every file of the repository that .dockerignore does not leave out. */
function context(): string[] {
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  expect(ignore.some((l) => l.startsWith('!'))).toBe(false); // exceptions are not modelled here
  const tests = ignore.map(ignorePattern);
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  return files.filter((f) => !tests.some((t) => t(f)));
}

/** Runs the Dockerfile's COPY lines from the build context (no --from) into `app`, its WORKDIR; returns what it copied. */
function copyAsTheImage(): Set<string> {
  const files = context();
  const copied = new Set<string>();
  const copy = (from: string, to: string) => {
    mkdirSync(dirname(join(app, to)), { recursive: true });
    cpSync(join(ROOT, from), join(app, to));
    copied.add(to);
  };
  for (const [, line] of readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^COPY\s+(?!--)(.+)$/gm)) {
    const args = line.trim().split(/\s+/);
    const dest = (args.pop() as string).replace(/^\.\/?/, '');
    for (const src of args.map((a) => a.replace(/^\.\/|\/$/g, ''))) {
      if (src === '.') for (const f of files) copy(f, join(dest, f));
      else if (files.includes(src)) copy(src, args.length > 1 || dest.endsWith('/') ? join(dest, basename(src)) : dest);
      else for (const f of files.filter((f) => f.startsWith(`${src}/`))) copy(f, join(dest, f.slice(src.length + 1)));
    }
  }
  return copied;
}

/**
 * Every module the CLI can import: from cli/bin.js, the commands cli/main.ts finds in its folder, and the entries of
 * the consumer thread and the query processes, along the relative specifiers of static and dynamic imports.
 */
function importClosure(has: (path: string) => boolean): { modules: string[]; missing: string[] } {
  const seen = new Set<string>();
  const missing: string[] = [];
  const visit = (path: string, from: string) => {
    // the sources name their neighbours `.js`; tsx and the compiled mirror find the `.ts`
    const actual = [path, path.replace(/\.js$/, '.ts')].find(has);
    if (!actual) return void missing.push(`${path} (imported by ${from})`);
    if (seen.has(actual)) return;
    seen.add(actual);
    const text = readFileSync(join(ROOT, actual), 'utf8');
    for (const [, spec] of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'(\.{1,2}\/[^']+)'/gm)) {
      visit(join(dirname(actual), spec), actual);
    }
  };
  const entries = ['cli/bin.js', 'processors/kafka/consumer-thread.js', 'api/pool/worker-entry.js'];
  for (const f of readdirSync(join(ROOT, 'cli'))) if (f.endsWith('.ts')) entries.push(`cli/${f}`);
  for (const e of entries) visit(e, 'the image');
  return { modules: [...seen], missing };
}

it('the image holds every module the CLI can import, and every command loads there', () => {
  const copied = copyAsTheImage();
  expect([...copied].some((f) => f.includes('/test/'))).toBe(false);
  const { modules, missing } = importClosure((p) => copied.has(p));
  expect(missing).toEqual([]);
  // the closure reaches every concept's folder (a check that the walk above follows imports at all)
  expect(new Set(modules.map((m) => m.split('/')[0]))).toEqual(
    new Set([
      'api',
      'broker',
      'cli',
      'contracts',
      'core',
      'history',
      'lake',
      'metrics',
      'processors',
      'producers',
      'registry',
      'scheduler',
    ]),
  );
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  // through tsx and from the compiled mirror: `ticklake --help` imports every command's module
  for (const compile of ['0', '1']) {
    const r = spawnSync(process.execPath, [join(app, 'cli', 'bin.js'), '--help'], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, TICKLAKE_COMPILE: compile },
    });
    expect([compile, r.status, r.stderr]).toEqual([compile, 0, '']);
    expect(r.stdout).toMatch(/\bprocess\b[\s\S]*\bregistry\b[\s\S]*\bstart\b/);
  }
}, 60_000);

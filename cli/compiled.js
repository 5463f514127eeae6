// How ticklake's TypeScript runs without a build step. Every process (cli/bin.js), query process
// (api/pool/worker-entry.js) and consumer thread (processors/kafka/consumer-thread.js) starts here.
//
// The sources are compiled once with esbuild into a mirror of the repository under node_modules/.cache/ticklake/
// (one directory per state of the sources; other files are linked, so paths relative to a module still work), and
// run from there as plain JavaScript. Loading through tsx's module hooks cost each process about 0.6 CPU-s more
// (bench/HISTORY.md, "Starting a process"). When the mirror cannot be made (no esbuild, a read-only install, a
// syntax error), or TICKLAKE_COMPILE=0, the sources run through tsx as before.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root of this copy of ticklake: the repository, or a compiled mirror of it. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** A file only a compiled mirror has. */
const MARKER = '.ticklake-compiled';
/** Folders not compiled (linked as they are): tests, benchmarks, documents, data. */
const NOT_COMPILED = new Set(['data', 'test', 'test-results', 'bench', 'docs']);
/** Mirrors without a running process kept besides the one in use, newest first (switching branches back and forth). */
const KEEP = 2;

/** True when this module runs from a compiled mirror. */
export const isCompiled = existsSync(join(ROOT, MARKER));

/**
 * Makes the TypeScript sources importable in this thread: tsx's hooks when it runs the sources, nothing to do when
 * it runs a mirror (`compiled`: this module is in one, or cli/bin.js found one) but turn source maps on, as tsx
 * does, so that a stack names the lines of the .ts files.
 */
export async function loadTypeScript(compiled = isCompiled) {
  if (compiled) process.setSourceMapsEnabled(true);
  else (await import('tsx/esm/api')).register();
}

/**
 * The root to import ticklake's modules from: a compiled mirror of the sources as they are now (made when missing),
 * or undefined to run the sources through tsx (call loadTypeScript()).
 */
export function compiledRoot() {
  if (isCompiled) return ROOT;
  if (process.env.TICKLAKE_COMPILE === '0') return undefined;
  try {
    const files = sourceFiles(ROOT);
    const cache = join(ROOT, 'node_modules', '.cache', 'ticklake');
    const require = createRequire(import.meta.url);
    const version = JSON.parse(readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version;
    const target = join(cache, stateKey(files, version));
    if (!existsSync(join(target, MARKER))) {
      build(files, target, loadEsbuild(require));
      prune(cache, target);
    }
    use(target);
    return target;
  } catch (e) {
    if (process.env.TICKLAKE_COMPILE === '1') throw e;
    return undefined;
  }
}

/**
 * Every entry of the repository that runs: `{ rel, kind }` with kind 'ts' (compiled), 'js' (copied: plain
 * JavaScript modules that import their neighbours) or 'link' (a file, or a folder without TypeScript in it).
 */
function sourceFiles(root) {
  /** The entries under `rel`, or undefined when it holds no TypeScript (then it is linked whole). */
  const walk = (rel) => {
    const out = [];
    let hasTs = false;
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        const inner = NOT_COMPILED.has(e.name) ? undefined : walk(r);
        hasTs ||= inner !== undefined;
        out.push(...(inner ?? [{ rel: r, kind: 'link' }]));
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.config.ts')) {
        hasTs = true;
        out.push({ rel: r, kind: 'ts', stat: statSync(join(root, r)) });
      } else if (/\.[cm]?js$/.test(e.name)) {
        out.push({ rel: r, kind: 'js', stat: statSync(join(root, r)) });
      } else {
        out.push({ rel: r, kind: 'link' });
      }
    }
    return hasTs || rel === '' ? out : undefined;
  };
  return walk('');
}

/** Names the state of the sources: where they are, every module's path, size and modification time, the compiler, node. */
function stateKey(files, esbuildVersion) {
  const h = createHash('sha256').update(`${ROOT}\0${esbuildVersion}\0${process.version}\0`);
  for (const f of files) h.update(`${f.kind}\0${f.rel}\0${f.stat ? `${f.stat.size}\0${f.stat.mtimeMs}` : ''}\n`);
  return h.digest('hex').slice(0, 16);
}

/**
 * esbuild, with its synchronous calls run by a service process that ends with the call. By default buildSync runs
 * them through a worker thread whose service process (about 140 MB resident) then lives as long as this process:
 * a `ticklake start` that made the mirror carried it for hours. The variable is read when esbuild is loaded.
 */
function loadEsbuild(require) {
  const before = process.env.ESBUILD_WORKER_THREADS;
  process.env.ESBUILD_WORKER_THREADS = '0';
  try {
    return require('esbuild');
  } finally {
    if (before === undefined) delete process.env.ESBUILD_WORKER_THREADS;
    else process.env.ESBUILD_WORKER_THREADS = before;
  }
}

/** Compiles into a private directory, then renames it into place: concurrent starts never see half a mirror. */
function build(files, target, esbuild) {
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    esbuild.buildSync({
      entryPoints: files.filter((f) => f.kind === 'ts').map((f) => join(ROOT, f.rel)),
      outdir: tmp,
      outbase: ROOT,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    for (const f of files) {
      const to = join(tmp, f.rel);
      mkdirSync(dirname(to), { recursive: true });
      if (f.kind === 'js') cpSync(join(ROOT, f.rel), to);
      // absolute: node_modules may itself be a link (a git worktree's), which relative links would resolve against
      else if (f.kind === 'link') symlinkSync(join(ROOT, f.rel), to);
    }
    symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'));
    writeFileSync(join(tmp, MARKER), `compiled from ${ROOT}\n`);
    try {
      renameSync(tmp, target);
    } catch (e) {
      // another process put the same mirror in place first
      if (!existsSync(join(target, MARKER))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Marks the mirror as used by this process (`.users/<pid>`, removed at exit) and as recently used (its time): a
 * mirror is not removed while a process runs from it, since a module may import another long after the start.
 */
function use(dir) {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
    const mark = join(dir, '.users', String(process.pid));
    mkdirSync(dirname(mark), { recursive: true });
    writeFileSync(mark, '');
    process.once('exit', () => rmSync(mark, { force: true }));
  } catch {
    // a read-only cache (an image's) still runs; nothing removes its mirror
  }
}

/** Whether a process that marked the mirror runs still (one killed with SIGKILL left its mark). */
function inUse(dir) {
  let pids = [];
  try {
    pids = readdirSync(join(dir, '.users')).map(Number);
  } catch {
    return false;
  }
  return pids.some((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return e.code === 'EPERM';
    }
  });
}

/**
 * Removes the mirrors no running process uses, but the newest KEEP (by last use), and any half-made one older than
 * an hour (left by a build that was killed). Other processes build, rename and prune beside it: an entry may be gone
 * by the time it is looked at.
 */
function prune(cache, current) {
  const entries = readdirSync(cache)
    .map((name) => ({ d: join(cache, name), used: lastUse(join(cache, name)) }))
    .filter((e) => e.d !== current && e.used !== undefined);
  const mirrors = entries.filter((e) => !e.d.includes('.tmp-')).sort((a, b) => b.used - a.used);
  for (const { d } of mirrors.slice(KEEP)) if (!inUse(d)) rmSync(d, { recursive: true, force: true });
  const stale = Date.now() - 3_600_000;
  for (const { d } of entries.filter((e) => e.d.includes('.tmp-') && e.used < stale)) {
    rmSync(d, { recursive: true, force: true });
  }
}

/** When a mirror was last used (its time, see use()), or undefined if it is gone. */
function lastUse(dir) {
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return undefined;
  }
}

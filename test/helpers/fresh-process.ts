/**
 * An ES-module script run in a fresh node process (through tsx, from the repository's root): for checks that need a
 * process in which nothing is loaded yet, e.g. a module-cache patch that must be in place before its package loads.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface FreshRun {
  exit: number | null;
  out: string;
  err: string;
}

/** Runs `code` as an ES module (imports relative to the repository's root) and collects its exit, stdout, stderr. */
export async function runFresh(
  code: string,
  env: NodeJS.ProcessEnv = process.env,
  nodeArgs: string[] = [],
): Promise<FreshRun> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: repoRoot,
    env,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { exit, out, err };
}

/**
 * Runs `code` in a fresh process with --expose-gc (globalThis.gc() for full collections around what it measures) and
 * returns the JSON of its last line of output: for memory measurements, where nothing else the test runner loaded
 * may count.
 */
export async function measureFresh<T>(code: string): Promise<T> {
  const r = await runFresh(code, process.env, ['--expose-gc']);
  if (r.exit !== 0) throw new Error(`the measuring process exited with ${r.exit}: ${r.err}`);
  return JSON.parse(r.out.trim().split('\n').at(-1) as string) as T;
}

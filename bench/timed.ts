/**
 * Runs one `ticklake` command under GNU time and reads what the kernel counted for it: CPU (user + system, every
 * thread and waited-for child), wall time and peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const TIME = '/usr/bin/time';

export interface TimedRun {
  /** CPU seconds. */
  cpu: number;
  /** Wall seconds. */
  wall: number;
  rssMiB: number;
}

/** Fails with the reason when GNU time is missing (`bench` names the benchmark). */
export function requireGnuTime(bench: string): void {
  if (!existsSync(TIME)) throw new Error(`${bench} needs GNU time at ${TIME} (apt-get install time)`);
}

/**
 * Runs `node <root>/cli/bin.js ...args` in `root` (a checkout) with TICKLAKE_LOG_LEVEL=warn and `env`; throws with
 * its stderr on a non-zero exit.
 */
export function timedTicklake(root: string, args: readonly string[], env: Record<string, string> = {}): TimedRun {
  const r = spawnSync(TIME, ['-f', 'TIME %U %S %e %M', process.execPath, join(root, 'cli', 'bin.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...env },
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('TIME '));
  if (r.status !== 0 || !line) throw new Error(`ticklake ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const [u, s, e, m] = line.slice(5).split(' ').map(Number);
  return { cpu: u + s, wall: e, rssMiB: Math.round(m / 1024) };
}

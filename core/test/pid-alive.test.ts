import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../pid-alive.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('pidAlive', () => {
  it('is true for the current process', () => {
    expect(pidAlive(process.pid)).toBe(true);
  });

  it('is true for a running child and false once the child has exited and been reaped', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    const pid = child.pid;
    if (pid === undefined) throw new Error('spawn gave no pid');
    expect(pidAlive(pid)).toBe(true);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited; // node reaps the child (waitpid) before emitting 'exit'
    expect(pidAlive(pid)).toBe(false);
  });

  it('is true for a process that exists but may not be signalled (EPERM)', () => {
    // Asked by an unprivileged user about a root process, kill(pid, 0) fails with EPERM. As root, the question is
    // asked from a child running as `nobody` (uid 65534) about this (root) process; otherwise about pid 1.
    const root = process.getuid?.() === 0;
    const target = root ? process.pid : 1;
    const code = `import('./core/pid-alive.ts').then((m) => {
      let err = 'none';
      try { process.kill(${target}, 0); } catch (e) { err = e.code; }
      console.log(JSON.stringify({ alive: m.pidAlive(${target}), err }));
    })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: repoRoot,
      encoding: 'utf8',
      ...(root ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ alive: true, err: 'EPERM' });
  });

  it('refuses pids that would address a process group (0, negative) or are not pids', () => {
    expect(pidAlive(0)).toBe(false);
    expect(pidAlive(-process.pid)).toBe(false);
    expect(pidAlive(Number.NaN)).toBe(false);
    expect(pidAlive(1.5)).toBe(false);
  });
});

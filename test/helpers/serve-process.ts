/**
 * `ticklake serve` as a child process, for tests that need a real socket and a real server process to measure:
 * started on a free port, its address read from its stderr line, stopped (SIGKILL) by `close()`.
 *
 * `procStatus` and `descendants` read /proc, so that a test can measure the server's memory (and that of the query
 * workers it starts) from outside, as an operator would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const BIN = new URL('../../cli/bin.js', import.meta.url).pathname;

export interface ServeProcess {
  base: string;
  pid: number;
  child: ChildProcess;
  stderr: () => string;
  close: () => Promise<void>;
}

export async function startServe(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const base = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err);
      if (m) {
        child.stderr!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };
  return { base, pid: child.pid!, child, stderr: () => err, close };
}

export interface ProcStatus {
  /** The process's name (its command, up to 15 characters, as ps shows it). */
  name: string;
  /** Resident anonymous memory (the process's own heap and buffers), bytes. */
  rssAnon: number;
  /** Resident memory, bytes. */
  rss: number;
  /** Peak resident memory so far (VmHWM), bytes. */
  peakRss: number;
  /** Resident file-backed memory (shared libraries and mapped files), bytes. */
  rssFile: number;
}

/** Memory of a process from /proc/<pid>/status, or undefined when it is gone. */
export function procStatus(pid: number): ProcStatus | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return {
    name: /^Name:\s+(.*)$/m.exec(text)?.[1] ?? String(pid),
    rssAnon: kb('RssAnon'),
    rss: kb('VmRSS'),
    peakRss: kb('VmHWM'),
    rssFile: kb('RssFile'),
  };
}

/** Pids of a process's children and their children (from /proc/<pid>/task/<tid>/children). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let kids = '';
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.split(' ').filter(Boolean)) {
      out.push(Number(k), ...descendants(Number(k)));
    }
  }
  return out;
}

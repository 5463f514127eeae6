/**
 * Test helper: `ticklake broker` in a child process (for SIGKILL tests and RSS measurements), resolved once it
 * prints its listening line. Extra flags and environment (e.g. TICKLAKE_CRASH_AT) are passed through.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'cli', 'bin.js');

export interface BrokerProcess {
  child: ChildProcess;
  address: string;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code or signal once the child has exited. */
  exited: Promise<string>;
}

export function startBrokerProcess(
  dataDir: string,
  flags: string[] = [],
  env: Record<string, string> = {},
): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--data-dir', dataDir, ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...env },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /broker listening on (\S+)/.exec(out);
      if (m) resolve({ child, address: m[1], stderr: () => err, exited });
    });
    void exited.then((how) => reject(new Error(`broker exited (${how}) before listening: ${out} ${err}`)));
  });
}

/** SIGKILLs the child unless it has exited, and waits for the exit. */
export async function killBrokerProcess(p: BrokerProcess | undefined): Promise<void> {
  if (!p) return;
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}

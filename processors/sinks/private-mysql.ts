/**
 * A private MariaDB/MySQL server run as a child process: the MySQL sink of `ticklake start` when no
 * `TICKLAKE_MYSQL_URL` is given and `mariadbd`/`mysqld` is installed, and the test suite's throw-away server
 * (test/helpers/mysql.ts). Bound to 127.0.0.1 on a free port, with its own socket, pid file and temporary directory
 * in its directory so it never clashes with a system server or another private one (see serverTmpDir).
 *
 * `startPrivateMysql(dir)` keeps its data under `dir` across runs (`dir/data`, created by mariadb-install-db on the
 * first run), a user `ticklake` with a password generated once (`dir/password`), database `ticklake`. A server left
 * running by a killed ticklake (its pid file still names a live mariadbd) is stopped first.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { logger } from '../../core/log.js';
import { pidAlive } from '../../core/pid-alive.js';

const execFileP = promisify(execFile);

export const MARIADBD_CANDIDATES = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld', '/usr/local/bin/mariadbd'];
export const INSTALL_DB_CANDIDATES = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];

/** Small redo log and buffer pool: a laptop side-car, not a production server. */
export const SMALL_SERVER_ARGS = ['--innodb-log-file-size=8M', '--innodb-buffer-pool-size=16M'];

/** The server and install-db binaries, or undefined when either is missing. */
export function findMariadb(): { mariadbd: string; installDb: string } | undefined {
  const mariadbd = MARIADBD_CANDIDATES.find((p) => existsSync(p));
  const installDb = INSTALL_DB_CANDIDATES.find((p) => existsSync(p));
  return mariadbd && installDb ? { mariadbd, installDb } : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const runAsRoot = () => (process.getuid?.() === 0 ? ['--user=root'] : []);

/**
 * The server's own temporary directory, `dir/tmp`. Not the default (TMPDIR, else /tmp): a starting mariadbd, and
 * mariadb-install-db's bootstrap, delete every `#sql*` file in their tmpdir, and those are the on-disk temporary
 * tables of every other server sharing it — a query of theirs then fails with "Error on delete of
 * '/tmp/#sql-temptable-…MAI' (Errcode: 2)" (an information_schema.COLUMNS query always makes one: it has TEXT
 * columns). The test suite starts servers side by side, and a user's system MariaDB uses /tmp too.
 */
async function serverTmpDir(dir: string): Promise<string> {
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  return tmp;
}

/**
 * Creates a fresh data dir with mariadb-install-db (root without password, reachable over TCP from 127.0.0.1);
 * `runDir`: the directory of the server's temporary directory (serverTmpDir), as for launchMariadbd.
 * Retried: it occasionally fails when several run at once (seen: "Unknown table 'mysql.tmp_user_sys'").
 */
export async function installDataDir(
  installDb: string,
  dataDir: string,
  runDir: string,
  extraArgs: string[] = [],
): Promise<void> {
  const tmp = await serverTmpDir(runDir);
  for (let attempt = 1; ; attempt++) {
    try {
      await execFileP(
        installDb,
        [
          '--no-defaults',
          `--datadir=${dataDir}`,
          `--tmpdir=${tmp}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          '--skip-name-resolve',
          ...runAsRoot(),
          ...extraArgs,
        ],
        { timeout: 60_000 },
      );
      return;
    } catch (e) {
      await rm(dataDir, { recursive: true, force: true });
      if (attempt < 3) continue;
      const err = e as Error & { stderr?: string; stdout?: string };
      throw new Error(`${err.message}\n${err.stderr ?? ''}${err.stdout?.slice(-2000) ?? ''}`);
    }
  }
}

export interface LaunchOptions {
  mariadbd: string;
  dataDir: string;
  /** Directory of the socket, pid file, error log and temporary directory (serverTmpDir). */
  runDir: string;
  port: number;
  extraArgs?: string[];
  /** How long to wait for the first connection (default 20 s). */
  timeoutMs?: number;
}

/** Starts the server and resolves once root can connect over TCP; rejects with the tail of the error log. */
export async function launchMariadbd(opts: LaunchOptions): Promise<ChildProcess> {
  const errLog = join(opts.runDir, 'error.log');
  const args = [
    '--no-defaults',
    `--datadir=${opts.dataDir}`,
    `--tmpdir=${await serverTmpDir(opts.runDir)}`,
    `--port=${opts.port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(opts.runDir, 'mysqld.sock')}`,
    `--pid-file=${join(opts.runDir, 'mysqld.pid')}`,
    `--log-error=${errLog}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    '--max-connections=200',
    ...runAsRoot(),
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn(opts.mariadbd, args, { stdio: 'ignore' });
  let exited: string | undefined;
  proc.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (exited) throw new Error(`mariadbd ${exited}: ${await tail(errLog)}`);
    try {
      const c = await mysql.createConnection({
        host: '127.0.0.1',
        port: opts.port,
        user: 'root',
        connectTimeout: 1000,
      });
      await c.end();
      return proc;
    } catch (e) {
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`mariadbd did not accept connections in time (${(e as Error).message}): ${await tail(errLog)}`);
      }
      await sleep(50);
    }
  }
}

/** Stops a server: SIGTERM (clean InnoDB shutdown), SIGKILL after `graceMs`. */
export async function stopMariadbd(proc: ChildProcess, graceMs = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

export async function tail(file: string): Promise<string> {
  if (!existsSync(file)) return '(no error log)';
  const text = await readFile(file, 'utf8');
  return text.split('\n').slice(-15).join('\n');
}

export interface PrivateMysql {
  /** mysql://ticklake:PASSWORD@127.0.0.1:PORT/ticklake */
  url: string;
  port: number;
  /** Whether the server is running (false after it exited on its own). */
  up(): boolean;
  close(): Promise<void>;
}

/** A server left running by a ticklake that was killed: its pid file names a live process. */
async function stopStale(dir: string): Promise<void> {
  const pidFile = join(dir, 'mysqld.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  let comm = '';
  try {
    comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return;
  }
  if (!/^(mariadbd|mysqld)$/.test(comm) || !pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch (e) {
    // EPERM: it runs as another user, so this user did not leave it behind (its pid was reused, or another account
    // runs a server on this directory, which the start below then reports); ESRCH: it exited meanwhile.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return;
    logger('mysql').warn({ pid, pidFile }, 'the pid file names a mariadbd of another user: not stopping it');
    return;
  }
  for (let i = 0; i < 200 && pidAlive(pid); i++) await sleep(50);
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** The row-based binlog change data capture reads (docs/cdc.md), files under `dir/binlog.NNNNNN`. */
export function binlogArgs(dir: string): string[] {
  return [
    `--log-bin=${join(dir, 'binlog')}`,
    '--binlog-format=ROW',
    '--binlog-row-image=FULL',
    '--binlog-row-metadata=FULL',
    '--server-id=1',
  ];
}

/** Starts (installing on first use) the persistent private server under `dir`; `binlog`: with binlogArgs. */
export async function startPrivateMysql(
  dir: string,
  bins = findMariadb(),
  opts: { binlog?: boolean } = {},
): Promise<PrivateMysql> {
  if (!bins) throw new Error('no mariadbd/mysqld installed');
  await mkdir(dir, { recursive: true });
  await stopStale(dir);
  const dataDir = join(dir, 'data');
  const passFile = join(dir, 'password');
  const fresh = !existsSync(join(dataDir, 'mysql'));
  if (fresh) {
    await rm(dataDir, { recursive: true, force: true });
    await installDataDir(bins.installDb, dataDir, dir, SMALL_SERVER_ARGS);
  }
  let proc: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      proc = await launchMariadbd({
        mariadbd: bins.mariadbd,
        dataDir,
        runDir: dir,
        port,
        extraArgs: [...SMALL_SERVER_ARGS, ...(opts.binlog ? binlogArgs(dir) : [])],
      });
      break;
    } catch (e) {
      if (attempt >= 3 || !/Address already in use|Can't start server/i.test((e as Error).message)) throw e;
    }
  }
  const killOnExit = () => proc?.kill('SIGKILL');
  process.once('exit', killOnExit);
  let password = existsSync(passFile) ? (await readFile(passFile, 'utf8')).trim() : '';
  if (!password) {
    password = randomBytes(12).toString('hex');
    await writeFile(passFile, `${password}\n`, { mode: 0o600 });
  }
  const root = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
  try {
    await root.query("CREATE USER IF NOT EXISTS 'ticklake'@'%' IDENTIFIED BY ?", [password]);
    await root.query("ALTER USER 'ticklake'@'%' IDENTIFIED BY ?", [password]);
    await root.query("GRANT ALL PRIVILEGES ON ticklake.* TO 'ticklake'@'%'");
    await root.query('CREATE DATABASE IF NOT EXISTS ticklake CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
  } finally {
    await root.end();
  }
  const child = proc as ChildProcess;
  return {
    url: `mysql://ticklake:${password}@127.0.0.1:${port}/ticklake`,
    port,
    up: () => child.exitCode === null && child.signalCode === null,
    close: async () => {
      await stopMariadbd(child);
      process.removeListener('exit', killOnExit);
    },
  };
}

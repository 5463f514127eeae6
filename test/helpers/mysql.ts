/**
 * A real MySQL-compatible server for tests (the server itself is processors/sinks/private-mysql.ts, the same code that runs
 * the private server of `ticklake start`).
 *
 * `TICKLAKE_TEST_MYSQL_URL` set: that server is used as is (`external: true`; stop/start throw, close only drops
 * the databases this helper created). Otherwise a private `mariadbd` (Debian's mariadb-server) runs in a fresh
 * temporary data dir, bound to 127.0.0.1 on a free port, with its own unix socket and pid file inside that dir so it
 * never clashes with a system server. It starts in well under a second here (install ~0.6 s, start ~0.2 s).
 *
 * Under CI=true a missing mariadbd is a failure (requireTool); otherwise the caller skips:
 * `describe.skipIf(!testMysqlAvailable())(...)`, then `startTestMysql()` in beforeAll.
 *
 * Each test file should use its own database: `await createDatabase(my.url, 'sink_test')` returns a URL for a
 * fresh, empty database on the same server, so files can share a server or run in parallel forks safely.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import {
  binlogArgs,
  freePort,
  INSTALL_DB_CANDIDATES,
  installDataDir,
  launchMariadbd,
  MARIADBD_CANDIDATES,
  SMALL_SERVER_ARGS,
} from '../../processors/sinks/private-mysql.js';
import { requireTool } from './tools.js';

export { MARIADBD_CANDIDATES };

export interface TestMysql {
  /** mysql://user:pass@127.0.0.1:PORT/ticklake */
  url: string;
  /** Kill the server (SIGKILL, like a crash or a network outage), keep its data. */
  stop(): Promise<void>;
  /** Restart on the same port and data dir. */
  start(): Promise<void>;
  /** Stop and delete everything. */
  close(): Promise<void>;
  /**
   * Freeze the server (SIGSTOP): it keeps accepting connections (the kernel does) but answers nothing, until
   * `thaw` (SIGCONT). Throws with an external server.
   */
  freeze(): void;
  thaw(): void;
  external: boolean;
  /** Temporary directory of the private server (data, socket, error log); undefined when external. */
  dir?: string;
}

const USER = 'ticklake';
const PASSWORD = 'ticklake-test';

/** True when a test MySQL can be had (external URL or mariadbd installed); throws under CI=true when not. */
export function testMysqlAvailable(): boolean {
  if (process.env.TICKLAKE_TEST_MYSQL_URL) return true;
  const mariadbd = requireTool('mariadbd', MARIADBD_CANDIDATES);
  const installDb = requireTool('mariadb-install-db', INSTALL_DB_CANDIDATES);
  return Boolean(mariadbd && installDb);
}

export interface TestMysqlOptions {
  /**
   * Run the private server with the row-based binary log that change data capture reads (`ticklake cdc`):
   * log_bin, binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL, server_id=1. An external server
   * (TICKLAKE_TEST_MYSQL_URL) must be configured so by its owner.
   */
  binlog?: boolean;
}

/** TICKLAKE_TEST_MYSQL_URL if set, else a private mariadbd; throws when neither is available. */
export async function startTestMysql(options: TestMysqlOptions = {}): Promise<TestMysql> {
  const external = process.env.TICKLAKE_TEST_MYSQL_URL;
  if (external) return externalMysql(external);
  const mariadbd = requireTool('mariadbd', MARIADBD_CANDIDATES);
  const installDb = requireTool('mariadb-install-db', INSTALL_DB_CANDIDATES);
  if (!mariadbd || !installDb) {
    throw new Error('mariadbd is not installed (apt-get install mariadb-server); check testMysqlAvailable() first');
  }
  return privateMariadb(mariadbd, installDb, options);
}

/** Creates (after dropping) database `name` on the server of `url`; returns the URL pointing at it. */
export async function createDatabase(url: string, name: string): Promise<string> {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`bad database name ${name}`);
  const conn = await mysql.createConnection(serverUrl(url));
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await conn.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Runs one query on a fresh connection (a second client, independent of the code under test). `exact`: as a
 * prepared statement (the binary protocol), so a DOUBLE arrives as its 8 bytes; MariaDB's text protocol prints some
 * doubles a bit off (measured: 3 of 2,000 values, e.g. 997.6814436737799 read back as 997.68144367378).
 */
export async function queryMysql<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
  { exact = false }: { exact?: boolean } = {},
) {
  const conn = await mysql.createConnection({ uri: url, timezone: 'Z', dateStrings: true });
  try {
    await conn.query("SET time_zone = '+00:00'");
    const [rows] = exact
      ? await conn.execute(sql, params as Parameters<typeof conn.execute>[1])
      : await conn.query(sql, params);
    return rows as T[];
  } finally {
    await conn.end();
  }
}

function serverUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/';
  return u.toString();
}

async function externalMysql(url: string): Promise<TestMysql> {
  const name = new URL(url).pathname.slice(1) || 'ticklake';
  const created = await createDatabase(url, name);
  const refuse = async () => {
    throw new Error('stop/start are not possible with TICKLAKE_TEST_MYSQL_URL (external server)');
  };
  const refuseSync = () => {
    throw new Error('freeze/thaw are not possible with TICKLAKE_TEST_MYSQL_URL (external server)');
  };
  return {
    url: created,
    external: true,
    stop: refuse,
    start: refuse,
    close: async () => {},
    freeze: refuseSync,
    thaw: refuseSync,
  };
}

async function privateMariadb(mariadbd: string, installDb: string, options: TestMysqlOptions): Promise<TestMysql> {
  const dir = await mkdtemp(join(tmpdir(), 'tl-mysql-'));
  const dataDir = join(dir, 'data');
  try {
    await installDataDir(installDb, dataDir, dir, SMALL_SERVER_ARGS);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  let port = await freePort();
  let child: ChildProcess | undefined;

  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const launch = async (): Promise<void> => {
    child = await launchMariadbd({
      mariadbd,
      dataDir,
      runDir: dir,
      port,
      extraArgs: [
        ...SMALL_SERVER_ARGS,
        '--innodb-flush-log-at-trx-commit=2',
        // Not UTC on purpose: code must set its session time zone rather than rely on the server's.
        '--default-time-zone=+05:00',
        ...(options.binlog ? binlogArgs(dir) : []),
      ],
    });
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };

  // The port may be taken between freePort() and mariadbd's bind: retry with a new one.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (e) {
      await kill();
      if (attempt >= 3 || !/Address already in use|Can't start server/i.test((e as Error).message)) {
        await rm(dir, { recursive: true, force: true });
        throw e;
      }
      port = await freePort();
    }
  }

  const root = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
  try {
    await root.query(`CREATE USER '${USER}'@'%' IDENTIFIED BY '${PASSWORD}'`);
    await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'%'`);
    await root.query('CREATE DATABASE ticklake CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
  } finally {
    await root.end();
  }

  return {
    url: `mysql://${USER}:${PASSWORD}@127.0.0.1:${port}/ticklake`,
    external: false,
    dir,
    stop: kill,
    freeze: () => {
      if (!child?.pid) throw new Error('the test MySQL server is not running');
      process.kill(child.pid, 'SIGSTOP');
    },
    thaw: () => {
      if (child?.pid) process.kill(child.pid, 'SIGCONT');
    },
    start: async () => {
      if (child) throw new Error('the test MySQL server is already running');
      await launch();
    },
    close: async () => {
      await kill();
      process.removeListener('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Versioned MySQL schema migrations: `sql/mysql/NNN_name.sql`, applied in version order, each exactly once,
 * recorded in `schema_migrations` with the SHA-256 of the file. An applied file that has changed since is an
 * error naming it (write a new migration instead); a gap or a duplicate version is an error too.
 *
 * Concurrent starters (two processors) are serialised with GET_LOCK, which MySQL 8 and MariaDB both have.
 * DDL commits implicitly in MySQL, so a migration is not transactional: keep each file to statements that are
 * safe to re-run by hand after a failure (the error names the file and MySQL's reason).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mysql2/promise';
import { tlError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { isConnectionError } from './mysql-errors.js';

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/mysql', import.meta.url));
const FILE_RE = /^(\d{3})_([a-z0-9_]+)\.sql$/;
const LOCK = 'ticklake_schema_migrations';

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const f of files) {
    const file = join(dir, f);
    const m = FILE_RE.exec(f);
    if (!m) throw tlError('TL_MYSQL_MIGRATION', { file, reason: 'name must be NNN_lower_case_name.sql' });
    const sql = (await readFile(file, 'utf8')).replace(/\r\n/g, '\n');
    const version = Number(m[1]);
    const prev = out.at(-1);
    if (prev && prev.version === version) {
      throw tlError('TL_MYSQL_MIGRATION', { file, reason: `version ${m[1]} is also used by ${prev.file}` });
    }
    out.push({ version, name: m[2], file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return out;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies the pending migrations on `conn` (a dedicated connection opened with multipleStatements).
 * Returns the files applied now.
 */
export async function migrate(conn: Connection, migrations: Migration[], log?: Logger): Promise<string[]> {
  await conn.query(
    `CREATE TABLE IF NOT EXISTS \`schema_migrations\` (
      \`version\` INT NOT NULL PRIMARY KEY,
      \`name\` VARCHAR(255) NOT NULL,
      \`checksum\` CHAR(64) NOT NULL,
      \`applied_at\` DATETIME(3) NOT NULL
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`,
  );
  const [lock] = (await conn.query('SELECT GET_LOCK(?, 60) AS got', [LOCK])) as unknown as [{ got: number }[]];
  if (lock[0]?.got !== 1) {
    throw tlError('TL_MYSQL_MIGRATION', { file: 'schema_migrations', reason: 'timed out waiting for the lock' });
  }
  try {
    const [rows] = (await conn.query(
      'SELECT `version`, `name`, `checksum` FROM `schema_migrations` ORDER BY `version`',
    )) as unknown as [AppliedRow[]];
    const applied = new Map(rows.map((r) => [Number(r.version), r]));
    for (const m of migrations) {
      const done = applied.get(m.version);
      if (done && done.checksum !== m.checksum) {
        throw tlError('TL_MYSQL_MIGRATION', {
          file: m.file,
          reason: `changed after it was applied (recorded sha256 ${done.checksum.slice(0, 12)}…, file has ${m.checksum.slice(0, 12)}…); add a new migration instead`,
        });
      }
    }
    const known = new Set(migrations.map((m) => m.version));
    for (const v of applied.keys()) {
      if (!known.has(v)) log?.warn({ version: v }, 'schema_migrations records a migration with no file');
    }
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      try {
        await conn.query(m.sql);
        await conn.query(
          'INSERT INTO `schema_migrations` (`version`, `name`, `checksum`, `applied_at`) VALUES (?, ?, ?, UTC_TIMESTAMP(3))',
          [m.version, m.name, m.checksum],
        );
      } catch (e) {
        if (isConnectionError(e)) throw e;
        throw tlError('TL_MYSQL_MIGRATION', { file: m.file, reason: (e as Error).message }, e);
      }
      log?.info({ file: m.file }, 'applied MySQL migration');
      done.push(m.file);
    }
    return done;
  } finally {
    await conn.query('SELECT RELEASE_LOCK(?)', [LOCK]).catch(() => {});
  }
}

/**
 * What `ticklake cdc` checks on the server before reading anything: the binary log is on and row-based with full
 * images and full metadata, and the user may read it. A wrong setting is refused with its name and the statement
 * that fixes it, never worked around.
 */
import type mysql from 'mysql2/promise';
import { tlError } from '../../core/errors.js';
import type { BinlogPosition } from './binlog-position.js';

export interface ServerInfo {
  version: string;
  mariadb: boolean;
  serverId: number;
  /** Identity of the server for the offsets file: server_id and, where there is one, server_uuid. */
  identity: string;
}

type Vars = Record<string, string | number | null>;

export async function checkServer(conn: mysql.Connection, target: string): Promise<ServerInfo> {
  const [rows] = await conn.query(
    'SELECT @@version AS version, @@log_bin AS log_bin, @@binlog_format AS binlog_format, ' +
      '@@binlog_row_image AS binlog_row_image, @@server_id AS server_id',
  );
  const v = (rows as Vars[])[0];
  const version = String(v.version);
  const mariadb = /mariadb/i.test(version);
  const bad = (setting: string, value: unknown, expected: string, fix: string) =>
    tlError('TL_CDC_SERVER_SETTING', { target, setting, value: String(value), expected, fix });
  if (Number(v.log_bin) !== 1) {
    throw bad(
      'log_bin',
      'OFF',
      'ON',
      'start the server with log_bin and server_id set (my.cnf [mysqld]: log_bin = mysql-bin, server_id = 1; it cannot be changed at run time)',
    );
  }
  if (String(v.binlog_format).toUpperCase() !== 'ROW') {
    throw bad(
      'binlog_format',
      v.binlog_format,
      'ROW',
      "SET GLOBAL binlog_format = 'ROW' (and binlog_format = ROW in my.cnf)",
    );
  }
  if (String(v.binlog_row_image).toUpperCase() !== 'FULL') {
    throw bad(
      'binlog_row_image',
      v.binlog_row_image,
      'FULL',
      "SET GLOBAL binlog_row_image = 'FULL' (and binlog_row_image = FULL in my.cnf)",
    );
  }
  let metadata: string | undefined;
  try {
    const [m] = await conn.query('SELECT @@binlog_row_metadata AS m');
    metadata = String((m as Vars[])[0].m);
  } catch {
    metadata = undefined; // MySQL < 8.0.1, MariaDB < 10.5: no such variable, column layouts come from INFORMATION_SCHEMA
  }
  if (metadata !== undefined && metadata.toUpperCase() !== 'FULL') {
    throw bad(
      'binlog_row_metadata',
      metadata,
      'FULL',
      "SET GLOBAL binlog_row_metadata = 'FULL' (and binlog_row_metadata = FULL in my.cnf)",
    );
  }
  await checkPrivileges(conn, mariadb);
  let uuid = '';
  try {
    const [u] = await conn.query('SELECT @@server_uuid AS u');
    uuid = String((u as Vars[])[0].u ?? '');
  } catch {
    // MariaDB has no server_uuid
  }
  const serverId = Number(v.server_id);
  return { version, mariadb, serverId, identity: uuid ? `${serverId}/${uuid}` : String(serverId) };
}

async function checkPrivileges(conn: mysql.Connection, mariadb: boolean): Promise<void> {
  const [who] = await conn.query('SELECT CURRENT_USER() AS u');
  const user = String((who as Vars[])[0].u);
  const [grantRows] = await conn.query('SHOW GRANTS');
  const grants = (grantRows as Record<string, string>[]).map((r) => String(Object.values(r)[0]));
  const global = grants.filter((g) => / ON \*\.\* TO /i.test(g)).join('\n');
  const all = /GRANT ALL PRIVILEGES ON \*\.\*/i.test(global);
  const quoted = user.replace(/^([^@]*)@(.*)$/, "'$1'@'$2'");
  if (!all && !/REPLICATION (SLAVE|REPLICA)/i.test(global)) {
    throw tlError('TL_CDC_PRIVILEGE', {
      user,
      privilege: 'REPLICATION SLAVE (reading the binlog)',
      fix: `GRANT REPLICATION SLAVE ON *.* TO ${quoted}`,
    });
  }
  try {
    await conn.query('SHOW BINARY LOGS');
  } catch {
    const priv = mariadb ? 'BINLOG MONITOR' : 'REPLICATION CLIENT';
    throw tlError('TL_CDC_PRIVILEGE', {
      user,
      privilege: `${priv} (SHOW BINARY LOGS)`,
      fix: `GRANT ${priv} ON *.* TO ${quoted}`,
    });
  }
}

/** SELECT on each captured table (the snapshot reads them). */
export async function checkTablePrivileges(conn: mysql.Connection, tables: { db: string; table: string }[]) {
  for (const t of tables) {
    try {
      await conn.query(`SELECT 1 FROM \`${t.db}\`.\`${t.table}\` LIMIT 0`);
    } catch (e) {
      const [who] = await conn.query('SELECT CURRENT_USER() AS u');
      const user = String((who as Vars[])[0].u);
      const code = (e as { code?: string }).code;
      if (code === 'ER_NO_SUCH_TABLE')
        throw tlError('TL_CDC_TABLE', { table: `${t.db}.${t.table}`, reason: 'no such table' });
      throw tlError('TL_CDC_PRIVILEGE', {
        user,
        privilege: `SELECT on ${t.db}.${t.table}`,
        fix: `GRANT SELECT ON \`${t.db}\`.* TO ${user.replace(/^([^@]*)@(.*)$/, "'$1'@'$2'")}`,
      });
    }
  }
}

/** The binlog files the server still has, oldest first. */
export async function binlogFiles(conn: mysql.Connection): Promise<{ name: string; size: number }[]> {
  const [rows] = await conn.query('SHOW BINARY LOGS');
  return (rows as Record<string, string | number>[]).map((r) => ({
    name: String(r.Log_name),
    size: Number(r.File_size),
  }));
}

/** The end of the binlog now: where a reader that wants only new changes starts. */
export async function binlogEnd(conn: mysql.Connection): Promise<BinlogPosition> {
  const files = await binlogFiles(conn);
  const last = files[files.length - 1];
  if (!last) throw new Error('the server lists no binlog files');
  return { file: last.name, pos: last.size };
}

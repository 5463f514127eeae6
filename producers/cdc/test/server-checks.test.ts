/**
 * `ticklake cdc` refuses a server it cannot capture exactly, naming the setting and the statement that fixes it:
 * each binlog setting changed on a real MariaDB, the binlog off altogether, and users missing privileges.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../../core/errors.js';
import { queryMysql, startTestMysql, type TestMysql, testMysqlAvailable } from '../../../test/helpers/mysql.js';
import { checkServer, checkTablePrivileges } from '../server-checks.js';

async function check(url: string) {
  const conn = await mysql.createConnection(url);
  try {
    return await checkServer(conn, new URL(url).host);
  } finally {
    await conn.end();
  }
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isTicklakeError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe.skipIf(!testMysqlAvailable() || process.env.TICKLAKE_TEST_MYSQL_URL)('cdc server checks', () => {
  let my: TestMysql;
  beforeAll(async () => {
    my = await startTestMysql({ binlog: true });
  }, 60_000);
  afterAll(async () => {
    await my?.close();
  });

  it('accepts a server with the row-based binlog, full images and full metadata', async () => {
    const info = await check(my.url);
    expect(info.mariadb).toBe(true);
    expect(info.serverId).toBe(1);
  });

  for (const [setting, wrong, fix] of [
    ['binlog_format', 'MIXED', "SET GLOBAL binlog_format = 'ROW'"],
    ['binlog_row_image', 'MINIMAL', "SET GLOBAL binlog_row_image = 'FULL'"],
    ['binlog_row_metadata', 'MINIMAL', "SET GLOBAL binlog_row_metadata = 'FULL'"],
  ]) {
    it(`refuses ${setting}=${wrong} with the statement that fixes it`, async () => {
      await queryMysql(my.url, `SET GLOBAL ${setting} = '${wrong}'`);
      try {
        const r = await refusal(check(my.url));
        expect(r.code).toBe('TL_CDC_SERVER_SETTING');
        expect(r.message).toContain(`${setting} is ${wrong}`);
        expect(r.message).toContain(fix);
      } finally {
        const good = setting === 'binlog_format' ? 'ROW' : 'FULL';
        await queryMysql(my.url, `SET GLOBAL ${setting} = '${good}'`);
      }
      await expect(check(my.url)).resolves.toBeTruthy();
    });
  }

  it('refuses a server without a binlog', async () => {
    const plain = await startTestMysql();
    try {
      const r = await refusal(check(plain.url));
      expect(r.code).toBe('TL_CDC_SERVER_SETTING');
      expect(r.message).toContain('log_bin is OFF');
      expect(r.message).toContain('log_bin = mysql-bin');
    } finally {
      await plain.close();
    }
  }, 60_000);

  it('names the missing privilege and the GRANT', async () => {
    // the helper's user cannot grant; root (no password, local) can
    const root = new URL(my.url);
    root.username = 'root';
    root.password = '';
    const asRoot = (sql: string) => queryMysql(root.toString(), sql);
    await asRoot("CREATE USER 'reader'@'%' IDENTIFIED BY 'pw'");
    await asRoot("GRANT SELECT ON ticklake.* TO 'reader'@'%'");
    const u = new URL(my.url);
    u.username = 'reader';
    u.password = 'pw';
    let r = await refusal(check(u.toString()));
    expect(r.code).toBe('TL_CDC_PRIVILEGE');
    expect(r.message).toContain("GRANT REPLICATION SLAVE ON *.* TO 'reader'@'%'");

    await asRoot("GRANT REPLICATION SLAVE ON *.* TO 'reader'@'%'");
    r = await refusal(check(u.toString()));
    expect(r.message).toContain("GRANT BINLOG MONITOR ON *.* TO 'reader'@'%'");

    await asRoot("GRANT BINLOG MONITOR ON *.* TO 'reader'@'%'");
    await expect(check(u.toString())).resolves.toBeTruthy();

    await queryMysql(my.url, 'CREATE DATABASE secret');
    await queryMysql(my.url, 'CREATE TABLE secret.t (id INT PRIMARY KEY)');
    const conn = await mysql.createConnection(u.toString());
    try {
      r = await refusal(checkTablePrivileges(conn, [{ db: 'secret', table: 't' }]));
      expect(r.code).toBe('TL_CDC_PRIVILEGE');
      expect(r.message).toContain('SELECT on secret.t');
    } finally {
      await conn.end();
    }
  });
});

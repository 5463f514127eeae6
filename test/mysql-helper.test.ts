import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, queryMysql, startTestMysql, type TestMysql, testMysqlAvailable } from './helpers/mysql.js';

describe.skipIf(!testMysqlAvailable())('test MySQL helper', () => {
  let my: TestMysql;
  beforeAll(async () => {
    my = await startTestMysql();
  });
  afterAll(async () => {
    await my?.close();
  });

  it('serves database ticklake over TCP with a password user', async () => {
    expect(my.url).toMatch(/^mysql:\/\/\w+:[^@]+@127\.0\.0\.1:\d+\/ticklake$/);
    const rows = await queryMysql<{ db: string }>(my.url, 'SELECT DATABASE() AS db');
    expect(rows).toEqual([{ db: 'ticklake' }]);
  });

  it('createDatabase gives each suite its own empty database', async () => {
    const url = await createDatabase(my.url, 'helper_a');
    await queryMysql(url, 'CREATE TABLE t (id INT PRIMARY KEY)');
    await queryMysql(url, 'INSERT INTO t VALUES (1), (2)');
    expect(await queryMysql(url, 'SELECT COUNT(*) AS n FROM t')).toEqual([{ n: 2 }]);
    const again = await createDatabase(my.url, 'helper_a');
    expect(await queryMysql(again, 'SHOW TABLES')).toEqual([]);
  });

  it.skipIf(process.env.TICKLAKE_TEST_MYSQL_URL)(
    'stop keeps the data, start serves it again on the same URL',
    async () => {
      const url = await createDatabase(my.url, 'helper_b');
      await queryMysql(url, 'CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB');
      await queryMysql(url, 'INSERT INTO t VALUES (7)');
      await my.stop();
      await expect(mysql.createConnection({ uri: url, connectTimeout: 1000 })).rejects.toThrow();
      await my.start();
      expect(await queryMysql(url, 'SELECT id FROM t')).toEqual([{ id: 7 }]);
    },
  );

  it.skipIf(process.env.TICKLAKE_TEST_MYSQL_URL)('close removes the data directory', async () => {
    const other = await startTestMysql();
    const port = new URL(other.url).port;
    expect(other.dir && existsSync(other.dir)).toBe(true);
    await other.close();
    await expect(
      mysql.createConnection({ host: '127.0.0.1', port: Number(port), connectTimeout: 1000 }),
    ).rejects.toThrow();
    expect(other.dir && existsSync(other.dir)).toBe(false);
  });
});

/**
 * The private server of `ticklake start`: data persists under its directory across stop/start (with the same
 * password), and a server left running by a killed ticklake is stopped and replaced by the next start.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryMysql, startTestMysql, testMysqlAvailable } from '../../../test/helpers/mysql.js';
import { findMariadb, type PrivateMysql, startPrivateMysql } from '../private-mysql.js';

describe.skipIf(!testMysqlAvailable() || !findMariadb())('startPrivateMysql', () => {
  let dir: string;
  const servers: PrivateMysql[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-private-mysql-'));
  });
  afterAll(async () => {
    for (const s of servers) await s.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps its data and password across a clean stop and start', async () => {
    const a = await startPrivateMysql(dir);
    servers.push(a);
    expect(a.url).toMatch(/^mysql:\/\/ticklake:[0-9a-f]{24}@127\.0\.0\.1:\d+\/ticklake$/);
    const password = (await readFile(join(dir, 'password'), 'utf8')).trim();
    expect(a.url).toContain(`:${password}@`);
    await queryMysql(a.url, 'CREATE TABLE kept (id INT PRIMARY KEY, note VARCHAR(20))');
    await queryMysql(a.url, "INSERT INTO kept VALUES (1, 'before'), (2, 'restart')");
    await a.close();
    expect(a.up()).toBe(false);

    const b = await startPrivateMysql(dir);
    servers.push(b);
    expect(b.url).toContain(`:${password}@`);
    expect(await queryMysql(b.url, 'SELECT id, note FROM kept ORDER BY id')).toEqual([
      { id: 1, note: 'before' },
      { id: 2, note: 'restart' },
    ]);
  });

  it('stops a server left behind (its pid file names a live mariadbd) before starting', async () => {
    const left = servers[servers.length - 1];
    expect(left.up()).toBe(true);
    const next = await startPrivateMysql(dir);
    servers.push(next);
    expect(left.up()).toBe(false);
    expect(await queryMysql(next.url, 'SELECT count(*) AS n FROM kept')).toEqual([{ n: 2 }]);
  });

  it("starting another server leaves this one's temporary tables alone", async () => {
    // a starting mariadbd (and install-db's bootstrap) deletes every #sql* file in its tmpdir: with /tmp shared, a
    // server started beside this one deleted its on-disk temporary tables (CI: "Error on delete of
    // '/tmp/#sql-temptable-…MAI' (Errcode: 2)" from an information_schema query of ticklake cdc)
    const running = servers[servers.length - 1];
    const conn = await mysql.createConnection(running.url);
    try {
      await conn.query('CREATE TEMPORARY TABLE scratch (note TEXT) ENGINE=Aria');
      await conn.query("INSERT INTO scratch VALUES ('kept')");
      const other = await startTestMysql();
      await other.close();
      const [rows] = await conn.query('SELECT note FROM scratch');
      expect(rows).toEqual([{ note: 'kept' }]);
      await conn.query('DROP TEMPORARY TABLE scratch');
    } finally {
      await conn.end();
    }
  }, 120_000);
});

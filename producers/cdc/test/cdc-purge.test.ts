/**
 * A binlog purged past the stored position: `ticklake cdc` stops with TL_CDC_BINLOG_PURGED and the documented
 * recovery (remove the offsets file, run with --snapshot initial) brings the topic back to the table's state —
 * the row deleted while the binlog was lost gets a tombstone, the rows that did not change are not published again.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../../core/errors.js';
import { type CdcEnv, cdcEnvAvailable, kcatRead, startCdcEnv } from '../../../test/helpers/cdc.js';
import { foldTopic } from '../../../test/helpers/debezium-fold.js';
import { createDatabase, queryMysql } from '../../../test/helpers/mysql.js';
import { runCdc } from '../cdc-run.js';

let env: CdcEnv;

describe.skipIf(!cdcEnvAvailable())('cdc with a purged binlog', () => {
  beforeAll(async () => {
    env = await startCdcEnv('cdc-purge');
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('refuses with the documented error, and --snapshot initial recovers exactly', async () => {
    const url = await createDatabase(env.my.url, 'p');
    await queryMysql(url, 'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))');
    await queryMysql(url, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    const offsetsDir = join(env.dir, 'offsets');
    const opts = {
      mysqlUrl: url,
      brokers: env.brokers,
      tables: [],
      snapshot: 'initial' as const,
      topicPrefix: 'pp',
      offsetsDir,
      serverId: 902,
      schemas: true,
      stopWhenIdleMs: 1000,
    };
    await runCdc(opts);

    await queryMysql(url, 'FLUSH BINARY LOGS');
    await queryMysql(url, "UPDATE t SET v = 'x' WHERE id = 1");
    await queryMysql(url, 'DELETE FROM t WHERE id = 2');
    await queryMysql(url, "INSERT INTO t VALUES (4, 'd')");
    await queryMysql(url, 'FLUSH BINARY LOGS');
    const logs = await queryMysql<{ Log_name: string }>(url, 'SHOW BINARY LOGS');
    // MariaDB keeps a file that crash recovery still needs (its binlog checkpoint lags a little): purge until gone
    const target = logs[logs.length - 1].Log_name;
    for (let i = 0; ; i++) {
      await queryMysql(url, `PURGE BINARY LOGS TO '${target}'`);
      const left = await queryMysql<{ Log_name: string }>(url, 'SHOW BINARY LOGS');
      if (left[0].Log_name === target) break;
      if (i > 100) throw new Error(`could not purge: ${JSON.stringify(left)}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    let err: unknown;
    try {
      await runCdc(opts);
    } catch (e) {
      err = e;
    }
    expect(isTicklakeError(err, 'TL_CDC_BINLOG_PURGED'), String(err)).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain(join(offsetsDir, 'offsets.json'));
    expect(message).toContain('--snapshot initial');
    expect(message, message).toContain(logs[logs.length - 1].Log_name);

    // the documented recovery
    await rm(join(offsetsDir, 'offsets.json'));
    await runCdc(opts);
    expect(existsSync(join(offsetsDir, 'offsets.json'))).toBe(true);

    const folded = foldTopic(await kcatRead(env.brokers, 'pp.p.t'));
    expect([...folded.rows.entries()].sort()).toEqual([
      ['{"id":1}', { id: '1', v: 'x' }],
      ['{"id":3}', { id: '3', v: 'c' }],
      ['{"id":4}', { id: '4', v: 'd' }],
    ]);
    expect(folded.ops.get('{"id":3}')).toEqual(['r']); // unchanged: not published again
    expect(folded.ops.get('{"id":1}')).toEqual(['r', 'r']);
    const msgs = await kcatRead(env.brokers, 'pp.p.t');
    expect(msgs.filter((m) => m.key?.includes('"payload":{"id":2}')).map((m) => m.value === null)).toEqual([
      false,
      true,
    ]);
  }, 120_000);
});

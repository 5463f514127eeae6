/**
 * `ticklake start --with bank`'s workload: the bank simulator and `ticklake cdc` in-process against a MariaDB with
 * the binlog on; the bank tables fill and their change events reach the topics (read with kcat), and both stop
 * cleanly when start closes them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CdcEnv, cdcEnvAvailable, kcatRead, startCdcEnv } from '../../../test/helpers/cdc.js';
import { queryMysql } from '../../../test/helpers/mysql.js';
import { startBankWorkload } from '../bank.js';

let env: CdcEnv;

describe.skipIf(!cdcEnvAvailable())('start --with bank', () => {
  beforeAll(async () => {
    env = await startCdcEnv('start-bank');
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('writes the bank and captures it into bank.bank.<table>', async () => {
    const w = await startBankWorkload({ mysqlUrl: env.my.url, brokers: env.brokers, dataDir: env.dir, seed: '3' });
    await new Promise((r) => setTimeout(r, 6000));
    await w.closeBank();
    await new Promise((r) => setTimeout(r, 2000));
    await w.closeCdc();
    await w.done;
    const bankUrl = env.my.url.replace(/\/ticklake$/, '/bank');
    const [{ n }] = await queryMysql<{ n: number }>(bankUrl, 'SELECT COUNT(*) AS n FROM transactions');
    expect(Number(n)).toBeGreaterThan(10);
    const msgs = await kcatRead(env.brokers, 'bank.bank.transactions');
    const live = new Set(msgs.filter((m) => m.value !== null && !m.value.includes('"op":"d"')).map((m) => m.key));
    const deleted = new Set(msgs.filter((m) => m.value === null).map((m) => m.key));
    expect(live.size - [...deleted].filter((k) => live.has(k)).length).toBe(Number(n));
  }, 60_000);
});

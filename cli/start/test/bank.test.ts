/**
 * `ticklake start --with bank`'s workload: the bank simulator and `ticklake cdc` in-process against a MariaDB with
 * the binlog on; the bank tables fill and their change events reach the topics (read with kcat), and both stop
 * cleanly when start closes them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CdcEnv, cdcEnvAvailable, kcatRead, startCdcEnv } from '../../../test/helpers/cdc.js';
import { queryMysql } from '../../../test/helpers/mysql.js';
import { waitFor } from '../../../test/helpers/poll.js';
import { startBankWorkload } from '../bank.js';

let env: CdcEnv;

describe.skipIf(!cdcEnvAvailable())('start --with bank', () => {
  beforeAll(async () => {
    env = await startCdcEnv('start-bank');
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });
  /** The bank's database on the test server, and its transactions now (a second client). */
  const bankUrl = () => env.my.url.replace(/\/ticklake$/, '/bank');
  const transactions = async () =>
    Number((await queryMysql<{ n: number }>(bankUrl(), 'SELECT COUNT(*) AS n FROM transactions'))[0].n);

  it('writes the bank and captures it into bank.bank.<table>', async () => {
    const w = await startBankWorkload({ mysqlUrl: env.my.url, brokers: env.brokers, dataDir: env.dir, seed: '3' });
    // waits on what happened, not for fixed times: on a loaded machine 6 s of the simulator wrote too little, and
    // 2 s were too few for the capture to catch up
    await waitFor('more than 10 bank transactions', async () => (await transactions()) > 10, {
      timeoutMs: 90_000,
      everyMs: 250,
      retryErrors: true,
    });
    await w.closeBank();
    const n = await transactions();
    /** Transactions the topic holds: keys whose last event is not a delete. */
    const captured = async () => {
      const msgs = await kcatRead(env.brokers, 'bank.bank.transactions');
      const live = new Set(msgs.filter((m) => m.value !== null && !m.value.includes('"op":"d"')).map((m) => m.key));
      const deleted = new Set(msgs.filter((m) => m.value === null).map((m) => m.key));
      return live.size - [...deleted].filter((k) => live.has(k)).length;
    };
    await waitFor('the captured topic to reach the bank', async () => (await captured()) >= n, {
      timeoutMs: 90_000,
      everyMs: 500,
      detail: () => `the bank has ${n} transactions`,
      retryErrors: true,
    });
    await w.closeCdc();
    await w.done;
    expect(n).toBeGreaterThan(10);
    expect(await captured()).toBe(n);
  }, 240_000);

  it('lives through a MariaDB crash: both restart, and the topic ends equal to the bank, nothing twice', async () => {
    const restarted = new Set<string>();
    const w = await startBankWorkload({
      mysqlUrl: env.my.url,
      brokers: env.brokers,
      dataDir: env.dir,
      seed: '3',
      onRestart: (name) => restarted.add(name),
    });
    const before = await transactions();
    await waitFor('10 more bank transactions', async () => (await transactions()) > before + 10, {
      timeoutMs: 90_000,
      everyMs: 250,
      retryErrors: true,
    });
    await env.my.stop(); // SIGKILL
    await new Promise((r) => setTimeout(r, 1500));
    await env.my.start();
    const atRestart = await transactions();
    await waitFor('10 bank transactions after the restart', async () => (await transactions()) > atRestart + 10, {
      timeoutMs: 90_000,
      everyMs: 250,
      retryErrors: true,
    });
    await w.closeBank();
    const ids = (await queryMysql<{ id: string }>(bankUrl(), 'SELECT CAST(txn_id AS CHAR) AS id FROM transactions'))
      .map((r) => r.id)
      .sort();
    const read = async () => {
      const msgs = await kcatRead(env.brokers, 'bank.bank.transactions');
      const live = new Map<string, boolean>();
      for (const m of msgs) if (m.key !== null) live.set(m.key, m.value !== null && !m.value.includes('"op":"d"'));
      const keys = [...live].filter(([, alive]) => alive).map(([k]) => String(JSON.parse(k).payload?.txn_id ?? k));
      return { msgs, keys: keys.sort() };
    };
    await waitFor('the captured topic to equal the bank', async () => (await read()).keys.length >= ids.length, {
      timeoutMs: 90_000,
      everyMs: 500,
      detail: () => `the bank has ${ids.length} transactions`,
      retryErrors: true,
    });
    await w.closeCdc();
    await w.done;
    expect([...restarted].sort()).toEqual(['the bank simulator', 'ticklake cdc']);
    const { msgs, keys } = await read();
    expect(keys).toEqual(ids);
    // every change event once: the binlog position each carries is unique across the topic
    const changeIds = msgs.map((m) => /ticklake\.cdc\.id=([^,]+)/.exec(m.headers)?.[1]);
    expect(changeIds.every((x) => x !== undefined)).toBe(true);
    expect(new Set(changeIds).size).toBe(changeIds.length);
  }, 300_000);
});

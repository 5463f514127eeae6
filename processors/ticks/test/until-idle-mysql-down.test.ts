/**
 * `--until-idle` with MySQL down (issue 22's review): once the input was drained, the run's last delivery forced a
 * MySQL attempt every 200 ms for as long as the server stayed down, past the outage's backoff (0.2 s doubling to
 * 10 s, mysql-outage.ts) that the rest of the run keeps. Here a real MariaDB is stopped before the processor starts;
 * the processor drains a small input, and the failed attempts it makes while waiting for MySQL are counted over a
 * few seconds: no more than the backoff allows. Then MySQL comes back and the run ends with MySQL holding every bar
 * the lake has.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../../test/helpers/mysql.js';
import { waitFor } from '../../../test/helpers/poll.js';
import { produceAll } from '../../../test/helpers/processor-run.js';
import { type ProcessorStats, startProcessor } from '../processor.js';
import { MessageLog, T0 } from './fixtures.js';

/** How long the drained run is watched waiting for MySQL. */
const WATCH_MS = 4000;

/**
 * Most attempts a backoff of 0.2 s doubling allows in `ms`: the forced one that starts the wait, then one at each of
 * 0, 0.2, 0.6, 1.4, 3.0 … s (sum of 0.2·2^i), whatever state the backoff was in before.
 */
function attemptsAllowed(ms: number): number {
  return 2 + Math.floor(Math.log2(ms / 200 + 1));
}

describe.skipIf(!testMysqlAvailable())('--until-idle waiting for a MySQL that is down', () => {
  let dir: string;
  let broker: RunningBroker;
  let my: TestMysql;
  let url: string;
  let attempts = 0;
  let watched = 0;
  let final: ProcessorStats;
  let mysqlBars = -1;
  let lakeBars = -2;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-idle-down-'));
    [broker, my] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 }),
      startTestMysql(),
    ]);
    url = await createDatabase(my.url, 'idle_down_test');
    await my.stop();
    // 5 minutes of one tick a second for two symbols: a few 1m bars, nothing else needed
    const log = new MessageLog();
    for (let i = 0; i < 300; i++) {
      for (const [k, symbol] of ['AAPL', 'MSFT'].entries()) {
        log.tick({ v: 1, symbol, exchange: 'SE1', assetClass: 'equity', ts: T0 + i * 1000, price: 100 + k, size: 1 });
      }
    }
    await produceAll([broker.address], 'ticks', log.messages);

    const proc = await startProcessor({
      brokers: [broker.address],
      lakeDir: join(dir, 'lake'),
      stateDir: join(dir, 'state'),
      mysqlUrl: url,
      untilIdle: true,
    });
    try {
      // drained: what is left is the final delivery, waiting for MySQL
      await waitFor('the input drained', () => proc.stats().caughtUpAt !== null, { timeoutMs: 120_000 });
      const before = proc.stats().mysqlFailures;
      const from = Date.now();
      await sleep(WATCH_MS);
      attempts = proc.stats().mysqlFailures - before;
      watched = Date.now() - from;
      await my.start();
      final = await proc.done;
    } finally {
      await proc.close().catch(() => {});
    }
    const [r] = await queryMysql<{ n: number }>(url, 'SELECT COUNT(*) AS n FROM bars');
    mysqlBars = Number(r.n);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const l = await db.runAndReadAll(
      `SELECT count(*)::INTEGER FROM read_parquet('${join(dir, 'lake')}/bars/**/*.parquet', hive_partitioning = true)`,
    );
    lakeBars = Number(l.getRowsJS()[0][0]);
    db.closeSync();
  }, 240_000);

  afterAll(async () => {
    await broker?.close();
    await my?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('retries MySQL on the backoff, not every 200 ms', () => {
    expect(attempts).toBeGreaterThan(0);
    expect(attempts).toBeLessThanOrEqual(attemptsAllowed(watched));
  });

  it('ends once MySQL is back, MySQL holding every bar of the lake', () => {
    expect(final.consumed).toBe(600);
    expect(lakeBars).toBeGreaterThan(0);
    expect(mysqlBars).toBe(lakeBars);
  });
});

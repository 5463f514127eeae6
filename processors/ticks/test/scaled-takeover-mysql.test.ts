/**
 * A `--scale-out` instance whose MySQL was down for several batches, then gone for good: the instance that takes its
 * partitions over must deliver to MySQL every bar the gone one committed to the lake, not only its latest entry's.
 *
 * Seen once in test/scale-out.test.ts's SIGKILL scenario under heavy load: MySQL lacked the 09:34–09:36 bars of
 * partition 4 that the lake had. A scaled-out owner delivers each batch's MySQL rows after its commit entry and, when
 * MySQL fails, goes on with the next batches (docs/processor.md, "Delivery"), the rows waiting in its own state
 * directory; a new owner queued again only the latest entry's rows (docs/scaling.md, "What is left", named the gap).
 *
 * Here instance A runs alone over a 3-partition topic with its MySQL down (a real MariaDB, stopped), several batches
 * per partition, until it has consumed the topic; it is stopped and its state directory deleted (a lost machine: docs/scaling.md calls it a cache).
 * Instance B, in the same group with a state directory of its own, takes every partition over, still without
 * MySQL, and closes the last windows; MariaDB comes back once B has caught up, and B's `--until-idle` run ends when
 * MySQL has its rows (it used to end at once, leaving them in its state directory). MySQL must then hold every bar
 * of the lake, bit for bit; the lake's 1m bars are counted by hand (a tick every
 * 2 s for each symbol and minute). Before entries recorded what their owner still owed, MySQL held only the bars of
 * each partition's last entry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { createDatabase, startTestMysql, type TestMysql, testMysqlAvailable } from '../../../test/helpers/mysql.js';
import { waitFor } from '../../../test/helpers/poll.js';
import { produceAll } from '../../../test/helpers/processor-run.js';
import { PartitionLog } from '../../partitions/commit-log.js';
import type { PartitionEntryState } from '../../partitions/partition-state.js';
import { startProcessor } from '../processor.js';
import { lakeBars as readLakeBars, mysqlBars as readMysqlBars, SYMBOLS, twoSecondTicks } from './mysql-bars.js';

const MINUTES = 8;

describe.skipIf(!testMysqlAvailable())('a scaled-out takeover from an instance whose MySQL was down', () => {
  let dir: string;
  let broker: RunningBroker;
  let my: TestMysql;
  let url: string;
  let lakeBars: string[] = [];
  let mysqlBars: string[] = [];
  let entries = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-takeover-mysql-'));
    [broker, my] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 }),
      startTestMysql(),
    ]);
    url = await createDatabase(my.url, 'takeover_test');
    await my.stop();
    const log = twoSecondTicks(MINUTES);
    await produceAll([broker.address], 'ticks', log.messages);
    const lakeDir = join(dir, 'lake');
    const common = { brokers: [broker.address], group: 'g', lakeDir, untilIdle: true, scaleOut: true };

    // A: every partition, MySQL down all along, batches of 200 messages (several per partition), stopped once its
    // entries have consumed the whole topic (its last windows still open: B closes them)
    const highs = new Map<number, number>();
    for (const m of log.messages) highs.set(m.partition, Math.max(highs.get(m.partition) ?? 0, m.offset + 1));
    const a = await startProcessor({
      ...common,
      untilIdle: false,
      stateDir: join(dir, 'a'),
      mysqlUrl: url,
      batchMessages: 200,
    });
    try {
      await waitFor(
        'A to commit the whole topic',
        async () => {
          for (const [p, high] of highs) {
            const latest = await new PartitionLog<PartitionEntryState>(lakeDir, 'ticks', p, 'test').latest();
            if ((latest?.state.nextOffset ?? 0) < high) return false;
          }
          return true;
        },
        { timeoutMs: 120_000 },
      );
    } finally {
      await a.close().catch(() => {});
    }
    await rm(join(dir, 'a'), { recursive: true, force: true });
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const files = await db.runAndReadAll(`SELECT count(*)::INTEGER FROM glob('${lakeDir}/_commits/ticks/*/*.json')`);
    entries = Number(files.getRowsJS()[0][0]);

    // B takes every partition over, MySQL still down; it closes the last windows, then waits for MySQL to end
    const b = await startProcessor({ ...common, stateDir: join(dir, 'b'), mysqlUrl: url });
    try {
      await waitFor('B to catch up', () => b.stats().caughtUpAt !== null, { timeoutMs: 120_000 });
      await my.start();
      await b.done;
    } finally {
      await b.close().catch(() => {});
    }

    db.closeSync();
    lakeBars = await readLakeBars(lakeDir);
    mysqlBars = await readMysqlBars(url);
  }, 240_000);

  afterAll(async () => {
    await broker?.close();
    await my?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('A committed several entries per partition', () => {
    expect(entries).toBeGreaterThanOrEqual(3 * 3);
  });

  it('MySQL holds every bar of the lake, bit for bit', () => {
    // per symbol: one 1m bar per minute and one 1d bar
    expect(lakeBars.length).toBe(SYMBOLS.length * (MINUTES + 1));
    expect(mysqlBars).toEqual(lakeBars);
  });
});

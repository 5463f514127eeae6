/**
 * A `--scale-out` instance whose MySQL is down pauses consumption once a partition it holds has more than
 * `maxMysqlBacklog` batches waiting for MySQL, as the single-instance processor does, and goes on once MySQL has
 * them. Before, it consumed on whatever MySQL's state: every batch's rows stayed in the partition's outbox and every
 * commit entry from the oldest one MySQL lacked (`owedFrom`) was kept for a new owner, so both grew for as long as
 * MySQL was down.
 *
 * A real MariaDB, stopped before the instance starts; 24 batches of 60 messages over 3 partitions, at most 2 waiting
 * for MySQL. The instance must stop consuming (its consumed count stays put for 2 s, well short of the topic) and,
 * once MariaDB is back, consume the rest and end its `--until-idle` run with every bar of the lake in MySQL, bit
 * for bit; the lake's bars are counted by hand (one 1m bar per symbol and minute, one 1d bar per symbol).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { createDatabase, startTestMysql, type TestMysql, testMysqlAvailable } from '../../../test/helpers/mysql.js';
import { waitFor } from '../../../test/helpers/poll.js';
import { produceAll } from '../../../test/helpers/processor-run.js';
import { type ProcessorStats, startProcessor } from '../processor.js';
import { lakeBars as readLakeBars, mysqlBars as readMysqlBars, SYMBOLS, twoSecondTicks } from './mysql-bars.js';

const MINUTES = 8;

describe.skipIf(!testMysqlAvailable())('a scaled-out instance whose MySQL falls behind', () => {
  let dir: string;
  let broker: RunningBroker;
  let my: TestMysql;
  let total = 0;
  let atPause = 0;
  let twoSecondsLater = 0;
  let final: ProcessorStats;
  let lakeBars: string[] = [];
  let mysqlBars: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-scaled-behind-'));
    [broker, my] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 }),
      startTestMysql(),
    ]);
    const url = await createDatabase(my.url, 'scaled_behind');
    await my.stop();
    const log = twoSecondTicks(MINUTES);
    await produceAll([broker.address], 'ticks', log.messages);
    total = log.messages.length;
    const lakeDir = join(dir, 'lake');
    const p = await startProcessor({
      brokers: [broker.address],
      group: 'g',
      lakeDir,
      stateDir: join(dir, 'state'),
      mysqlUrl: url,
      scaleOut: true,
      untilIdle: true,
      batchMessages: 60,
      maxMysqlBacklog: 2,
    });
    try {
      await waitFor('consumption to pause', () => p.stats().mysqlDown === true, { timeoutMs: 120_000 });
      atPause = p.stats().consumed;
      await sleep(2000);
      twoSecondsLater = p.stats().consumed;
      await my.start();
      final = await p.done;
    } finally {
      await p.close().catch(() => {});
    }

    lakeBars = await readLakeBars(lakeDir);
    mysqlBars = await readMysqlBars(url);
  }, 240_000);

  afterAll(async () => {
    await broker?.close();
    await my?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stopped consuming, well short of the topic, while MySQL was down', () => {
    expect(atPause).toBeGreaterThan(0);
    // at most the batches past the limit on each of the 3 partitions, and the batch being taken when it paused
    expect(atPause).toBeLessThan(total / 2);
    expect(twoSecondsLater).toBe(atPause);
  });

  it('consumed the rest once MySQL was back, and MySQL holds every bar of the lake, bit for bit', () => {
    expect(final.consumed).toBe(total);
    expect(final.mysqlDown).toBe(false);
    // per symbol: one 1m bar per minute and one 1d bar
    expect(lakeBars.length).toBe(SYMBOLS.length * (MINUTES + 1));
    expect(mysqlBars).toEqual(lakeBars);
  });
});

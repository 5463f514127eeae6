/**
 * Several processor instances in one consumer group (issue 19), as a user runs them: `ticklake process`
 * subprocesses over a 6-partition topic (each symbol on one partition), one lake, one state directory each, compared
 * by key with a single-instance run of the same topic (test/helpers/instances.ts).
 *
 * MySQL too (a real MariaDB, test/helpers/mysql.ts): the single-instance run writes database `scale_single`; every
 * two-instance scenario gives all its instances and its valuation stage one database of its own (`--mysql-url`), and
 * its `bars`, `anomalies` and `portfolio_valuations` must equal the single-instance ones row for row, bit for bit
 * (`compareMysql`). Checked to fail: with a takeover not queueing the latest entry's MySQL rows again
 * (staged-outputs.ts `redeliverEntry` marking them delivered), the SIGKILL-mid-run scenario misses bars in MySQL.
 *
 * Runs now: the harness itself — a SIGKILLed and restarted instance equals the single-instance run, and a lake with
 * a duplicated or a missing file is told apart from it.
 *
 * Not yet enabled (`PARTITION_SCOPED` below): the two-instance scenarios of issue 19's "Done when". They need the
 * tick engine to process only its assigned partitions, hand state over through the partition commit log and fence a
 * woken instance (docs/scaling.md, "What is built and what is left"). Today a second instance on one lake is refused
 * at start (TL_LAKE_UNCOORDINATED, processors/partitions/test/lake-guard.test.ts); on main before that guard the
 * same scenarios fail: each instance waits for partitions it never sees (`--until-idle` never ends), and a woken
 * instance's batches are archived a second time.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../broker/index.js';
import { startProcessor } from '../processors/ticks/processor.js';
import { onSymbolPartitions, seededRun } from '../processors/ticks/test/fixtures.js';
import {
  compareLakes,
  compareMysql,
  type Instance,
  type InstanceSpec,
  killInstance,
  lakeFiles,
  startInstance,
  type TableComparison,
} from './helpers/instances.js';
import { createDatabase, queryMysql, startTestMysql, type TestMysql, testMysqlAvailable } from './helpers/mysql.js';
import { waitFor } from './helpers/poll.js';
import { produceAll } from './helpers/processor-run.js';

/** Set once the tick engine is partition-scoped (issue 19): enables the two-instance scenarios. */
const PARTITION_SCOPED = true;
const PARTITIONS = 6;
/**
 * Messages per batch, for the instances and the single-instance run. The 10,450 ticks make about 11 batches over the
 * whole topic, and an instance's share of 3 of the 6 partitions (3,600 to 6,480 ticks) 4 to 7: every crash point
 * (batch 2 or 3) still has batches after it, and the scenarios below check that the instance they act on was still
 * running when they did. A batch costs an instance about 0.1 CPU-s whatever its size (DuckDB's fixed cost per
 * statement over the ~50 statements of a partition batch: `npm run bench:scale-batch`, bench/HISTORY.md): with 500 a
 * process over the whole topic took 7.0 CPU-s, with 1,000 5.9 (11.3 and 9.1 before 653d73a..a2cac45, alternating).
 */
const MAX_BATCH = 1000;

/** What a lake equal to the single-instance one compares as. */
const equal = (c: TableComparison[]) => c.map(({ table }) => ({ table, problems: [], duplicates: 0 }));
const summary = (c: TableComparison[]) => c.map(({ table, problems, duplicates }) => ({ table, problems, duplicates }));

describe('several processor instances in one group', () => {
  let dir: string;
  let broker: RunningBroker;
  let db: DuckDBConnection;
  let total = 0;
  /** A real MariaDB (test/helpers/mysql.ts): the single-instance run writes database `scale_single`, each scenario its own. */
  let my: TestMysql | undefined;
  let singleMysql = '';
  const running: Instance[] = [];
  const single = () => join(dir, 'single', 'lake');

  const spec = (name: string, group: string, lake: string, more: string[] = []): InstanceSpec => ({
    name,
    brokers: broker.address,
    group,
    lakeDir: lake,
    stateDir: join(dir, group, `state-${name}`),
    // the tick engine alone: the keyed-table engine, with nothing to read, would add a consumer group to every
    // instance (about 2 CPU-s and seconds of wall time each)
    args: ['--max-batch', String(MAX_BATCH), '--session-timeout', '3s', '--sources', 'ticks', ...more],
  });
  const start = (s: InstanceSpec) => {
    const i = startInstance(s);
    running.push(i);
    return i;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-scale-'));
    let run: Awaited<ReturnType<typeof seededRun>>;
    [broker, run] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, groupInitialRebalanceDelayMs: 300 }),
      seededRun(12),
    ]);
    if (testMysqlAvailable()) {
      my = await startTestMysql();
      singleMysql = await createDatabase(my.url, 'scale_single');
    }
    // keyed by symbol over six partitions: a symbol's ticks stay on one partition, as producers/sender.ts sends them
    const messages = onSymbolPartitions(run.log.messages, PARTITIONS);
    await produceAll([broker.address], 'ticks', messages, PARTITIONS);
    total = messages.length;
    const p = await startProcessor({
      brokers: [broker.address],
      group: 'single',
      lakeDir: single(),
      stateDir: join(dir, 'single', 'state'),
      mysqlUrl: my ? singleMysql : undefined,
      untilIdle: true,
      batchMessages: MAX_BATCH,
    });
    await p.done;
    db = await (await DuckDBInstance.create(':memory:')).connect();
  }, 240_000);

  afterAll(async () => {
    for (const i of running) await killInstance(i);
    db?.closeSync();
    await broker?.close();
    await my?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('the harness', () => {
    it('one instance SIGKILLed after a commit and restarted equals the single-instance run by key', async () => {
      const lake = join(dir, 'restart', 'lake');
      const s = spec('a', 'restart', lake, ['--until-idle']);
      const crashed = await start({ ...s, env: { TICKLAKE_CRASH_AT: 'after-commit:3' } }).exit;
      expect(crashed.signal).toBe('SIGKILL');
      const finished = await start(s).exit;
      expect([finished.code, finished.err]).toEqual([0, expect.stringMatching(/processed \d+ messages/)]);
      const c = await compareLakes(db, single(), lake);
      expect(summary(c)).toEqual(equal(c));
      expect(c.find((t) => t.table === 'ticks')?.rows).toBe(total - (c.find((t) => t.table === 'rejected')?.rows ?? 0));
      expect(c.find((t) => t.table === 'valuations')?.rows).toBeGreaterThan(0);
    }, 180_000);

    it('tells a lake with a file twice or a file missing from the single-instance one', async () => {
      const bars = await lakeFiles(single(), 'bars');
      const ticks = await lakeFiles(single(), 'ticks');
      // a copy of the lake with one bar file twice (another writer's name) and one tick file missing
      const copy = join(dir, 'copy', 'lake');
      for (const t of ['ticks', 'bars', 'anomalies', 'valuations', 'late_ticks', 'rejected']) {
        for (const f of await lakeFiles(single(), t)) {
          if (t === 'ticks' && f === ticks[0]) continue;
          const to = join(copy, t, f);
          await mkdir(dirname(to), { recursive: true });
          await copyFile(join(single(), t, f), to);
        }
      }
      await copyFile(
        join(single(), 'bars', bars[0]),
        join(copy, 'bars', `${bars[0].replace(/\.parquet$/, '')}-w2.parquet`),
      );
      const c = await compareLakes(db, single(), copy);
      const byTable = Object.fromEntries(c.map((t) => [t.table, t]));
      expect(byTable.bars.duplicates).toBeGreaterThan(0);
      expect(byTable.ticks.problems.map((p) => p.problem)).toContain('missing');
      expect(byTable.valuations).toMatchObject({ problems: [], duplicates: 0 });
      expect((await readdir(copy)).length).toBeGreaterThan(0);
    });
  });

  it.skipIf(!testMysqlAvailable())(
    'tells a MySQL database with a row missing or one double 1e-15 off from the single-instance one',
    async () => {
      const copy = await createDatabase((my as TestMysql).url, 'scale_copy');
      const name = new URL(singleMysql).pathname.slice(1);
      for (const t of ['bars', 'anomalies', 'portfolio_valuations']) {
        await queryMysql(copy, `CREATE TABLE \`${t}\` AS SELECT * FROM \`${name}\`.\`${t}\``);
      }
      expect(summary(await compareMysql(singleMysql, copy))).toEqual(
        equal(await compareMysql(singleMysql, singleMysql)),
      );
      // a change in the last bits is found: MySQL is compared bit for bit, as the lake is
      await queryMysql(copy, 'UPDATE bars SET `close` = `close` * (1 + 1e-15) ORDER BY symbol, window_start LIMIT 1');
      await queryMysql(copy, 'DELETE FROM anomalies ORDER BY ts DESC LIMIT 1');
      const byTable = Object.fromEntries((await compareMysql(singleMysql, copy)).map((t) => [t.table, t]));
      expect(byTable.bars.problems.map((p) => p.problem).sort()).toEqual([
        'extra or different',
        'missing or different',
      ]);
      expect(byTable.anomalies.problems.map((p) => p.problem)).toEqual(['missing or different']);
      expect(byTable.anomalies.rows).toBe(byTable.anomalies.expectedRows - 1);
      expect(byTable.portfolio_valuations).toMatchObject({
        problems: [],
        rows: byTable.portfolio_valuations.expectedRows,
      });
      expect(byTable.portfolio_valuations.rows).toBeGreaterThan(0);
    },
  );

  describe('failover', () => {
    it('--session-timeout: the partitions of a SIGKILLed instance go to the other member once it has passed', async () => {
      // the other member: a plain kafkajs consumer in the same group (the processor also offers round-robin)
      const kafka = new Kafka({ clientId: 'failover-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: 'failover', sessionTimeout: 10_000, heartbeatInterval: 300 });
      let owned: number[] = [];
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        owned = [...(e.payload.memberAssignment.ticks ?? [])].sort();
      });
      const lake = join(dir, 'failover', 'lake');
      const a = start(spec('a', 'failover', lake, ['--session-timeout', '3s']));
      try {
        await waitFor('the instance to process', async () => (await lakeFiles(lake, 'ticks')).length > 0, {
          timeoutMs: 90_000,
        });
        await consumer.connect();
        await consumer.subscribe({ topics: ['ticks'], fromBeginning: true });
        await consumer.run({ eachMessage: async () => {} });
        await waitFor('the partitions to be shared', () => owned.length > 0 && owned.length < PARTITIONS, {
          timeoutMs: 90_000,
        });
        const killedAt = Date.now();
        a.child.kill('SIGKILL');
        // within 20 s: the 3 s given, not the 30 s default (generous: a loaded machine rejoins slowly)
        await waitFor('the takeover', () => owned.length === PARTITIONS, { timeoutMs: 20_000 });
        const takeoverMs = Date.now() - killedAt;
        // not before the instance's 3 s session ran out (the broker evicts it then), and then all of them
        expect(takeoverMs).toBeGreaterThanOrEqual(2900);
        expect(owned).toEqual([0, 1, 2, 3, 4, 5]);
        process.stderr.write(`failover: takeover ${takeoverMs} ms after SIGKILL with --session-timeout 3s\n`);
      } finally {
        await consumer.disconnect();
        await killInstance(a);
      }
    }, 180_000);
  });

  // MySQL is part of "equal one" (issue 19): without a MariaDB these scenarios would check only half of it
  describe.skipIf(!PARTITION_SCOPED || !testMysqlAvailable())(
    'two instances over 6 partitions equal one (issue 19, Done when)',
    () => {
      /** The first instance of the scenario that runs (`running` keeps every earlier one too). */
      let scenarioFrom = 0;
      /** A fresh MySQL database for a scenario's group, which all its instances and its valuation stage share. */
      const database = async (group: string) =>
        createDatabase((my as TestMysql).url, `scale_${group.replace(/\W/g, '_')}`);
      /** A scaled-out instance (`--scale-out`): the tick engine only, publishing closes for the valuation stage. */
      const scaled = (name: string, group: string, lake: string, mysqlUrl: string) =>
        spec(name, group, lake, ['--until-idle', '--scale-out', '--publish-closes', '--mysql-url', mysqlUrl]);
      /** After the instances: the valuation stage over the closes they published, until idle (it writes MySQL's valuations). */
      const valuate = async (group: string, lake: string, mysqlUrl: string) => {
        const args = ['--stage', 'valuations', '--until-idle', '--mysql-url', mysqlUrl];
        const v = await start({ ...spec('valuations', group, lake, args) }).exit;
        expect([v.code, v.err]).toEqual([0, expect.stringMatching(/valuations: \d+ messages/)]);
      };
      /** Two instances A and B in a fresh group on a fresh lake and database; `during` acts on them; both run until idle. */
      const twoInstances = async (
        group: string,
        during: (a: Instance, b: Instance, lake: string, mysqlUrl: string) => Promise<void>,
      ) => {
        const lake = join(dir, group, 'lake');
        const mysqlUrl = await database(group);
        scenarioFrom = running.length;
        const a = start(scaled('a', group, lake, mysqlUrl));
        const b = start(scaled('b', group, lake, mysqlUrl));
        await during(a, b, lake, mysqlUrl);
        const results = await Promise.all(running.map((i) => i.exit));
        await valuate(group, lake, mysqlUrl);
        return { lake, mysqlUrl, results };
      };
      /** Every lake table and every MySQL result table equal the single-instance run's, by key. */
      const expectEqualToSingle = async (lake: string, mysqlUrl: string) => {
        const c = await compareLakes(db, single(), lake);
        expect(summary(c)).toEqual(equal(c));
        const m = await compareMysql(singleMysql, mysqlUrl);
        if (m.some((t) => t.problems.length > 0)) {
          // what the instances said (warnings and up: a MySQL outage, a refusal) tells a delivery gap from a race
          for (const i of running.slice(scenarioFrom)) process.stderr.write(`--- ${i.name}'s stderr:\n${i.stderr()}\n`);
        }
        expect(summary(m)).toEqual(equal(m));
        for (const t of m) expect([t.table, t.rows]).toEqual([t.table, t.expectedRows]);
        expect(m.every((t) => t.expectedRows > 0)).toBe(true);
      };
      /** Neither instance has ended yet (each runs until the topic is drained). */
      const bothRunning = (...is: Instance[]) =>
        is.every((i) => i.child.exitCode === null && i.child.signalCode === null);
      const ticksArchived = (lake: string) => async () => (await lakeFiles(lake, 'ticks')).length > 3;

      it('a SIGKILL of one instance mid-run: the other takes its partitions over', async () => {
        const { lake, mysqlUrl } = await twoInstances('kill', async (a, b, l) => {
          await waitFor('the first tick files', ticksArchived(l), { timeoutMs: 90_000 });
          expect(bothRunning(a, b)).toBe(true); // mid-run: both still had work
          a.child.kill('SIGKILL');
        });
        await expectEqualToSingle(lake, mysqlUrl);
      }, 300_000);

      it('a SIGSTOP beyond the session timeout, the other takes over, then SIGCONT: the woken one changes nothing', async () => {
        let woken: Instance | undefined;
        const { lake, mysqlUrl } = await twoInstances('stop', async (a, b, l) => {
          await waitFor('the first tick files', ticksArchived(l), { timeoutMs: 90_000 });
          expect(bothRunning(a, b)).toBe(true);
          a.child.kill('SIGSTOP');
          await b.exit; // b took a's partitions over (3 s session) and finished the topic
          a.child.kill('SIGCONT');
          woken = a;
        });
        await expectEqualToSingle(lake, mysqlUrl);
        // whether the woken one tried to commit depends on where it was stopped (mid-batch: it was fenced; waiting for
        // messages: it found every partition done); with the commit log's link replaced by a rename it duplicated
        // thousands of ticks and several bars here (docs/scaling.md)
        const fenced = woken?.stderr().match(/TL_LAKE_PARTITION_FENCED|fenced/g)?.length ?? 0;
        process.stderr.write(`SIGSTOP/SIGCONT: the woken instance was fenced ${fenced} time(s)\n`);
      }, 300_000);

      it('a third instance joining mid-stream', async () => {
        const { lake, mysqlUrl } = await twoInstances('join', async (a, b, l, url) => {
          await waitFor('the first tick files', ticksArchived(l), { timeoutMs: 90_000 });
          expect(bothRunning(a, b)).toBe(true); // mid-stream: a rebalance among three while there is work
          start(scaled('c', 'join', l, url));
        });
        await expectEqualToSingle(lake, mysqlUrl);
      }, 300_000);

      it.each(['mid-batch:2', 'mid-archive:3', 'after-commit:2', 'mid-delivery:3', 'after-lake:2'])(
        'SIGKILL at %s with two instances running, then restarted',
        async (point) => {
          const group = `crash-${point.replace(/\W/g, '-')}`;
          const lake = join(dir, group, 'lake');
          const mysqlUrl = await database(group);
          scenarioFrom = running.length;
          const a = start({ ...scaled('a', group, lake, mysqlUrl), env: { TICKLAKE_CRASH_AT: point } });
          const b = start(scaled('b', group, lake, mysqlUrl));
          expect((await a.exit).signal).toBe('SIGKILL');
          const alive = b.child.exitCode === null ? 'still running' : 'done';
          process.stderr.write(`SIGKILL at ${point}: the other instance was ${alive} at the crash\n`);
          await start(scaled('a', group, lake, mysqlUrl)).exit;
          await Promise.all(running.map((i) => i.exit));
          await valuate(group, lake, mysqlUrl);
          await expectEqualToSingle(lake, mysqlUrl);
        },
        300_000,
      );
    },
  );
});

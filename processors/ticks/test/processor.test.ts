/**
 * The processor end to end over real components: the embedded broker (kafkajs over TCP), a private MariaDB, a real
 * lake. A seeded producer run goes in; a MySQL outage happens mid-run (the server is killed and restarted); the
 * results in the lake and in MySQL must equal the independent SQL of reference.ts, and invalid messages must come
 * back from `ticks.dlq` (read with a second kafkajs client) and from the lake's `rejected`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { loadPortfolioSeeds } from '../../../contracts/portfolio-seeds.js';
import { createDatabase, startTestMysql, type TestMysql, testMysqlAvailable } from '../../../test/helpers/mysql.js';
import { waitFor } from '../../../test/helpers/poll.js';
import { loadMysqlTables, produceAll } from '../../../test/helpers/processor-run.js';
import { type ProcessorStats, startProcessor } from '../processor.js';
import { type SeededRun, seededRun } from './fixtures.js';
import { buildReference, diff } from './reference.js';

const lake = (dir: string, t: string) =>
  `read_parquet('${dir}/${t}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

describe.skipIf(!testMysqlAvailable())('processor over the embedded broker, with MySQL and an outage', () => {
  let dir: string;
  let broker: RunningBroker;
  let my: TestMysql;
  let url: string;
  let run: SeededRun;
  let ref: DuckDBConnection;
  let final: ProcessorStats;
  let duringOutage = 0;
  let producedFrom = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-proc-'));
    [broker, my, run] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 }),
      startTestMysql(),
      seededRun(),
    ]);
    url = await createDatabase(my.url, 'processor_test');
    producedFrom = Date.now();
    await produceAll([broker.address], 'ticks', run.log.messages);

    const proc = await startProcessor({
      brokers: [broker.address],
      lakeDir: join(dir, 'lake'),
      stateDir: join(dir, 'state'),
      mysqlUrl: url,
      untilIdle: true,
      batchMessages: 1000,
      maxMysqlBacklog: 4,
    });
    const total = run.log.messages.length;
    // MySQL dies after about a third of the input; the lake goes on; MySQL comes back later
    await waitFor('a third consumed', () => proc.stats().consumed > total / 3, { timeoutMs: 60_000 });
    await my.stop();
    const atStop = proc.stats().consumed;
    await waitFor(
      'progress during outage',
      () => proc.stats().mysqlFailures >= 2 && proc.stats().consumed > atStop + 2000,
      { timeoutMs: 60_000 },
    );
    duringOutage = proc.stats().consumed - atStop;
    await my.start();
    final = await proc.done;

    const seeds = await loadPortfolioSeeds();
    const investorOf = new Map(seeds.portfolios.map((p) => [p.portfolioId, p.investorId]));
    ref = await (await DuckDBInstance.create(':memory:')).connect();
    await buildReference(ref, {
      lakeDir: join(dir, 'lake'),
      latenessMs: 5000,
      portfolios: seeds.portfolios,
      holdings: seeds.holdings.map((h) => ({ ...h, investorId: investorOf.get(h.portfolioId) ?? '' })),
    });
    await loadMysqlTables(url, ref, dir);
  }, 180_000);

  afterAll(async () => {
    ref?.closeSync();
    await broker?.close();
    await my?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('consumed everything and kept feeding the lake while MySQL was down', () => {
    expect(final.consumed).toBe(run.log.messages.length);
    expect(final.rejected).toBe(run.invalid);
    expect(final.mysqlFailures).toBeGreaterThan(0);
    expect(duringOutage).toBeGreaterThan(2000);
  });

  it('says when its first batch came and when it had caught up, in order, before its end', () => {
    const { startedAt, firstBatchAt, caughtUpAt, finishedAt } = final;
    expect(firstBatchAt).not.toBeNull();
    expect(caughtUpAt).not.toBeNull();
    expect(startedAt <= (firstBatchAt ?? 0)).toBe(true);
    expect((firstBatchAt ?? 0) < (caughtUpAt ?? 0)).toBe(true);
    expect((caughtUpAt ?? 0) <= (finishedAt ?? 0)).toBe(true);
  });

  it("says how long ticks took from Kafka to the lake: 0 <= p50 <= p99, p99 within the run's length", () => {
    const { freshnessP50Ms: p50, freshnessP99Ms: p99, finishedAt } = final;
    expect(typeof p50).toBe('number');
    expect(typeof p99).toBe('number');
    expect(0 <= (p50 ?? -1) && (p50 ?? 0) <= (p99 ?? -1)).toBe(true);
    // every tick was produced after producedFrom and committed before the processor finished
    expect(p99).toBeLessThanOrEqual((finishedAt ?? 0) - producedFrom);
    // the MySQL outage held some ticks back for seconds, others went straight through: not all alike
    expect(p99).toBeGreaterThan(p50 ?? 0);
  });

  it('lake bars, anomalies and valuations equal the reference computed from the archived ticks', async () => {
    const valid = run.log.messages.length - run.invalid;
    const n =
      await ref.runAndReadAll(`SELECT count(*)::INTEGER, count(DISTINCT (kafka_partition, kafka_offset))::INTEGER
      FROM ${lake(join(dir, 'lake'), 'ticks')}`);
    expect(n.getRowsJS()[0]).toEqual([valid, valid]);
    const l = (t: string) => lake(join(dir, 'lake'), t);
    expect(
      await diff(
        ref,
        'SELECT * FROM ref_bars',
        `SELECT *, "window" AS win FROM ${l('bars')}`,
        ['symbol', 'win', 'window_start'],
        ['open', 'high', 'low', 'close', 'notional', 'vwap', 'trade_rate', 'volatility', 'log_return'],
        ['window_end', 'volume', 'trades'],
      ),
    ).toEqual([]);
    expect(
      await diff(
        ref,
        'SELECT * FROM ref_anomalies',
        `SELECT *, "window" AS win FROM ${l('anomalies')}`,
        ['symbol', 'kind', 'win', 'ts', 'kafka_offset'],
        ['value', 'threshold', 'price'],
        ['severity', 'kafka_partition'],
      ),
    ).toEqual([]);
    expect(
      await diff(
        ref,
        'SELECT * FROM ref_valuations',
        `SELECT *, "window" AS win FROM ${l('valuations')}`,
        ['portfolio_id', 'win', 'as_of'],
        ['nav', 'change', 'change_pct'],
        ['investor_id', 'positions', 'missing_prices'],
      ),
    ).toEqual([]);
  });

  it('MySQL holds exactly the rows of the reference after the outage', async () => {
    expect(
      await diff(
        ref,
        'SELECT * FROM ref_bars',
        `SELECT *, "window" AS win FROM my_bars`,
        ['symbol', 'win', 'window_start'],
        ['open', 'high', 'low', 'close', 'notional', 'vwap', 'trade_rate', 'volatility', 'log_return'],
        ['window_end', 'volume', 'trades'],
      ),
    ).toEqual([]);
    expect(
      await diff(
        ref,
        `SELECT * REPLACE (coalesce(win, '') AS win) FROM ref_anomalies`,
        `SELECT *, "window" AS win FROM my_anomalies`,
        ['symbol', 'kind', 'win', 'ts'],
        ['value', 'threshold', 'price'],
        ['severity', 'kafka_partition', 'kafka_offset'],
      ),
    ).toEqual([]);
    expect(
      await diff(
        ref,
        'SELECT * FROM ref_valuations',
        `SELECT *, "window" AS win FROM my_valuations`,
        ['portfolio_id', 'win', 'as_of'],
        ['nav', 'change', 'change_pct'],
        ['investor_id', 'positions', 'missing_prices'],
      ),
    ).toEqual([]);
  });

  it('dead letters, anomalies and valuations are published to Kafka (read back with a second kafkajs client)', async () => {
    const kafka = new Kafka({ clientId: 'topic-reader', brokers: [broker.address], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'topic-reader-test' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['ticks.dlq', 'anomalies', 'valuations'], fromBeginning: true });
    const dlq = new Map<string, string>();
    const anomalies = new Set<string>();
    const valuations = new Set<string>();
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === 'ticks.dlq') {
          const h = message.headers ?? {};
          dlq.set(`${h['source-partition']}/${h['source-offset']}`, String(h.reason));
          return;
        }
        const v = JSON.parse(String(message.value));
        if (topic === 'anomalies') anomalies.add(`${message.key}|${v.kind}|${v.window}|${v.ts}`);
        else valuations.add(`${message.key}|${v.window}|${v.as_of}|${v.nav.toFixed(6)}`);
      },
    });
    const l = (t: string) => lake(join(dir, 'lake'), t);
    const keys = async (sql: string) => new Set((await ref.runAndReadAll(sql)).getRowsJS().map((r) => String(r[0])));
    const wantAnomalies = await keys(
      `SELECT symbol || '|' || kind || '|' || coalesce("window", 'null') || '|' || epoch_ms(ts) FROM ${l('anomalies')}`,
    );
    const wantValuations = await keys(
      `SELECT portfolio_id || '|' || "window" || '|' || epoch_ms(as_of) || '|' || printf('%.6f', nav) FROM ${l('valuations')}`,
    );
    await waitFor(
      'published messages',
      () => dlq.size >= run.invalid && anomalies.size >= wantAnomalies.size && valuations.size >= wantValuations.size,
      { timeoutMs: 60_000 },
    );
    await consumer.disconnect();
    expect(anomalies).toEqual(wantAnomalies);
    expect(valuations).toEqual(wantValuations);
    const r = await ref.runAndReadAll(
      `SELECT kafka_partition || '/' || kafka_offset, reason FROM ${l('rejected')} ORDER BY 1`,
    );
    const rejected = new Map(r.getRowsJS().map(([k, v]) => [String(k), String(v)]));
    expect(rejected.size).toBe(run.invalid);
    expect(new Map([...dlq].sort())).toEqual(new Map([...rejected].sort()));
    expect([...rejected.values()].some((x) => x.startsWith('value: not JSON'))).toBe(true);
  });

  it('late ticks are in the lake table late_ticks', async () => {
    const r = await ref.runAndReadAll(
      `SELECT symbol, epoch_ms(ts)::DOUBLE, "window" FROM ${lake(join(dir, 'lake'), 'late_ticks')}`,
    );
    expect(r.getRowsJS()).toEqual(run.lateTicks.map((t) => [t.symbol, t.ts, '1m']));
  });

  it('a fresh state starts from the beginning even though its group committed offsets to Kafka', async () => {
    // same (default) group as the run above, which committed every offset; the state decides, not the group
    const again = await startProcessor({
      brokers: [broker.address],
      lakeDir: join(dir, 'again', 'lake'),
      stateDir: join(dir, 'again', 'state'),
      untilIdle: true,
    });
    const s = await again.done;
    expect([s.consumed, s.rejected]).toEqual([run.log.messages.length, run.invalid]);
    const r = await ref.runAndReadAll(
      `SELECT (SELECT count(*) FROM ${lake(join(dir, 'again', 'lake'), 'bars')})::INTEGER,
        (SELECT count(*) FROM ${lake(join(dir, 'lake'), 'bars')})::INTEGER`,
    );
    const [bars, before] = r.getRowsJS()[0];
    expect(bars).toBe(before);
  });
});

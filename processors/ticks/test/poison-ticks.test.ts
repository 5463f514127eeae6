/**
 * Poison ticks (issue 21 item 2): valid for the schema, but beyond what the arithmetic and the sinks take. Each used
 * to stop the whole pipeline for good: price 5e-324 made a bar's log return the logarithm of zero (exit 1 on every
 * restart), a tick of year 10000 could not be written to the lake, one of 9999-12-31 opened a 1d window ending in
 * year 10000 (and the restart hung), price 1e308 made NaN bars that MySQL refused. Here each is dead-lettered with
 * its reason (`ticks.dlq`, read back with a second kafkajs client, and the lake's `rejected`) while every other
 * tick is counted: the lake's and MySQL's bars equal an independent computation over the good ticks of the input.
 * A row MySQL itself refuses (a trigger here) is dead-lettered too, and the rest of MySQL is complete.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { type Tick, tickProblem } from '../../../contracts/tick.js';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../../test/helpers/mysql.js';
import {
  type CliRun,
  loadMysqlTables,
  produceAll,
  readTopic,
  runTicklake,
} from '../../../test/helpers/processor-run.js';
import { MysqlSink } from '../../sinks/mysql-sink.js';
import { MessageLog, seededRun, T0 } from './fixtures.js';
import { buildReference, diff } from './reference.js';

const lake = (dir: string, t: string) =>
  `read_parquet('${dir}/${t}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

/** A valid tick (for the schema) that the processor must not count, and what its dead letter's reason says. */
interface Poison {
  symbol: string;
  change: Partial<Tick>;
  reason: RegExp;
}
const POISON: Poison[] = [
  { symbol: 'AAPL', change: { price: 5e-324 }, reason: /^price: 5e-324 is outside \[1e-12, 1000000000000\]/ },
  {
    symbol: 'AAPL',
    change: { ts: 253_402_300_800_000 }, // 10000-01-01
    reason: /^ts: \+010000-01-01T00:00:00.000Z is at or after 9999-12-31T00:00:00.000Z/,
  },
  {
    symbol: 'MSFT',
    change: { ts: 253_402_214_400_000 }, // 9999-12-31: its 1d window would end in year 10000
    reason: /^ts: 9999-12-31T00:00:00.000Z is at or after 9999-12-31T00:00:00.000Z/,
  },
  { symbol: 'MSFT', change: { price: 1e308 }, reason: /^price: 1e\+308 is outside/ },
  { symbol: 'BTC-USD', change: { size: 10_000_000_000_000 }, reason: /^size: 10000000000000 is above 1000000000000/ },
];

describe.skipIf(!testMysqlAvailable())('poison ticks are dead-lettered, every other tick counted', () => {
  let dir: string;
  let broker: RunningBroker;
  let my: TestMysql;
  let url: string;
  let db: DuckDBConnection;
  const runs: CliRun[] = [];
  /** Offsets of the poison messages, by `partition:offset`. */
  const poisonAt = new Map<string, Poison>();
  let invalid = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-poison-'));
    let run: Awaited<ReturnType<typeof seededRun>>;
    [broker, my, run] = await Promise.all([
      startBroker({ dataDir: join(dir, 'broker'), port: 0, defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 }),
      startTestMysql(),
      seededRun(10),
    ]);
    invalid = run.invalid;
    // the seeded run again; poison tick i comes right after the first good tick of its symbol in minute i + 1
    const log = new MessageLog();
    const good: { tick: Tick; partition: number; offset: number }[] = [];
    let next = 0;
    for (const m of run.log.messages) {
      const added = log.add(m.key === null ? null : String(m.key), String(m.value));
      let parsed: Tick | null = null;
      try {
        parsed = JSON.parse(String(m.value)) as Tick;
      } catch {
        /* one of the seeded run's invalid messages */
      }
      if (parsed === null || tickProblem(parsed) !== null || m.key === null) continue;
      good.push({ tick: parsed, partition: added.partition, offset: added.offset });
      const p = POISON[next];
      if (p && parsed.symbol === p.symbol && parsed.ts >= T0 + (next + 1) * 60_000) {
        const bad = log.tick({ ...parsed, ...p.change });
        poisonAt.set(`${bad.partition}:${bad.offset}`, p);
        next++;
      }
    }
    expect(poisonAt.size).toBe(POISON.length);
    url = await createDatabase(my.url, 'poison_test');
    await produceAll([broker.address], 'ticks', log.messages);

    // the expected results, from the good ticks of the input (not from anything the processor wrote): reference.ts
    // reads <lake>/ticks, so the good ticks go to a lake of their own
    db = await (await DuckDBInstance.create(':memory:')).connect();
    const goodFile = join(dir, 'good.ndjson');
    await writeFile(
      goodFile,
      good
        .map(({ tick: t, partition, offset }) =>
          JSON.stringify({ ...t, kafka_partition: partition, kafka_offset: offset }),
        )
        .join('\n'),
    );
    await mkdir(join(dir, 'expected', 'ticks'), { recursive: true });
    await db.run(`COPY (SELECT symbol, exchange, assetClass AS asset_class, epoch_ms(ts::BIGINT) AS ts,
        price::DOUBLE AS price, size::BIGINT AS size, kafka_partition::INTEGER AS kafka_partition,
        kafka_offset::BIGINT AS kafka_offset FROM read_json_auto('${goodFile}'))
      TO '${join(dir, 'expected', 'ticks', 'good.parquet')}' (FORMAT parquet)`);
    await buildReference(db, { lakeDir: join(dir, 'expected'), latenessMs: 5000, holdings: [], portfolios: [] });

    // MySQL refuses one symbol's 1d bars (a trigger on the migrated schema): those rows are the sink's poison
    await (await MysqlSink.connect(url, { seeds: false })).close();
    await queryMysql(
      url,
      `CREATE TRIGGER refuse_sap BEFORE INSERT ON bars FOR EACH ROW
       IF NEW.symbol = 'SAP' AND NEW.\`window\` = '1d' THEN
         SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'SAP daily bars refused by a test trigger';
       END IF`,
    );
    const args = [
      'process',
      '--brokers',
      broker.address,
      '--lake-dir',
      join(dir, 'lake'),
      '--state-dir',
      join(dir, 'state'),
      '--mysql-url',
      url,
      '--until-idle',
      '--max-batch',
      '700',
      '--sources', // the tick engine alone
      'ticks',
    ];
    runs.push(await runTicklake(args));
    runs.push(await runTicklake(args)); // the restart: nothing new, nothing stuck
    await loadMysqlTables(url, db, dir);
  }, 240_000);

  afterAll(async () => {
    db?.closeSync();
    await broker?.close();
    await my?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the run and its restart exit 0', () => {
    expect(runs.map((r) => [r.code, r.signal])).toEqual([
      [0, null],
      [0, null],
    ]);
    expect(runs[0].stderr).toMatch(
      new RegExp(`processed \\d+ messages in [\\d.]+ s: \\d+ ticks, ${invalid + POISON.length} rejected`),
    );
    expect(runs[1].stderr).toMatch(/processed 0 messages/);
  });

  it('each poison tick is in ticks.dlq with its reason, its source partition and offset', async () => {
    const dlq = (await readTopic([broker.address], 'ticks.dlq')).filter((m) => m.headers.sink === undefined);
    expect(dlq).toHaveLength(invalid + POISON.length);
    const poisoned = dlq.filter((m) => poisonAt.has(`${m.headers['source-partition']}:${m.headers['source-offset']}`));
    expect(poisoned).toHaveLength(POISON.length);
    for (const m of poisoned) {
      const p = poisonAt.get(`${m.headers['source-partition']}:${m.headers['source-offset']}`) as Poison;
      expect(m.headers.reason).toMatch(p.reason);
      expect(m.headers['source-topic']).toBe('ticks');
      expect(m.key).toBe(p.symbol);
      expect(JSON.parse(String(m.value))).toMatchObject({ symbol: p.symbol, ...p.change });
    }
  });

  it('and in the lake table rejected, with the same reason', async () => {
    const r = await db.runAndReadAll(
      `SELECT kafka_partition, kafka_offset, reason FROM ${lake(join(dir, 'lake'), 'rejected')}`,
    );
    const rows = r.getRowsJS();
    expect(rows).toHaveLength(invalid + POISON.length);
    const found = rows.filter(([p, o]) => poisonAt.has(`${p}:${o}`));
    expect(found).toHaveLength(POISON.length);
    for (const [p, o, reason] of found) expect(String(reason)).toMatch((poisonAt.get(`${p}:${o}`) as Poison).reason);
  });

  it('the lake holds exactly the good ticks', async () => {
    const q = (from: string) => `SELECT symbol, ts, price, size, kafka_partition, kafka_offset FROM ${from}`;
    const a = q(lake(join(dir, 'lake'), 'ticks'));
    const e = q('ref_ticks');
    const r = await db.runAndReadAll(`SELECT (SELECT count(*) FROM ((${a} EXCEPT ALL ${e}) UNION ALL (${e} EXCEPT ALL
      ${a})))::INTEGER, (SELECT count(*) FROM ref_ticks)::INTEGER`);
    const [different, good] = r.getRowsJS()[0];
    expect(different).toBe(0);
    expect(Number(good)).toBeGreaterThan(4000);
  });

  const BAR_KEY = ['symbol', 'win', 'window_start'];
  const BAR_NUM = ['open', 'high', 'low', 'close', 'notional', 'vwap', 'trade_rate', 'volatility', 'log_return'];
  const BAR_EXACT = ['window_end', 'volume', 'trades'];

  it('the lake bars of every symbol equal the bars computed from the good ticks alone', async () => {
    const actual = `SELECT *, "window" AS win FROM ${lake(join(dir, 'lake'), 'bars')}`;
    expect(await diff(db, 'SELECT * FROM ref_bars', actual, BAR_KEY, BAR_NUM, BAR_EXACT)).toEqual([]);
    const n = await db.runAndReadAll(
      `SELECT count(*)::INTEGER, count(DISTINCT symbol)::INTEGER FROM ${lake(join(dir, 'lake'), 'bars')}`,
    );
    expect(n.getRowsJS()[0][1]).toBe(29);
  });

  it('MySQL has the same bars but the ones its trigger refused, which are dead-lettered with its reason', async () => {
    const expected = `SELECT * FROM ref_bars WHERE NOT (symbol = 'SAP' AND win = '1d')`;
    const actual = 'SELECT *, "window" AS win FROM my_bars';
    expect(await diff(db, expected, actual, BAR_KEY, BAR_NUM, BAR_EXACT)).toEqual([]);
    const refused = (await readTopic([broker.address], 'ticks.dlq')).filter((m) => m.headers.sink === 'mysql');
    expect(refused.length).toBeGreaterThan(0);
    for (const m of refused) {
      expect(m.headers).toMatchObject({ 'source-table': 'bars' });
      expect(m.headers.reason).toMatch(/SAP daily bars refused by a test trigger/);
      expect(m.key).toMatch(/^SAP\|1d\|/);
      expect(JSON.parse(String(m.value))).toMatchObject({ symbol: 'SAP', window: '1d' });
    }
    // the lake has them
    const sap = await db.runAndReadAll(
      `SELECT count(*)::INTEGER FROM ${lake(join(dir, 'lake'), 'bars')} WHERE symbol = 'SAP' AND "window" = '1d'`,
    );
    expect(sap.getRowsJS()[0][0]).toBe(new Set(refused.map((m) => m.key)).size);
  });
});

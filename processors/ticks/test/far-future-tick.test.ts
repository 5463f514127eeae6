/**
 * The watermark guard (issue 21 item 5): one tick dated years ahead used to move its partition's watermark there,
 * and every later tick of the partition went to `late_ticks` (a tick dated 2030 sent 1,448 of them there, 21 1m bars
 * went missing). Now a tick more than --max-ahead ahead of its Kafka timestamp is dead-lettered with the reason, the
 * processor counts it in `farFutureTicks`, the partition's max event time and watermark stay where the good ticks put
 * them, no later tick is late, and the bars equal those computed from the good ticks alone.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import type { Tick } from '../../../contracts/tick.js';
import { useBroker } from '../../../test/helpers/broker.js';
import { produceAll, readTopic } from '../../../test/helpers/processor-run.js';
import { type ProcessorStats, startProcessor } from '../processor.js';
import { STATE_FILE } from '../state.js';
import { MessageLog, partitionOf, T0 } from './fixtures.js';
import { buildReference, diff } from './reference.js';

const lake = (dir: string, t: string) =>
  `read_parquet('${dir}/${t}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;
const FUTURE = Date.UTC(2030, 5, 1);
const SYMBOLS = ['AAPL', 'MSFT', 'BTC-USD'];

describe('a tick dated years ahead', () => {
  let dir: string;
  let broker: RunningBroker;
  let db: DuckDBConnection;
  let stats: ProcessorStats;
  let future: { partition: number; offset: number };
  /** Largest good event time per partition. */
  const maxTs = new Map<number, number>();
  let after = 0;

  const embedded = useBroker('ticklake-future', { defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    // 10 minutes of ticks at 1 s; AAPL's tick of 2030 comes after 2 minutes, ~480 more of its partition follow
    const log = new MessageLog();
    const good: (Tick & { kafka_partition: number; kafka_offset: number })[] = [];
    for (let i = 0; i < 600; i++) {
      for (const [k, symbol] of SYMBOLS.entries()) {
        const t: Tick = {
          v: 1,
          symbol,
          exchange: 'SE1',
          assetClass: 'equity',
          ts: T0 + i * 1000 + k,
          price: 100 + k * 50 + Math.sin(i / 7) * (k + 1),
          size: 1 + ((i * 7 + k) % 13),
        };
        const m = log.tick(t);
        good.push({ ...t, kafka_partition: m.partition, kafka_offset: m.offset });
        maxTs.set(m.partition, Math.max(maxTs.get(m.partition) ?? 0, t.ts));
        if (future && m.partition === future.partition) after++;
      }
      if (i === 120) {
        const m = log.tick({
          v: 1,
          symbol: 'AAPL',
          exchange: 'SE1',
          assetClass: 'equity',
          ts: FUTURE,
          price: 101,
          size: 1,
        });
        future = { partition: m.partition, offset: m.offset };
      }
    }
    await produceAll([broker.address], 'ticks', log.messages);

    db = await (await DuckDBInstance.create(':memory:')).connect();
    const file = join(dir, 'good.ndjson');
    await writeFile(file, good.map((t) => JSON.stringify(t)).join('\n'));
    await mkdir(join(dir, 'expected', 'ticks'), { recursive: true });
    await db.run(`COPY (SELECT symbol, exchange, assetClass AS asset_class, epoch_ms(ts::BIGINT) AS ts,
        price::DOUBLE AS price, size::BIGINT AS size, kafka_partition::INTEGER AS kafka_partition,
        kafka_offset::BIGINT AS kafka_offset FROM read_json_auto('${file}'))
      TO '${join(dir, 'expected', 'ticks', 'good.parquet')}' (FORMAT parquet)`);
    await buildReference(db, { lakeDir: join(dir, 'expected'), latenessMs: 5000, holdings: [], portfolios: [] });

    const proc = await startProcessor({
      brokers: [broker.address],
      lakeDir: join(dir, 'lake'),
      stateDir: join(dir, 'state'),
      untilIdle: true,
      batchMessages: 500,
    });
    stats = await proc.done;
  }, 120_000);

  afterAll(async () => {
    db?.closeSync();
  });

  it('is dead-lettered with the reason, and counted as the guard tripping', async () => {
    expect(after).toBeGreaterThan(400);
    expect({ rejected: stats.rejected, farFutureTicks: stats.farFutureTicks, late: stats.late }).toEqual({
      rejected: 1,
      farFutureTicks: 1,
      late: 0,
    });
    const dlq = await readTopic([broker.address], 'ticks.dlq');
    expect(dlq.map((m) => [m.headers['source-partition'], m.headers['source-offset']])).toEqual([
      [String(future.partition), String(future.offset)],
    ]);
    expect(dlq[0].headers.reason).toMatch(
      /^ts: 2030-06-01T00:00:00.000Z is \d+ ms ahead of the Kafka timestamp .*; at most 86400000 ms allowed \(--max-ahead\)$/,
    );
  });

  it("leaves its partition's max event time and watermark where the good ticks put them", async () => {
    const st = await (await DuckDBInstance.create(join(dir, 'state', STATE_FILE))).connect();
    const r = await st.runAndReadAll(`SELECT kafka_partition, max_ts, watermark FROM partitions
      WHERE max_ts > 0 ORDER BY 1` /* a partition without ticks has no max event time */);
    st.closeSync();
    const day = 86_400_000;
    // --until-idle ends with every watermark at the end of the last 1d window of the partition's max event time
    expect(r.getRowsJS().map(([p, m, w]) => [Number(p), Number(m), Number(w)])).toEqual(
      [...maxTs].sort((a, b) => a[0] - b[0]).map(([p, m]) => [p, m, Math.floor(m / day) * day + day]),
    );
    expect(partitionOf('AAPL')).toBe(future.partition);
  });

  it('makes no later tick late, and every bar equals the bars of the good ticks alone', async () => {
    const late = await db.runAndReadAll(`SELECT count(*)::INTEGER FROM ${lake(join(dir, 'lake'), 'late_ticks')}`).then(
      (x) => x.getRowsJS()[0][0],
      () => 0,
    );
    expect(late).toBe(0);
    const actual = `SELECT *, "window" AS win FROM ${lake(join(dir, 'lake'), 'bars')}`;
    expect(
      await diff(
        db,
        'SELECT * FROM ref_bars',
        actual,
        ['symbol', 'win', 'window_start'],
        ['open', 'high', 'low', 'close', 'notional', 'vwap', 'trade_rate', 'volatility', 'log_return'],
        ['window_end', 'volume', 'trades'],
      ),
    ).toEqual([]);
    const n = await db.runAndReadAll(`SELECT count(*)::INTEGER FROM ref_bars WHERE symbol = 'AAPL' AND win = '1m'`);
    expect(n.getRowsJS()[0][0]).toBe(10);
  });
});

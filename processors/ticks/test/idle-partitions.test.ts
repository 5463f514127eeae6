/**
 * `--idle-timeout` over the embedded broker (kafkajs over TCP): a topic of two partitions where only partition 0
 * gets ticks. Without idleness the empty partition holds every valuation back for as long as the processor runs;
 * with it, once partition 1 has been empty and quiet for the timeout, the window ends partition 0's watermark passed
 * are valued, and the NAVs equal an independent computation (quantity × the latest tick price of the window before
 * each end, worked out here from the produced ticks, not read from the processor's bars).
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import { loadPortfolioSeeds } from '../../../contracts/portfolio-seeds.js';
import { encodeTick } from '../../../contracts/tick.js';
import { useBroker } from '../../../test/helpers/broker.js';
import { waitFor } from '../../../test/helpers/poll.js';
import { produceAll } from '../../../test/helpers/processor-run.js';
import { startProcessor } from '../processor.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0);
const SYMBOL = 'AAPL';
// a tick every 10 s for 5 minutes: prices 100, 101, ... so each minute's close is known by hand
const TICKS = Array.from({ length: 30 }, (_, i) => ({ ts: T0 + i * 10_000, price: 100 + i }));

describe('idle partitions over the embedded broker', () => {
  let dir: string;
  let broker: RunningBroker;

  const embedded = useBroker('ticklake-idle', { groupInitialRebalanceDelayMs: 0 });
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    // only partition 0 gets ticks; partition 1 stays empty
    const ticks = TICKS.map((t, i) => ({
      partition: 0,
      offset: i,
      key: SYMBOL,
      value: encodeTick({
        v: 1,
        symbol: SYMBOL,
        exchange: 'SE1',
        assetClass: 'equity',
        ts: t.ts,
        price: t.price,
        size: 1,
      }),
    }));
    await produceAll([broker.address], 'ticks', ticks, 2);
  }, 60_000);

  it('without --idle-timeout the empty partition holds valuations back', async () => {
    const proc = await startProcessor({
      brokers: [broker.address],
      group: 'no-idle',
      lakeDir: join(dir, 'lake-no-idle'),
      stateDir: join(dir, 'state-no-idle'),
      windows: '1m',
      idleTimeoutMs: 0,
    });
    // every tick consumed and the closed minutes' bars out: a valuation could only have come with them
    await waitFor('bars', () => proc.stats().consumed === TICKS.length && proc.stats().bars >= 4, {
      timeoutMs: 30_000,
    });
    const stats = await proc.close();
    expect(stats.valuations).toBe(0);
  }, 60_000);

  it('with it, the window ends partition 0 passed are valued once partition 1 has been quiet that long', async () => {
    const lakeDir = join(dir, 'lake-idle');
    const proc = await startProcessor({
      brokers: [broker.address],
      group: 'idle',
      lakeDir,
      stateDir: join(dir, 'state-idle'),
      windows: '1m',
      idleTimeoutMs: 300,
    });
    // watermark of partition 0 = last tick (04:50) − 5 s lateness = 04:45: minutes ending 01:00 … 04:00 are closed
    const seeds = await loadPortfolioSeeds();
    await waitFor('valuations', () => proc.stats().valuations >= 4 * seeds.portfolios.length, {
      timeoutMs: 30_000,
    });
    await proc.close();

    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const r = await db.runAndReadAll(`SELECT portfolio_id, epoch_ms(as_of)::DOUBLE AS as_of, nav, missing_prices
      FROM read_parquet('${lakeDir}/valuations/**/*.parquet', hive_partitioning = true) ORDER BY ALL`);
    const rows = r.getRowObjectsJS();
    const ends = [...new Set(rows.map((x) => Number(x.as_of)))].sort((a, b) => a - b);
    expect(ends).toEqual([1, 2, 3, 4].map((k) => T0 + k * 60_000));
    expect(rows).toHaveLength(4 * seeds.portfolios.length);
    expect(seeds.holdings.some((h) => h.symbol === SYMBOL)).toBe(true);
    // holdings in AAPL per portfolio, from the seed files the processor loads
    for (const row of rows) {
      const asOf = Number(row.as_of);
      const close = TICKS.filter((t) => t.ts < asOf).at(-1)?.price ?? 0;
      const held = seeds.holdings.filter((h) => h.portfolioId === row.portfolio_id);
      const aapl = held.filter((h) => h.symbol === SYMBOL).reduce((a, h) => a + h.quantity, 0);
      // every other holding has no price: partition 0 carries only AAPL; a portfolio without AAPL has no NAV (null)
      expect({ p: row.portfolio_id, asOf, nav: row.nav, missing: row.missing_prices }).toEqual({
        p: row.portfolio_id,
        asOf,
        nav: aapl > 0 ? aapl * close : null,
        missing: held.filter((h) => h.symbol !== SYMBOL).length,
      });
    }
    db.closeSync();
  }, 60_000);
});

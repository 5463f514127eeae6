/**
 * The batch (history/engine.ts) gives the rows the stream processor gives for the same ticks: the same ticks go
 * through the embedded broker and the real processor into one lake, and through `writeHistory` into another; bars,
 * anomalies and valuations must be equal row for row (Kafka coordinates aside: history has none). The ticks are a
 * seeded simulation with a low spike threshold, so that price anomalies are many, over three hours, so that volume
 * spikes (20 previous bars) happen too. Also: one file per partition directory.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { loadPortfolioSeeds } from '../../contracts/portfolio-seeds.js';
import { startProcessor } from '../../processors/ticks/processor.js';
import { parseWindows } from '../../processors/time/windows.js';
import { Simulator } from '../../producers/simulator.js';
import { DEFAULT_UNIVERSE_FILE, loadUniverse } from '../../producers/universe.js';
import { useBroker } from '../../test/helpers/broker.js';
import { produceAll } from '../../test/helpers/processor-run.js';
import { HIST_TICKS_DDL, writeHistory } from '../engine.js';

const T0 = Date.UTC(2026, 2, 2, 9);
const THRESHOLDS = { spike: 0.0002, critical: 0.0005, volumeSpikeFactor: 1.5 };
const WINDOWS = '1m,15m,1h';
let dir: string;
let broker: RunningBroker;
let db: DuckDBConnection;
let files: number;

const embedded = useBroker('tl-history-engine', { groupInitialRebalanceDelayMs: 0 });
beforeAll(async () => {
  ({ dir, broker } = embedded);
  const universe = await loadUniverse(DEFAULT_UNIVERSE_FILE);
  const specs = universe.exchanges
    .flatMap((x) => x.symbols)
    .filter((s) => ['AAPL', 'MSFT', 'BTC-USD', 'EUR-USD', 'NESN'].includes(s.symbol));
  const sim = new Simulator(specs, { seed: 'engine', start: T0, tickIntervalMs: 5000, end: T0 + 3 * 3_600_000 });
  const messages = [];
  const ticks = [];
  for (let m = sim.next(); m !== null; m = sim.next()) {
    const t = sim.tick();
    ticks.push(t);
    messages.push({ partition: 0, offset: 0, key: t.symbol, value: sim.encode() });
  }

  // the stream: one partition, so arrival order is the order above (and the watermark is that of every tick)
  await produceAll([broker.address], 'ticks', messages, 1);
  const proc = await startProcessor({
    brokers: [broker.address],
    lakeDir: join(dir, 'stream'),
    stateDir: join(dir, 'state'),
    windows: WINDOWS,
    latenessMs: 0,
    untilIdle: true,
    thresholds: THRESHOLDS,
  });
  await proc.done;

  // the batch
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  await conn.run(HIST_TICKS_DDL);
  const app = await conn.createAppender('hist_ticks');
  ticks.forEach((t, i) => {
    app.appendVarchar(t.symbol);
    app.appendVarchar(t.exchange);
    app.appendVarchar(t.assetClass);
    app.appendTimestamp(new DuckDBTimestampValue(BigInt(t.ts) * 1000n));
    app.appendDouble(t.price);
    app.appendDouble(t.size);
    app.appendBigInt(BigInt(i));
    app.endRow();
  });
  app.closeSync();
  const seeds = await loadPortfolioSeeds();
  const investor = new Map(seeds.portfolios.map((p) => [p.portfolioId, p.investorId]));
  const windows = parseWindows(WINDOWS);
  const r = await writeHistory(conn, {
    lakeDir: join(dir, 'batch'),
    windows,
    tag: 'test',
    ticks: true,
    valuations: {
      windows: windows.map((w) => w.label),
      portfolios: seeds.portfolios.map((p) => ({ portfolioId: p.portfolioId, investorId: p.investorId })),
      holdings: seeds.holdings.map((h) => ({ ...h, investorId: investor.get(h.portfolioId) ?? '' })),
    },
    thresholds: THRESHOLDS,
  });
  files = r.files;
  conn.closeSync();
  inst.closeSync();
  db = await (await DuckDBInstance.create(':memory:')).connect();
}, 180_000);

afterAll(async () => {
  db?.closeSync();
});

const read = (lake: string, table: string) =>
  `read_parquet('${join(dir, lake)}/${table}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

/** Rows of the table in one lake and not the other (both ways), numbers rounded to 9 significant digits. */
async function difference(table: string, columns: string): Promise<{ n: number; only: unknown[] }> {
  const q = (lake: string) => `select ${columns} from ${read(lake, table)}`;
  const n = Number((await db.runAndReadAll(`select count(*) from (${q('stream')})`)).getRows()[0][0]);
  const only = (
    await db.runAndReadAll(
      `(select 'stream' as side, * from ((${q('stream')}) except all (${q('batch')})))
       union all (select 'batch' as side, * from ((${q('batch')}) except all (${q('stream')}))) limit 5`,
    )
  ).getRowsJson();
  return { n, only };
}

const r9 = (c: string) => `round(${c}, 9 - cast(ceil(log10(abs(${c}) + 1e-300)) as int)) as ${c}`;

it('bars: the same rows as the processor, every window', async () => {
  const cols = ['open', 'high', 'low', 'close', 'volume', 'notional', 'vwap', 'trade_rate', 'volatility', 'log_return'];
  const d = await difference('bars', `symbol, "window", window_start, window_end, trades, ${cols.map(r9).join(', ')}`);
  expect(d.n).toBe(5 * (180 + 12 + 3)); // 5 symbols, 3 hours of 1m, 15m and 1h bars
  expect(d.only).toEqual([]);
});

it('anomalies: the same price and volume spikes as the processor', async () => {
  const d = await difference('anomalies', `symbol, ts, kind, severity, "window", ${r9('value')}, threshold, price`);
  expect(d.n).toBeGreaterThan(50);
  const kinds = await db.runAndReadAll(`select distinct kind from ${read('batch', 'anomalies')} order by 1`);
  expect(kinds.getRows().map((r) => r[0])).toEqual(['FLASH_CRASH', 'SPIKE', 'VOLUME_SPIKE']);
  expect(d.only).toEqual([]);
});

it('valuations and ticks: the same rows', async () => {
  const v = await difference(
    'valuations',
    `portfolio_id, investor_id, "window", as_of, ${r9('nav')}, ${r9('change')}, ${r9('change_pct')}, positions, missing_prices`,
  );
  expect(v.n).toBeGreaterThan(100);
  expect(v.only).toEqual([]);
  const t = await difference('ticks', 'symbol, exchange, asset_class, ts, price, size');
  expect(t.only).toEqual([]);
});

it('one file per partition directory, named h-<tag>', () => {
  const names = readdirSync(join(dir, 'batch'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.parquet'));
  expect(names.length).toBe(files);
  const dirs = names.map((f) => f.slice(0, f.lastIndexOf('/')));
  expect(new Set(dirs).size).toBe(names.length);
  expect(names.every((f) => /\/h-test-\d+\.parquet$/.test(f))).toBe(true);
});

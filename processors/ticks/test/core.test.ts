/**
 * Golden test of the processor core fed from memory (no Kafka): a seeded producer run with hand-made extras goes
 * through ProcessorCore + Delivery into a real lake; every bar, anomaly and valuation must equal the independent
 * SQL of reference.ts computed over the archived lake `ticks`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPortfolioSeeds } from '../../../contracts/portfolio-seeds.js';
import { logger } from '../../../core/log.js';
import { compareLakes } from '../../../test/helpers/lake-compare.js';
import { Delivery } from '../../sinks/delivery.js';
import type { ProcessorCore, Thresholds } from '../core.js';
import type { StateDb } from '../state.js';
import { type MessageLog, openTestCore, type SeededRun, seededRun } from './fixtures.js';
import { buildReference, diff } from './reference.js';

const LATENESS = 5000;
const lake = (dir: string, t: string) =>
  `read_parquet('${dir}/${t}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

async function runCore(
  dir: string,
  messages: MessageLog['messages'],
  cuts: number[],
  { pipelined = false, thresholds }: { pipelined?: boolean; thresholds?: Partial<Thresholds> } = {},
): Promise<{ state: StateDb; core: ProcessorCore }> {
  const { state, core } = await openTestCore(dir, '1m,1d', { latenessMs: LATENESS, thresholds });
  const delivery = new Delivery({ conn: state.conn, lakeDir: join(dir, 'lake'), log: logger('test') });
  let i = 0;
  let k = 0;
  const submitted: Promise<unknown>[] = [];
  while (i < messages.length) {
    const n = cuts[k++ % cuts.length];
    if (pipelined) {
      // every batch submitted before any committed; each one again half overlapping (a Kafka re-fetch)
      submitted.push(core.submit(messages.slice(i, i + n)));
      submitted.push(core.submit(messages.slice(Math.max(0, i - n / 2), i + n)));
    } else {
      await core.submit(messages.slice(i, i + n));
      await delivery.deliverAll();
    }
    i += n;
  }
  await Promise.all(submitted);
  await core.flush();
  await delivery.deliverAll();
  return { state, core };
}

describe('processor core fed from memory: golden results', () => {
  let dir: string;
  let run: SeededRun;
  let state: StateDb;
  let ref: DuckDBConnection;
  let lakeDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-core-'));
    lakeDir = join(dir, 'a', 'lake');
    run = await seededRun();
    ({ state } = await runCore(join(dir, 'a'), run.log.messages, [997, 1, 5000, 13, 2500]));
    const seeds = await loadPortfolioSeeds();
    const investorOf = new Map(seeds.portfolios.map((p) => [p.portfolioId, p.investorId]));
    ref = await (await DuckDBInstance.create(':memory:')).connect();
    await buildReference(ref, {
      lakeDir,
      latenessMs: LATENESS,
      portfolios: seeds.portfolios,
      holdings: seeds.holdings.map((h) => ({ ...h, investorId: investorOf.get(h.portfolioId) ?? '' })),
    });
  });

  afterAll(async () => {
    state?.conn.closeSync();
    ref?.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it('archives every valid tick exactly once with its partition and offset', async () => {
    const r = await ref.runAndReadAll(
      `SELECT count(*)::INTEGER, count(DISTINCT (kafka_partition, kafka_offset))::INTEGER FROM ${lake(lakeDir, 'ticks')}`,
    );
    const valid = run.log.messages.length - run.invalid;
    expect(r.getRowsJS()[0]).toEqual([valid, valid]);
    expect(valid).toBeGreaterThan(5000);
  });

  it('emits every bar of the reference computation, and nothing else', async () => {
    const actual = `SELECT symbol, "window" AS win, window_start, window_end, open, high, low, close, volume, notional,
      vwap, trades, trade_rate, volatility, log_return FROM ${lake(lakeDir, 'bars')}`;
    const problems = await diff(
      ref,
      'SELECT * FROM ref_bars',
      actual,
      ['symbol', 'win', 'window_start'],
      ['open', 'high', 'low', 'close', 'notional', 'vwap', 'trade_rate', 'volatility', 'log_return'],
      ['window_end', 'volume', 'trades'],
    );
    expect(problems).toEqual([]);
    const counts = await ref.runAndReadAll(
      `SELECT "window", count(*)::INTEGER FROM (${actual.replace('"window" AS win', '"window"')}) GROUP BY 1 ORDER BY 1`,
    );
    const c = Object.fromEntries(counts.getRowsJS());
    expect(c['1d']).toBeGreaterThan(10);
    expect(c['1m']).toBeGreaterThan(c['1d'] * 20);
  });

  it('emits every anomaly of the reference computation, including the hand-made ones', async () => {
    const actual = `SELECT symbol, ts, kind, severity, "window" AS win, value, threshold, price, kafka_partition,
      kafka_offset FROM ${lake(lakeDir, 'anomalies')}`;
    const problems = await diff(
      ref,
      'SELECT * FROM ref_anomalies',
      actual,
      ['symbol', 'kind', 'win', 'ts', 'kafka_offset'],
      ['value', 'threshold', 'price'],
      ['severity', 'kafka_partition'],
    );
    expect(problems).toEqual([]);
    // the injected +5 % / -10 % pair in minute 3 and the volume spike in minute 23 (hand-checked expectations)
    const r =
      await ref.runAndReadAll(`SELECT kind, severity, "window", round(value, 2) FROM ${lake(lakeDir, 'anomalies')}
      WHERE symbol = 'AAPL' AND (kind = 'VOLUME_SPIKE' OR ts BETWEEN TIMESTAMP '2026-01-05 09:33:00' AND TIMESTAMP '2026-01-05 09:34:00')
      ORDER BY ts, kafka_offset`);
    const rows = r.getRowsJS();
    expect(rows).toContainEqual(['SPIKE', 'WARNING', null, 0.05]);
    expect(rows).toContainEqual(['FLASH_CRASH', 'CRITICAL', null, 0.1]);
    expect(rows.filter((x) => x[0] === 'VOLUME_SPIKE').map((x) => x[2])).toContain('1m');
  });

  it('values every portfolio at every window close like the reference', async () => {
    const actual = `SELECT portfolio_id, investor_id, "window" AS win, as_of, nav, change, change_pct, positions,
      missing_prices FROM ${lake(lakeDir, 'valuations')}`;
    const problems = await diff(
      ref,
      'SELECT * FROM ref_valuations',
      actual,
      ['portfolio_id', 'win', 'as_of'],
      ['nav', 'change', 'change_pct'],
      ['investor_id', 'positions', 'missing_prices'],
    );
    expect(problems).toEqual([]);
    const n = await ref.runAndReadAll(`SELECT count(*)::INTEGER FROM ${lake(lakeDir, 'valuations')} WHERE nav > 0`);
    expect(n.getRowsJS()[0][0]).toBeGreaterThan(100);
  });

  it('writes ticks that missed their window to late_ticks, with the window and the watermark', async () => {
    const r =
      await ref.runAndReadAll(`SELECT symbol, epoch_ms(ts)::BIGINT, "window", epoch_ms(watermark) >= epoch_ms(ts)
      FROM ${lake(lakeDir, 'late_ticks')} ORDER BY ts`);
    expect(run.lateTicks.length).toBe(1);
    expect(r.getRowsJS()).toEqual(run.lateTicks.map((t) => [t.symbol, BigInt(t.ts), '1m', true]));
    const problems = await diff(
      ref,
      'SELECT symbol, win, kafka_partition, kafka_offset FROM ref_late',
      `SELECT symbol, "window" AS win, kafka_partition, kafka_offset FROM ${lake(lakeDir, 'late_ticks')}`,
      ['kafka_partition', 'kafka_offset', 'win'],
      [],
    );
    expect(problems).toEqual([]);
  });

  it('writes invalid messages to rejected with a reason naming the field', async () => {
    const r = await ref.runAndReadAll(
      `SELECT reason FROM ${lake(lakeDir, 'rejected')} ORDER BY kafka_partition, kafka_offset`,
    );
    const reasons = r.getRowsJS().map((x) => String(x[0]));
    expect(reasons).toHaveLength(run.invalid);
    expect(reasons.some((x) => x.startsWith('value: not JSON'))).toBe(true);
    expect(reasons.some((x) => x.startsWith('price:'))).toBe(true);
    expect(reasons.some((x) => x.startsWith('size:'))).toBe(true);
    expect(reasons.some((x) => x.startsWith('exchange:') || x.startsWith('assetClass:'))).toBe(true);
  });

  it('keeps state bounded: no buffered ticks after the final flush, empty outbox, 20 bars of history', async () => {
    const r = await state.conn.runAndReadAll(`SELECT
      (SELECT count(*) FROM buf),
      (SELECT count(*) FROM outbox) + (SELECT count(*) FROM ob_late_ticks) + (SELECT count(*) FROM ob_bars),
      (SELECT max(n) FROM (SELECT count(*) AS n FROM bar_hist GROUP BY symbol, "window"))`);
    expect(r.getRowsJS()[0].map(Number)).toEqual([0, 0, 20]);
  });

  /** Bit for bit, every table, both ways (test/helpers/lake-compare.ts). */
  async function expectSameLake(other: string, base = lakeDir): Promise<void> {
    const tables = ['ticks', 'late_ticks', 'rejected', 'bars', 'anomalies', 'valuations'];
    expect((await compareLakes(ref, base, join(other, 'lake'), tables)).problems).toEqual([]);
  }

  it('gives the same lake whatever the batch boundaries', async () => {
    const other = join(dir, 'b');
    const { state: s2, core: c2 } = await runCore(other, run.log.messages, [50_000]);
    c2.close();
    s2.conn.closeSync();
    await expectSameLake(other);
  });

  it('gives the same lake whatever the batch boundaries, with fractional sizes', async () => {
    // sizes like 0.1 and 2.9 have no exact binary value, so a sum of them depends on the order it is added in: a bar's
    // volume (and vwap = notional / volume) must not change with the batch cuts (sizes are DOUBLE since 74072ec)
    const fractions = [0.1, 0.7, 1.3, 2.9, 0.015];
    const messages = run.log.messages.map((m, i) => {
      if (typeof m.value !== 'string' || !m.value.includes('"size":')) return m;
      let tick: { size?: unknown };
      try {
        tick = JSON.parse(m.value);
      } catch {
        return m; // the invalid message of the fixture stays as it is
      }
      if (typeof tick.size !== 'number' || tick.size <= 0) return m;
      return { ...m, value: JSON.stringify({ ...tick, size: tick.size + fractions[i % fractions.length] }) };
    });
    const one = join(dir, 'f1');
    const { state: s1, core: c1 } = await runCore(one, messages, [997, 1, 5000, 13, 2500]);
    const other = join(dir, 'f2');
    const { state: s2, core: c2 } = await runCore(other, messages, [50_000]);
    for (const [c, st] of [
      [c1, s1],
      [c2, s2],
    ] as const) {
      c.close();
      st.conn.closeSync();
    }
    // the sizes really are fractional in the lake
    const sizes = await ref.runAndReadAll(
      `SELECT count(*) FILTER (WHERE size <> round(size))::INTEGER FROM ${lake(join(one, 'lake'), 'ticks')}`,
    );
    expect(Number(sizes.getRowsJS()[0][0])).toBeGreaterThan(5000);
    await expectSameLake(other, join(one, 'lake'));
  });

  it('gives the same lake when every batch is submitted before the previous one committed', async () => {
    // a spike threshold this low (below one price step of every symbol) makes most ticks anomalies, so every tick's previous price is checked, also the
    // first of each symbol in a batch, which comes from the batches before it that have not committed yet
    const thresholds = { spike: 0.000005 };
    const one = join(dir, 'c1');
    const { state: s1, core: c1 } = await runCore(one, run.log.messages, [7_000, 13_000], { thresholds });
    const other = join(dir, 'c2');
    const { state: s2, core: c2 } = await runCore(other, run.log.messages, [7_000, 13_000], {
      pipelined: true,
      thresholds,
    });
    const ends = new Map<number, number>();
    for (const m of run.log.messages) ends.set(m.partition, Math.max(ends.get(m.partition) ?? 0, m.offset + 1));
    expect(c2.offsets()).toEqual(ends);
    for (const [c, st] of [
      [c1, s1],
      [c2, s2],
    ] as const) {
      c.close();
      st.conn.closeSync();
    }
    const spikes = await ref.runAndReadAll(`SELECT count(*)::INTEGER FROM ${lake(join(one, 'lake'), 'anomalies')}`);
    expect(Number(spikes.getRowsJS()[0][0])).toBeGreaterThan(run.log.messages.length / 10);
    await expectSameLake(other, join(one, 'lake'));
  });
});

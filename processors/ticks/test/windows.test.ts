/**
 * Window arithmetic, watermarks and lateness on a tiny hand-checked timeline (expected values worked out by hand
 * from the definitions, not from the code).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minWatermark } from '../../time/watermarks.js';
import { parseWindows } from '../../time/windows.js';
import { ProcessorCore } from '../core.js';
import { createSchema, openState } from '../state.js';

const E = Date.UTC(2026, 0, 1); // fixed epoch: 2026-01-01 00:00:00 UTC
const s = (sec: number) => E + sec * 1000;
const tick = (ts: number, price: number, size: number, symbol = 'X') =>
  JSON.stringify({ v: 1, symbol, exchange: 'EX', assetClass: 'equity', ts, price, size });

/** A core over an in-memory state, 1m windows, lateness 5 s; portfolio P1 holds 2 X and 1 `other`. */
async function openCore(partitionCount: number, other: string) {
  const state = await openState(undefined);
  await createSchema(state.conn);
  const lakeDir = await mkdtemp(join(tmpdir(), 'ticklake-windows-'));
  const core = await ProcessorCore.open({
    state,
    lakeDir,
    windows: parseWindows('1m'),
    latenessMs: 5000,
    topic: 'ticks',
    partitionCount,
    portfolios: [{ portfolioId: 'P1', investorId: 'I1' }],
    holdings: [
      { portfolioId: 'P1', symbol: 'X', quantity: 2 },
      { portfolioId: 'P1', symbol: other, quantity: 1 },
    ],
    clock: () => E,
  });
  return { state, lakeDir, core };
}

describe('parseWindows', () => {
  it('sorts windows and rejects sizes that do not tile a day', () => {
    expect(parseWindows('1d,1m').map((w) => [w.label, w.ms])).toEqual([
      ['1m', 60_000],
      ['1d', 86_400_000],
    ]);
    expect(() => parseWindows('7m')).toThrow(/divide a day/);
    expect(() => parseWindows('1m,60s')).toThrow(/listed twice/);
    expect(() => parseWindows('soon')).toThrow(/--windows/);
  });

  it('minWatermark waits for every partition', () => {
    expect(minWatermark(new Map([[0, 5]]), 2)).toBe(Number.NEGATIVE_INFINITY);
    expect(
      minWatermark(
        new Map([
          [0, 5],
          [1, 3],
        ]),
        2,
      ),
    ).toBe(3);
  });
});

describe('idle partitions and valuations', () => {
  it('minWatermark leaves idle partitions out while any is active; all idle: the minimum of those seen', () => {
    const wms = new Map([
      [0, 5],
      [2, 9],
    ]);
    expect(minWatermark(wms, 3)).toBe(Number.NEGATIVE_INFINITY); // 1 never seen
    expect(minWatermark(wms, 3, new Set([1]))).toBe(5);
    expect(minWatermark(wms, 3, new Set([0, 1]))).toBe(9);
    expect(minWatermark(wms, 3, new Set([0]))).toBe(Number.NEGATIVE_INFINITY); // 1 never seen, not idle
    expect(minWatermark(wms, 3, new Set([0, 1, 2]))).toBe(5); // paused: the lowest watermark there is
    expect(minWatermark(new Map(), 2, new Set([0, 1]))).toBe(Number.NEGATIVE_INFINITY);
  });

  //  two partitions; X only on partition 0, Y (held) only on partition 1, which stays empty at first
  //  batch  partition  event time  price   watermark p0 after   closes (1m)        valuations
  //  1      0          00:00:10    100     00:01:05             X [00:00, 00:01)   none: partition 1 never seen
  //         0          00:01:10    110
  //  --- partition 1 declared idle ---
  //  2      0          00:02:10    120     00:02:05             X [00:01, 00:02)   as_of 00:01 and 00:02
  //  3      1 (Y)      00:01:30    50      p1: 00:01:25         X [00:02, 00:03)   none: p1 active again, behind
  //         0          00:03:10    130     00:03:05
  it('an idle partition stops holding valuations back until it gets a message again', async () => {
    const { state, lakeDir, core } = await openCore(2, 'Y');
    const m = (partition: number, offset: number, value: string) => ({ partition, offset, key: null, value });
    const r1 = await core.submit([m(0, 0, tick(s(10), 100, 1)), m(0, 1, tick(s(70), 110, 1))]);
    expect(r1).toMatchObject({ bars: 1, valuations: 0 });
    core.setIdlePartitions(new Set([1]));
    const r2 = await core.submit([m(0, 2, tick(s(130), 120, 1))]);
    expect(r2).toMatchObject({ bars: 1, valuations: 2 });
    // still declared idle, but it has a message in this batch: its watermark (00:01:25) counts again
    const r3 = await core.submit([m(1, 0, tick(s(90), 50, 1, 'Y')), m(0, 3, tick(s(190), 130, 1))]);
    expect(r3).toMatchObject({ bars: 1, valuations: 0 });

    const vals = await state.conn.runAndReadAll(`SELECT epoch_ms(as_of)::DOUBLE AS as_of, nav, change, positions,
      missing_prices FROM ob_valuations ORDER BY as_of`);
    // NAV = 2 × X's latest close at or before as_of; Y has no price yet
    expect(vals.getRowObjectsJS()).toEqual([
      { as_of: s(60), nav: 200, change: null, positions: 2, missing_prices: 1 },
      { as_of: s(120), nav: 220, change: 20, positions: 2, missing_prices: 1 },
    ]);
    state.conn.closeSync();
    await rm(lakeDir, { recursive: true, force: true });
  });
});

describe('one symbol, one partition, 1m windows, lateness 5 s', () => {
  //  offset  event time  price size   watermark before → after   effect
  //  0       00:00:10    100   10     -        → 00:00:05
  //  1       00:00:40    110   20     00:00:05 → 00:00:35         +10 % SPIKE CRITICAL
  //  2       00:00:05    105   10     00:00:35 → 00:00:35         out of order, on time; -4.5 % FLASH_CRASH
  //  --- batch cut ---
  //  3       00:01:06    120   5      00:00:35 → 00:01:01         closes [00:00, 00:01); +14.3 % SPIKE CRITICAL
  //  4       00:00:50    90    1      00:01:01                    late for [00:00, 00:01); -25 % FLASH_CRASH
  //  flush                                                        closes [00:01, 00:02)
  it('emits exact bars, anomalies, late ticks and valuations', async () => {
    const { state, lakeDir, core } = await openCore(1, 'NEVER');
    const m = (offset: number, value: string) => ({ partition: 0, offset, key: 'X', value });
    const r1 = await core.submit([m(0, tick(s(10), 100, 10)), m(1, tick(s(40), 110, 20)), m(2, tick(s(5), 105, 10))]);
    expect(r1).toMatchObject({ ticks: 3, bars: 0, late: 0, anomalies: 2 });
    expect(core.watermarks().get(0)).toBe(s(35));
    const r2 = await core.submit([m(3, tick(s(66), 120, 5)), m(4, tick(s(50), 90, 1))]);
    expect(r2).toMatchObject({ ticks: 2, bars: 1, late: 1, anomalies: 2, valuations: 1 });
    // a re-delivered message is skipped
    expect(await core.submit([m(4, tick(s(50), 90, 1))])).toBeNull();
    const r3 = await core.flush();
    expect(r3).toMatchObject({ bars: 1, valuations: 1 });

    const rows = async (sql: string) => (await state.conn.runAndReadAll(sql)).getRowObjectsJS();
    const bars = await rows(`SELECT epoch_ms(window_start)::DOUBLE AS start, epoch_ms(window_end)::DOUBLE AS "end",
      open, high, low, close, volume::DOUBLE AS volume, notional, vwap, trades::DOUBLE AS trades, trade_rate,
      volatility, log_return FROM ob_bars ORDER BY window_start`);
    expect(bars).toHaveLength(2);
    expect(bars[0]).toMatchObject({ start: s(0), end: s(60), open: 105, high: 110, low: 100, close: 110 });
    expect(bars[0]).toMatchObject({ volume: 40, notional: 4250, vwap: 106.25, trades: 3, trade_rate: 3 / 60 });
    // returns in event-time order: ln(100/105), ln(110/100); sample stddev of two values = |a - b| / sqrt(2)
    expect(bars[0].volatility).toBeCloseTo(Math.abs(Math.log(100 / 105) - Math.log(110 / 100)) / Math.SQRT2, 12);
    expect(bars[0].log_return).toBeNull();
    expect(bars[1]).toMatchObject({ start: s(60), open: 120, close: 120, volume: 5, vwap: 120, trades: 1 });
    expect(bars[1].volatility).toBeNull();
    expect(bars[1].log_return).toBeCloseTo(Math.log(120 / 110), 12);

    const anomalies =
      await rows(`SELECT epoch_ms(ts)::DOUBLE AS ts, kind, severity, round(value, 4) AS value, threshold,
      price, kafka_offset::DOUBLE AS off FROM ob_anomalies ORDER BY kafka_offset`);
    expect(anomalies).toEqual([
      { ts: s(40), kind: 'SPIKE', severity: 'CRITICAL', value: 0.1, threshold: 0.08, price: 110, off: 1 },
      { ts: s(5), kind: 'FLASH_CRASH', severity: 'WARNING', value: 0.0455, threshold: 0.03, price: 105, off: 2 },
      { ts: s(66), kind: 'SPIKE', severity: 'CRITICAL', value: 0.1429, threshold: 0.08, price: 120, off: 3 },
      { ts: s(50), kind: 'FLASH_CRASH', severity: 'CRITICAL', value: 0.25, threshold: 0.08, price: 90, off: 4 },
    ]);

    const late = await rows(
      `SELECT kafka_offset::DOUBLE AS off, "window", epoch_ms(watermark)::DOUBLE AS wm FROM ob_late_ticks`,
    );
    expect(late).toEqual([{ off: 4, window: '1m', wm: s(61) }]);

    const vals =
      await rows(`SELECT epoch_ms(as_of)::DOUBLE AS as_of, nav, change, round(change_pct, 6) AS pct, positions,
      missing_prices FROM ob_valuations ORDER BY as_of`);
    expect(vals).toEqual([
      { as_of: s(60), nav: 220, change: null, pct: null, positions: 2, missing_prices: 1 },
      { as_of: s(120), nav: 240, change: 20, pct: 9.090909, positions: 2, missing_prices: 1 },
    ]);
    state.conn.closeSync();
    await rm(lakeDir, { recursive: true, force: true });
  });
});

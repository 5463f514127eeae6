/**
 * A lake as `--windows 5m,1d` leaves it: 1d bars of AAPL and MSFT on 2026-01-05 and 06, two 5m bars of AAPL, and no
 * 1m bar (docs/reports.md, "Windows"). Tests of the reports' window requirements compute their expected rows from
 * WINDOW_BARS by hand.
 */
import { LakeFixture } from './lake-fixture.js';

/** [symbol, window, start, open, close]. */
export const WINDOW_BARS: [string, string, string, number, number][] = [
  ['AAPL', '1d', '2026-01-05 00:00:00', 10, 11],
  ['AAPL', '1d', '2026-01-06 00:00:00', 11, 12.1],
  ['MSFT', '1d', '2026-01-05 00:00:00', 400, 380],
  ['MSFT', '1d', '2026-01-06 00:00:00', 380, 399],
  ['AAPL', '5m', '2026-01-05 10:00:00', 10, 10.5],
  ['AAPL', '5m', '2026-01-05 10:05:00', 10.5, 11],
];

/**
 * A user check over 15m bars, which the lake has not: refused when named, a SKIP in a run of all (API and CLI). On a
 * lake without 15m bars it would return no rows, that is "pass", over nothing.
 */
export const QUARTER_VOLUME_CHECK =
  '-- title: 15m volume\n-- description: 15m bars without volume\n-- requires_window: 15m\nselect * from bars where "window" = \'15m\' and volume <= 0;\n';

/** A new LakeFixture holding the window lake (close it when done). */
export async function windowLake(): Promise<LakeFixture> {
  const lake = await LakeFixture.create();
  try {
    await writeWindowLake(lake);
  } catch (e) {
    lake.close();
    throw e;
  }
  return lake;
}

export async function writeWindowLake(fixture: LakeFixture): Promise<void> {
  const groups = new Map<string, typeof WINDOW_BARS>();
  for (const b of WINDOW_BARS) {
    const key = `${b[1]}|${b[2].slice(0, 10)}`;
    groups.set(key, [...(groups.get(key) ?? []), b]);
  }
  for (const [key, rows] of groups) {
    const [window, date] = key.split('|');
    const size = window === '1d' ? 'interval 1 day' : 'interval 5 minute';
    const values = rows.map(
      ([s, , start, o, c]) =>
        `('${s}', timestamp '${start}', timestamp '${start}' + ${size}, ${o}, ${Math.max(o, c)}, ${Math.min(o, c)}, ` +
        `${c}, 10, ${10 * c}, ${c}, 1, 1, null, null)`,
    );
    await fixture.write(
      'bars',
      { window, date },
      `select * from (values ${values.join(', ')}) v(symbol, window_start, window_end, open, high, low, close, ` +
        'volume, notional, vwap, trades, trade_rate, volatility, log_return)',
    );
  }
}

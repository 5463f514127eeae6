/**
 * Bars of one symbol and window over a time range, for the dashboard's price chart (GET /api/live/bars): the newest
 * `limit` bars with window_start in [from, to), oldest first, as column arrays (api/live/series.ts BarSeries).
 * `1h` comes from the view bars_1h (rolled up from 1m bars) when the lake has no 1h bars of its own; its
 * volatility is then null (the view has realised volatility, a different measure).
 */
import { BIGINT, type DuckDBType, type DuckDBValue, VARCHAR } from '../../core/duckdb.js';
import type { LakeSession } from '../../lake/session.js';
import { lakeRows, numOrNull } from './lake-rows.js';
import type { BarSeries } from './series.js';

export interface BarQuery {
  symbol: string;
  window: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  limit: number;
}

export interface BarHistory {
  symbol: string;
  window: string;
  /** `bars` or `bars_1h` (1h rolled up from 1m). */
  source: string;
  bars: BarSeries;
  /** More bars matched than `limit`: the oldest were left out. */
  truncated: boolean;
}

const FIELDS = ['open', 'high', 'low', 'close', 'volume', 'vwap', 'volatility'] as const;

export async function barHistory(
  session: LakeSession,
  q: BarQuery,
  windows: readonly string[],
  timeoutMs: number,
): Promise<BarHistory> {
  const rolled = q.window === '1h' && !windows.includes('1h');
  const where = ['symbol = $symbol'];
  const params: Record<string, DuckDBValue> = { symbol: q.symbol, n: BigInt(q.limit + 1) };
  const types: Record<string, DuckDBType> = { symbol: VARCHAR, n: BIGINT };
  if (!rolled) {
    where.push('"window" = $window');
    params.window = q.window;
    types.window = VARCHAR;
  }
  if (q.from !== undefined) {
    where.push('window_start >= epoch_ms($from)');
    // lets DuckDB skip older date partitions (a bar's date is its window_start's)
    if (!rolled) where.push('date >= cast(epoch_ms($from) as date)');
    params.from = BigInt(q.from);
    types.from = BIGINT;
  }
  if (q.to !== undefined) {
    where.push('window_start < epoch_ms($to)');
    if (!rolled) where.push('date <= cast(epoch_ms($to) as date)');
    params.to = BigInt(q.to);
    types.to = BIGINT;
  }
  const sql = `select epoch_ms(window_start) as t, open, high, low, close, volume, vwap,
                      ${rolled ? 'null::double' : 'volatility'} as volatility
               from ${rolled ? 'bars_1h' : 'bars'}
               where ${where.join(' and ')}
               order by window_start desc
               limit $n`;
  const rows = await lakeRows(session, sql, { params, types, timeoutMs });
  const truncated = rows.length > q.limit;
  if (truncated) rows.length = q.limit;
  rows.reverse();
  const bars: BarSeries = { t: [], open: [], high: [], low: [], close: [], volume: [], vwap: [], volatility: [] };
  for (const row of rows) {
    bars.t.push(Number(row.t));
    for (const f of FIELDS) bars[f].push(numOrNull(row[f]));
  }
  return { symbol: q.symbol, window: q.window, source: rolled ? 'bars_1h' : 'bars', bars, truncated };
}

/**
 * The valuation stage, kept apart from the bar stage: its only inputs are the closes the bar stage publishes
 * (`val_closes`, one row per emitted bar) and the minimum watermark over all partitions, so that partitions could
 * later be spread over several instances with one valuation stage consuming their closes.
 *
 * It values each window end of a published close once the minimum watermark has passed it (every bar that can
 * contribute has been emitted by then), via the `valuation` stream SQL, and keeps per symbol and window only the
 * latest close at or before the last valued end, plus later ones.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { resetScratch } from './state.js';

export interface PortfolioRow {
  portfolioId: string;
  investorId: string;
}
export interface HoldingRow {
  portfolioId: string;
  symbol: string;
  quantity: number;
}

/** Loads the seeds into the temp tables `portfolios` and `holdings` the valuation SQL reads. */
export async function loadPortfolios(
  conn: DuckDBConnection,
  portfolios: PortfolioRow[],
  holdings: HoldingRow[],
): Promise<void> {
  await conn.run('DELETE FROM portfolios');
  await conn.run('DELETE FROM holdings');
  const a = await conn.createAppender('portfolios', 'main', 'temp');
  for (const p of portfolios) {
    a.appendVarchar(p.portfolioId);
    a.appendVarchar(p.investorId);
    a.endRow();
  }
  a.closeSync();
  const h = await conn.createAppender('holdings', 'main', 'temp');
  for (const x of holdings) {
    h.appendVarchar(x.portfolioId);
    h.appendVarchar(x.symbol);
    h.appendDouble(x.quantity);
    h.endRow();
  }
  h.closeSync();
}

/** Publishes the bars just emitted (`new_bars`) as closes for the valuation stage. */
export async function publishCloses(conn: DuckDBConnection): Promise<void> {
  await conn.run(`INSERT INTO val_closes SELECT symbol, "window", window_end, close FROM new_bars`);
}

/**
 * Values every pending window end at or before `minWatermark` (epoch ms); `runStage` runs the valuation stream
 * SQL over `val_ends` and returns the rows it wrote. Returns that count.
 */
export async function valueWindowEnds(
  conn: DuckDBConnection,
  minWatermark: number,
  runStage: () => Promise<number>,
): Promise<number> {
  await resetScratch(conn, 'val_ends');
  const ends = await conn.run(`INSERT INTO val_ends SELECT DISTINCT c."window", c.window_end FROM val_closes c
      LEFT JOIN val_progress p USING ("window")
      WHERE epoch_ms(c.window_end) <= ${minWatermark} AND (p.last_as_of IS NULL OR c.window_end > p.last_as_of)`);
  if (Number(ends.rowsChanged) === 0) return 0;
  const n = await runStage();
  await conn.run(`DELETE FROM val_last WHERE "window" IN (SELECT "window" FROM val_ends)
      AND portfolio_id IN (SELECT portfolio_id FROM new_valuations)`);
  await conn.run(`INSERT INTO val_last SELECT portfolio_id, "window", max(as_of), arg_max(nav, as_of)
      FROM new_valuations GROUP BY portfolio_id, "window"`);
  await conn.run(`DELETE FROM val_progress WHERE "window" IN (SELECT "window" FROM val_ends)`);
  await conn.run(`INSERT INTO val_progress SELECT "window", max(as_of) FROM val_ends GROUP BY "window"`);
  // keep, per symbol and window, only the latest close at or before the last valued end, and later ones
  await conn.run(`DELETE FROM val_closes WHERE rowid IN (SELECT rid FROM (SELECT c.rowid AS rid, row_number()
      OVER (PARTITION BY c.symbol, c."window" ORDER BY c.window_end DESC) AS rn FROM val_closes c
      JOIN val_progress p USING ("window") WHERE c.window_end <= p.last_as_of) WHERE rn > 1)`);
  return n;
}

/**
 * An independent computation of what the processor must output, in plain SQL over the archived lake `ticks`
 * (written here, from the definitions in issue 4 / docs/processor.md; it never reads sql/streams). The golden
 * tests compare the lake and MySQL against these tables.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export interface ReferenceOptions {
  lakeDir: string;
  latenessMs: number;
  holdings: { portfolioId: string; investorId: string; symbol: string; quantity: number }[];
  portfolios: { portfolioId: string; investorId: string }[];
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function buildReference(conn: DuckDBConnection, o: ReferenceOptions): Promise<void> {
  const glob = (t: string) =>
    `read_parquet(${q(`${o.lakeDir}/${t}/**/*.parquet`)}, hive_partitioning = true, union_by_name = true)`;
  const run = (sql: string) => conn.run(sql);
  await run(`CREATE OR REPLACE TABLE ref_ticks AS SELECT symbol, exchange, asset_class, ts, price, size,
    kafka_partition, kafka_offset FROM ${glob('ticks')}`);
  // the watermark each tick met on arrival: highest event time seen before it on its partition, minus lateness
  await run(`CREATE OR REPLACE TABLE ref_arrivals AS SELECT *, max(ts) OVER (PARTITION BY kafka_partition
    ORDER BY kafka_offset ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - INTERVAL ${o.latenessMs} MILLISECOND
    AS wm FROM ref_ticks`);
  await run(`CREATE OR REPLACE TABLE ref_windows AS
    SELECT '1m' AS win, INTERVAL 1 MINUTE AS len, time_bucket(INTERVAL 1 MINUTE, ts) AS ws, * FROM ref_arrivals
    UNION ALL
    SELECT '1d', INTERVAL 1 DAY, time_bucket(INTERVAL 1 DAY, ts), * FROM ref_arrivals`);
  await run(`CREATE OR REPLACE TABLE ref_late AS SELECT * FROM ref_windows WHERE wm IS NOT NULL AND ws + len <= wm`);
  await run(`CREATE OR REPLACE TABLE ref_bars AS
    WITH w AS (
      SELECT *, row_number() OVER (PARTITION BY symbol, win, ws ORDER BY ts, kafka_partition, kafka_offset) AS rn_up,
        row_number() OVER (PARTITION BY symbol, win, ws ORDER BY ts DESC, kafka_partition DESC, kafka_offset DESC)
          AS rn_down,
        ln(price / lag(price) OVER (PARTITION BY symbol, win, ws ORDER BY ts, kafka_partition, kafka_offset)) AS ret
      FROM ref_windows WHERE wm IS NULL OR ws + len > wm
    ),
    b AS (
      SELECT symbol, win, ws AS window_start, ws + any_value(len) AS window_end,
        max(price) FILTER (WHERE rn_up = 1) AS open, max(price) AS high, min(price) AS low,
        max(price) FILTER (WHERE rn_down = 1) AS close, sum(size) AS volume, sum(price * size) AS notional,
        count(*) AS trades, stddev_samp(ret) AS volatility
      FROM w GROUP BY symbol, win, ws
    )
    SELECT *, notional / volume AS vwap,
      trades / (epoch_ms(window_end) - epoch_ms(window_start)) * 1000 AS trade_rate,
      ln(close / lag(close) OVER (PARTITION BY symbol, win ORDER BY window_start)) AS log_return,
      avg(volume) OVER prev20 AS mean20, count(*) OVER prev20 AS n20
    FROM b WINDOW prev20 AS (PARTITION BY symbol, win ORDER BY window_start ROWS BETWEEN 20 PRECEDING AND 1 PRECEDING)`);
  await run(`CREATE OR REPLACE TABLE ref_anomalies AS
    WITH m AS (
      SELECT *, price / lag(price) OVER (PARTITION BY symbol ORDER BY kafka_partition, kafka_offset) - 1 AS mv
      FROM ref_ticks
    )
    SELECT symbol, ts, CASE WHEN mv > 0 THEN 'SPIKE' ELSE 'FLASH_CRASH' END AS kind,
      CASE WHEN abs(mv) > 0.08 THEN 'CRITICAL' ELSE 'WARNING' END AS severity, NULL::VARCHAR AS win,
      abs(mv) AS value, CASE WHEN abs(mv) > 0.08 THEN 0.08 ELSE 0.03 END AS threshold, price,
      kafka_partition, kafka_offset
    FROM m WHERE abs(mv) > 0.03
    UNION ALL
    SELECT symbol, window_start, 'VOLUME_SPIKE', 'WARNING', win, volume / mean20, 5, close, NULL, NULL
    FROM ref_bars WHERE n20 = 20 AND volume > 5 * mean20`);
  await run(
    'CREATE OR REPLACE TABLE ref_holdings (portfolio_id VARCHAR, investor_id VARCHAR, symbol VARCHAR, quantity DOUBLE)',
  );
  await run('CREATE OR REPLACE TABLE ref_portfolios (portfolio_id VARCHAR, investor_id VARCHAR)');
  for (const h of o.holdings) {
    await conn.run('INSERT INTO ref_holdings VALUES ($1, $2, $3, $4)', [
      h.portfolioId,
      h.investorId,
      h.symbol,
      h.quantity,
    ]);
  }
  for (const p of o.portfolios)
    await conn.run('INSERT INTO ref_portfolios VALUES ($1, $2)', [p.portfolioId, p.investorId]);
  await run(`CREATE OR REPLACE TABLE ref_valuations AS
    WITH ends AS (SELECT DISTINCT win, window_end AS as_of FROM ref_bars),
    pos AS (
      SELECT p.portfolio_id, p.investor_id, e.win, e.as_of, h.symbol, h.quantity,
        (SELECT close FROM ref_bars b WHERE b.symbol = h.symbol AND b.win = e.win AND b.window_end <= e.as_of
         ORDER BY b.window_end DESC LIMIT 1) AS px
      FROM ref_portfolios p CROSS JOIN ends e LEFT JOIN ref_holdings h ON h.portfolio_id = p.portfolio_id
    ),
    v AS (
      SELECT portfolio_id, investor_id, win, as_of,
        CASE WHEN count(symbol) > 0 AND count(px) = 0 THEN NULL ELSE coalesce(sum(quantity * px), 0) END AS nav,
        count(symbol) AS positions, count(symbol) - count(px) AS missing_prices
      FROM pos GROUP BY ALL
    )
    SELECT *, nav - lag(nav) OVER (PARTITION BY portfolio_id, win ORDER BY as_of) AS change,
      (nav / lag(nav) OVER (PARTITION BY portfolio_id, win ORDER BY as_of) - 1) * 100 AS change_pct
    FROM v`);
}

/** SQL that is true when two doubles agree (both null, or within 1e-9 relative). */
export function close(a: string, b: string): string {
  return `((${a} IS NULL AND ${b} IS NULL) OR abs(${a} - ${b}) <= 1e-9 * greatest(1, abs(${a}), abs(${b})))`;
}

/** Rows of `actual` and `expected` (same key columns) that differ: missing, extra or with a different value. */
export async function diff(
  conn: DuckDBConnection,
  expected: string,
  actual: string,
  key: string[],
  numeric: string[],
  exact: string[] = [],
): Promise<Record<string, unknown>[]> {
  const on = key.map((k) => `e.${k} IS NOT DISTINCT FROM a.${k}`).join(' AND ');
  const cond = [
    ...numeric.map((c) => `NOT ${close(`e.${c}`, `a.${c}`)}`),
    ...exact.map((c) => `e.${c} IS DISTINCT FROM a.${c}`),
  ];
  const r = await conn.runAndReadAll(`SELECT CASE WHEN e.${key[0]} IS NULL THEN 'extra' WHEN a.${key[0]} IS NULL
      THEN 'missing' ELSE 'different' END AS problem, e.*, a.*
    FROM (${expected}) e FULL OUTER JOIN (${actual}) a ON ${on}
    WHERE e.${key[0]} IS NULL OR a.${key[0]} IS NULL ${cond.length ? `OR ${cond.join(' OR ')}` : ''}
    LIMIT 5`);
  return r.getRowObjectsJson() as Record<string, unknown>[];
}

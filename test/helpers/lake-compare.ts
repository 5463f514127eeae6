/**
 * Test helper: do two processor runs over the same ticks give the same lake? For the Avro tests, which feed the
 * processor the same ticks in two encodings.
 *
 * - `ticks` and `late_ticks`: row for row and bit for bit (values, partition and offset), both ways (EXCEPT ALL);
 * - `bars`, `anomalies`, `valuations`: keys and integers exactly, sums of doubles to 1e-9 relative, as
 *   processors/ticks/test/processor.test.ts compares them: two runs of the very same JSON topic already differ in
 *   the last bits of some NAVs and volatilities (the order DuckDB adds in), so bit equality is not a property the
 *   processor has for its sums.
 * Returns the problems found (empty when the runs agree) and the row counts of the first run.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { diff } from '../../processors/ticks/test/reference.js';

export const lakeTable = (lakeDir: string, table: string) =>
  `read_parquet('${lakeDir}/${table}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

const OUTPUTS = [
  {
    table: 'bars',
    key: ['symbol', 'win', 'window_start'],
    numeric: ['open', 'high', 'low', 'close', 'notional', 'vwap', 'trade_rate', 'volatility', 'log_return'],
    exact: ['window_end', 'volume', 'trades'],
  },
  {
    table: 'anomalies',
    key: ['symbol', 'kind', 'win', 'ts', 'kafka_offset'],
    numeric: ['value', 'threshold', 'price'],
    exact: ['severity', 'kafka_partition'],
  },
  {
    table: 'valuations',
    key: ['portfolio_id', 'win', 'as_of'],
    numeric: ['nav', 'change', 'change_pct'],
    exact: ['investor_id', 'positions', 'missing_prices'],
  },
];

export async function compareLakes(
  db: DuckDBConnection,
  a: string,
  b: string,
): Promise<{ problems: string[]; counts: Record<string, number> }> {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const count = async (sql: string) =>
    Number((await db.runAndReadAll(`SELECT count(*) AS n FROM (${sql})`)).getRowObjectsJS()[0].n);
  for (const table of ['ticks', 'late_ticks']) {
    const cols = '* EXCLUDE (date)';
    counts[table] = await count(`SELECT 1 FROM ${lakeTable(a, table)}`);
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      const n = await count(
        `SELECT ${cols} FROM ${lakeTable(x, table)} EXCEPT ALL SELECT ${cols} FROM ${lakeTable(y, table)}`,
      );
      if (n > 0) problems.push(`${table}: ${n} rows of ${x} are not in ${y}`);
    }
  }
  for (const o of OUTPUTS) {
    const rows = (dir: string) => `SELECT *, "window" AS win FROM ${lakeTable(dir, o.table)}`;
    counts[o.table] = await count(rows(a));
    const d = await diff(db, rows(a), rows(b), o.key, o.numeric, o.exact);
    if (d.length > 0) problems.push(`${o.table}: ${JSON.stringify(d[0])}`);
  }
  return { problems, counts };
}

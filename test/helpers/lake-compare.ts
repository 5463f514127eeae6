/**
 * Test helper: do two processor runs over the same ticks give the same lake, bit for bit? For the tests that feed
 * the processor the same ticks cut into other batches, crashed and restarted, or in two encodings (JSON, Avro).
 *
 * Every table the tick engine writes is compared whole, row for row and value for value, both ways (`EXCEPT ALL`,
 * so a row written twice counts), with no tolerance: the stream SQL adds its doubles in a fixed order
 * (sql/streams/bars.sql, valuations.sql), so the same ticks give the same bits. Only what a run takes from the wall
 * clock is left out (`rejected.received_at`).
 * Returns the problems found (empty when the runs agree) and the row counts of the first run.
 */
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { hasParquet } from '../../lake/session.js';

export const lakeTable = (lakeDir: string, table: string) =>
  `read_parquet('${lakeDir}/${table}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

/** The tick engine's lake tables and the columns compared (all but those from the wall clock). */
export const PROCESSOR_OUTPUTS: Record<string, string> = {
  ticks: '*',
  late_ticks: '*',
  rejected: '* EXCLUDE (received_at, date)',
  bars: '*',
  anomalies: '*',
  valuations: '*',
};

/** Rows of `x` that `y` lacks and rows of `y` that `x` lacks (EXCEPT ALL both ways), two queries of equal columns. */
export async function exceptAllBothWays(db: DuckDBConnection, x: string, y: string): Promise<[number, number]> {
  const r = await db.runAndReadAll(`SELECT
    (SELECT count(*) FROM (${x} EXCEPT ALL ${y}))::INTEGER,
    (SELECT count(*) FROM (${y} EXCEPT ALL ${x}))::INTEGER`);
  const [a, b] = r.getRowsJS()[0];
  return [Number(a), Number(b)];
}

export async function compareLakes(
  db: DuckDBConnection,
  a: string,
  b: string,
  /** Default: the results (rejected messages carry the raw bytes, which differ between encodings). */
  tables: readonly string[] = ['ticks', 'late_ticks', 'bars', 'anomalies', 'valuations'],
): Promise<{ problems: string[]; counts: Record<string, number> }> {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [hasA, hasB] = [hasParquet(join(a, table)), hasParquet(join(b, table))];
    if (!hasA || !hasB) {
      counts[table] = 0;
      if (hasA !== hasB) problems.push(`${table}: only ${hasA ? a : b} has files`);
      continue;
    }
    const q = (dir: string) => `SELECT ${PROCESSOR_OUTPUTS[table]} FROM ${lakeTable(dir, table)}`;
    counts[table] = Number(
      (await db.runAndReadAll(`SELECT count(*) FROM ${lakeTable(a, table)}`)).getRowsJS()[0][0] ?? 0,
    );
    const [onlyA, onlyB] = await exceptAllBothWays(db, q(a), q(b));
    if (onlyA + onlyB === 0) continue;
    const example = (await db.runAndReadAll(`${q(a)} EXCEPT ALL ${q(b)} LIMIT 1`)).getRowObjectsJson()[0];
    problems.push(
      `${table}: ${onlyA} rows of ${a} are not in ${b}, ${onlyB} the other way${example ? `; e.g. ${JSON.stringify(example)}` : ''}`,
    );
  }
  return { problems, counts };
}

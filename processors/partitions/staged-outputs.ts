/**
 * A partition-scoped batch's lake outputs, staged (docs/scaling.md): written inside the batch's transaction from its
 * outbox rows, under writer-unique dot-names in their final directories (`.p<partition>-s<seq>.parquet.<writer>.tmp`,
 * which readers ignore), before the commit entry that names them is created. The entry's `publish` renames them into
 * view as `p<partition>-s<seq>.parquet`: a name unique per partition and commit, so instances never overwrite each
 * other, and a fenced writer's staged files are never published.
 */
import { join, relative } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { hivePath } from '../../lake/hive-path.js';
import { copyToParquetTemp, fileColumnsQuery, tempPath } from '../../lake/writer.js';
import type { CommitOutput } from './commit-log.js';

/** The result tables a tick-engine batch writes (valuations: the valuation stage's). */
const TABLES = ['late_ticks', 'rejected', 'bars', 'anomalies'] as const;

export function resultFileName(partition: number, seq: number): string {
  return `p${partition}-s${seq}.parquet`;
}

/** Stages batch `b`'s outbox rows (read on `conn`, inside the batch's transaction). Returns the outputs. */
export async function stageOutbox(
  conn: DuckDBConnection,
  lakeDir: string,
  b: number,
  partition: number,
  writer: string,
): Promise<CommitOutput[]> {
  const groups = await conn.runAndReadAll(
    TABLES.map(
      (t) =>
        `SELECT '${t}' AS t, strftime(date, '%Y-%m-%d') AS d, ${t === 'bars' ? '"window"' : 'NULL'} AS w
        FROM ob_${t} WHERE batch_id = ${b} GROUP BY ALL`,
    ).join(' UNION ALL ') + ' ORDER BY 1, 2, 3',
  );
  const outputs: CommitOutput[] = [];
  const name = resultFileName(partition, b);
  for (const [t, d, w] of groups.getRowsJS()) {
    const table = String(t);
    const part: Record<string, string> = w === null ? { date: String(d) } : { window: String(w), date: String(d) };
    const dir = hivePath(lakeDir, table, part);
    let where = `batch_id = ${b} AND date = '${String(d)}'::DATE`;
    if (w !== null) where += ` AND "window" = $w`;
    await copyToParquetTemp(
      conn,
      dir,
      `${name}.${writer}`,
      fileColumnsQuery(table, `SELECT * FROM ob_${table} WHERE ${where}`),
      w === null ? undefined : { w: String(w) },
    );
    outputs.push({
      staged: relative(lakeDir, tempPath(dir, `${name}.${writer}`)),
      final: relative(lakeDir, join(dir, name)),
    });
  }
  return outputs;
}

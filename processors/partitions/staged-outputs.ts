/**
 * A partition-scoped batch's lake outputs, staged (docs/scaling.md): written inside the batch's transaction from its
 * outbox rows, under writer-unique dot-names in their final directories (`.p<partition>-s<seq>.parquet.<writer>.tmp`,
 * which readers ignore), before the commit entry that names them is created. The entry's `publish` renames them into
 * view as `p<partition>-s<seq>.parquet`: a name unique per partition and commit, so instances never overwrite each
 * other, and a fenced writer's staged files are never published.
 */
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { DuckDBConnection } from '../../core/duckdb.js';
import { logger } from '../../core/log.js';
import { hivePath } from '../../lake/hive-path.js';
import { sqlString } from '../../lake/sql-quote.js';
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

/** Result tables whose rows also go to Kafka or MySQL (late ticks go to the lake only). */
const DELIVERED = ['rejected', 'bars', 'anomalies'] as const;

/**
 * A partition's state rebuilt from its latest entry (partition-engine.ts) lost whatever Kafka and MySQL rows the
 * previous owner had not delivered yet: those of an entry go back into the outbox from the entry's published files
 * (and its closes and watermark mark, with `publishCloses`), as batch `seq`, for delivery again (keyed: harmless
 * twice). Called for every entry from the latest one's `owedFrom` on: not only the latest can be owed, since an owner
 * whose MySQL is down goes on with the next batches (docs/processor.md, "Delivery") and keeps their rows in its
 * outbox only.
 */
export async function redeliverEntry(
  conn: DuckDBConnection,
  lakeDir: string,
  e: { seq: number; partition: number; outputs: CommitOutput[]; watermark: number; partitions: number },
  publishCloses: boolean,
): Promise<void> {
  const b = e.seq;
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const t of DELIVERED) {
      const wanted = e.outputs.filter((o) => o.final.startsWith(`${t}/`)).map((o) => join(lakeDir, o.final));
      // a file compaction merged away since: the lake has its rows; its delivery is skipped (logged)
      const files: string[] = [];
      for (const f of wanted) {
        if (await exists(f)) files.push(f);
        else logger('processor').warn({ file: f }, 'not delivered again: the file was compacted away');
      }
      if (files.length === 0) continue;
      const list = `[${files.map(sqlString).join(', ')}]`;
      await conn.run(`INSERT INTO ob_${t} BY NAME SELECT ${b} AS batch_id, *
        FROM read_parquet(${list}, hive_partitioning = true, union_by_name = true)`);
    }
    if (publishCloses) {
      await conn.run(`INSERT INTO ob_closes SELECT ${b}, symbol, "window", window_end, close FROM ob_bars
        WHERE batch_id = ${b}`);
      await conn.run(
        `INSERT INTO ob_marks VALUES (${b}, ${e.partition}, ${e.partitions}, ${BigInt(Math.trunc(e.watermark))}, false)`,
      );
    }
    await conn.run(`INSERT INTO outbox VALUES (${b}, now()::TIMESTAMP, true, false, false)`);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    throw err;
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

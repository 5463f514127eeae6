/**
 * Erasure from a change log (docs/tables.md, "Erasure"): every row of the given keys — old images, the delete
 * marker, everything — is removed from the table's Parquet files, so that the data physically disappears rather than
 * being hidden by a view. Each file holding such rows is rewritten without them (written as a dot-temp, fsynced,
 * renamed over the old one), so a crash leaves every file either old or purged, and running the purge again finishes
 * it. Files without the keys are not touched.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '../core/duckdb.js';
import { type ChangelogTable, changeFileQuery, LAYERS, layerDir } from './changelog.js';
import { sqlIdent, sqlString } from './sql-quote.js';
import { copyToParquetTemp, publishTemp } from './writer.js';

export interface PurgeResult {
  /** Files rewritten. */
  files: string[];
  /** Rows removed. */
  rows: number;
}

/**
 * Removes every row whose key equals one of `keys` (objects by key column, values as DuckDB reads them) from the
 * table's base, change and history files.
 */
export async function purgeKeys(
  conn: DuckDBConnection,
  lakeDir: string,
  t: ChangelogTable,
  keys: readonly Record<string, DuckDBValue>[],
): Promise<PurgeResult> {
  if (t.key.length === 0) throw new Error(`${t.name} is a stream: it has no key to purge by`);
  if (keys.length === 0) return { files: [], rows: 0 };
  const typeOf = (k: string) => t.columns.find((c) => c.name === k)?.type ?? 'VARCHAR';
  // the keys as a relation of the key columns, typed as declared
  const params: Record<string, DuckDBValue> = {};
  const tuples = keys.map(
    (key, i) =>
      `(${t.key
        .map((k, j) => {
          params[`k${i}_${j}`] = key[k];
          return `CAST($k${i}_${j} AS ${typeOf(k)})`;
        })
        .join(', ')})`,
  );
  const doomed = `(SELECT * FROM (VALUES ${tuples.join(', ')}) AS _p(${t.key.map(sqlIdent).join(', ')}))`;
  const match = (alias: string) =>
    `EXISTS (SELECT 1 FROM ${doomed} _d WHERE ${t.key.map((k) => `_d.${sqlIdent(k)} = ${alias}.${sqlIdent(k)}`).join(' AND ')})`;
  const out: PurgeResult = { files: [], rows: 0 };
  for (const layer of LAYERS) {
    const dir = layerDir(lakeDir, t.name, layer);
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => f.endsWith('.parquet') && !f.startsWith('.'));
    } catch {
      continue;
    }
    for (const f of files) {
      const scan = `read_parquet(${sqlString(join(dir, f))}, union_by_name = true)`;
      const r = await conn.runAndReadAll(`SELECT count(*) FROM ${scan} _r WHERE ${match('_r')}`, params);
      const n = Number(r.getRowsJS()[0][0]);
      if (n === 0) continue;
      await copyToParquetTemp(
        conn,
        dir,
        f,
        changeFileQuery(t, `SELECT * FROM ${scan} _r WHERE NOT ${match('_r')}`),
        params,
      );
      await publishTemp(dir, f);
      out.files.push(join(layer, f));
      out.rows += n;
    }
  }
  return out;
}

/**
 * What GET /api/tables shows about each view of a lake session: columns from DuckDB; for lake tables also the row
 * count, and the Parquet files and bytes under the table's directory.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonValue } from './json-value.js';
import { type QueryOptions, queryAll } from './query.js';
import type { LakeSession } from './session.js';
import { sqlIdent } from './sql-quote.js';
import { LAKE_TABLES } from './tables.js';

/** Parquet files under a directory (dot-names skipped, as readers do): count and total bytes. */
export async function parquetFiles(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return { files, bytes };
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const sub = await parquetFiles(p);
      files += sub.files;
      bytes += sub.bytes;
    } else if (e.isFile() && e.name.endsWith('.parquet')) {
      files++;
      bytes += (await stat(p)).size;
    }
  }
  return { files, bytes };
}

export interface ViewInfo {
  name: string;
  kind: 'table' | 'view';
  description?: string;
  columns: { name: string; type: string }[];
  rows?: number | string | null;
  files?: number;
  bytes?: number;
}

export async function tableStats(session: LakeSession, opts: QueryOptions = {}): Promise<ViewInfo[]> {
  const out: ViewInfo[] = [];
  for (const name of session.viewNames()) {
    const table = LAKE_TABLES.find((t) => t.name === name);
    const cols = await queryAll(session, `describe ${sqlIdent(name)}`, opts);
    const columns = cols.rows.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
    if (!table) {
      out.push({ name, kind: 'view', columns });
      continue;
    }
    const count = await queryAll(session, `select count(*) from ${sqlIdent(name)}`, opts);
    const files = await parquetFiles(join(session.lakeDir, name));
    out.push({
      name,
      kind: 'table',
      description: table.description,
      columns,
      rows: jsonValue(count.rows[0][0]) as number,
      ...files,
    });
  }
  return out;
}

/**
 * The lake plugin: the report and check catalogs (`app.reports`, `app.checks`, read from sql/ at start) and
 * `tableStats`, what GET /api/tables shows about each lake table (columns from DuckDB, rows, files and bytes).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { jsonValue } from '../../lake/json-value.js';
import { queryAll } from '../../lake/query.js';
import type { LakeSession } from '../../lake/session.js';
import { SqlCatalog } from '../../lake/sql-catalog.js';
import { sqlIdent } from '../../lake/sql-quote.js';
import { LAKE_TABLES } from '../../lake/tables.js';

declare module 'fastify' {
  interface FastifyInstance {
    reports: SqlCatalog;
    checks: SqlCatalog;
  }
}

export async function lakePlugin(app: FastifyInstance): Promise<void> {
  app.decorate('reports', SqlCatalog.load('report'));
  app.decorate('checks', SqlCatalog.load('check'));
}

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

export async function tableStats(session: LakeSession, timeoutMs: number): Promise<ViewInfo[]> {
  const out: ViewInfo[] = [];
  for (const name of session.viewNames()) {
    const table = LAKE_TABLES.find((t) => t.name === name);
    const cols = await queryAll(session, `describe ${sqlIdent(name)}`, { timeoutMs });
    const columns = cols.rows.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
    if (!table) {
      out.push({ name, kind: 'view', columns });
      continue;
    }
    const count = await queryAll(session, `select count(*) from ${sqlIdent(name)}`, { timeoutMs });
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

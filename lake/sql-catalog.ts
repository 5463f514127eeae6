/**
 * The report and check catalogs: every `sql/reports/*.sql` and `sql/checks/*.sql`, header parsed
 * (lake/sql-header.ts). Read once per process; a malformed file fails loading with file:line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tlError } from '../core/errors.js';
import { parseSqlFile, type SqlFile } from './sql-header.js';

export const SQL_DIR = fileURLToPath(new URL('../sql/', import.meta.url));
export const REPORTS_DIR = join(SQL_DIR, 'reports');
export const CHECKS_DIR = join(SQL_DIR, 'checks');
export const VIEWS_DIR = join(SQL_DIR, 'views');

export type CatalogKind = 'report' | 'check';

export class SqlCatalog {
  private readonly byName: Map<string, SqlFile>;

  constructor(
    readonly kind: CatalogKind,
    files: SqlFile[],
  ) {
    this.byName = new Map(files.map((f) => [f.name, f]));
  }

  static load(kind: CatalogKind, dir = kind === 'report' ? REPORTS_DIR : CHECKS_DIR): SqlCatalog {
    const names = readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .sort((a, b) => a.slice(0, -4).localeCompare(b.slice(0, -4)));
    const files = names.map((f) => {
      const path = join(dir, f);
      return parseSqlFile(path.replace(SQL_DIR, 'sql/'), readFileSync(path, 'utf8'), f.slice(0, -4));
    });
    return new SqlCatalog(kind, files);
  }

  list(): SqlFile[] {
    return [...this.byName.values()];
  }

  find(name: string): SqlFile | undefined {
    return this.byName.get(name);
  }

  get(name: string): SqlFile {
    const f = this.byName.get(name);
    if (!f) throw tlError('TL_API_NOT_FOUND', { what: `${this.kind} "${name}"` });
    return f;
  }
}

/** Catalog entry as the API and the shell show it (no SQL text). */
export function describeSqlFile(f: SqlFile): Record<string, unknown> {
  return {
    name: f.name,
    title: f.title,
    description: f.description,
    params: f.params.map((p) => ({
      name: p.name,
      type: p.type,
      required: p.required,
      ...(p.default !== undefined ? { default: p.default } : {}),
      description: p.description,
    })),
  };
}

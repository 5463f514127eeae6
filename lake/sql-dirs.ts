/**
 * Where SQL files come from: the bundled `sql/` directory, overlaid by the user's own directories (`--sql-dir`,
 * repeatable, `TICKLAKE_SQL_DIR`), each laid out like `sql/`: `sources/`, `jobs/`, `views/`, `reports/`, `checks/`,
 * `streams/`. A user file adds to the bundled ones, and replaces the bundled (or an earlier directory's) file of the
 * same kind and name, so definitions can live in the user's own repository and ticklake upgrades without merges.
 *
 * Every loader of SQL files lists them through `listSqlFiles`, so overlays mean the same for every kind.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tlError } from '../core/errors.js';

/** The bundled SQL directory of the package. */
export const BUNDLED_SQL_DIR = fileURLToPath(new URL('../sql/', import.meta.url));

export const SQL_KINDS = ['sources', 'jobs', 'views', 'reports', 'checks', 'streams', 'models', 'tests'] as const;
export type SqlKind = (typeof SQL_KINDS)[number];

export interface SqlFileRef {
  kind: SqlKind;
  /** File name without `.sql`: the report, check, source or job name. */
  name: string;
  /** Absolute path. */
  path: string;
  /** Path as shown in messages: `sql/reports/x.sql` for bundled files, else relative to the working directory. */
  display: string;
  /** From the bundled directory (not a user overlay). */
  bundled: boolean;
}

/** Checks the user's SQL directories: each must exist and be a directory. Returns them as absolute paths. */
export function checkSqlDirs(dirs: readonly string[]): string[] {
  return dirs.map((d) => {
    const abs = resolve(d);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '--sql-dir',
        value: JSON.stringify(d),
        reason: 'not a directory',
      });
    }
    return abs;
  });
}

function displayPath(path: string, bundled: boolean): string {
  if (bundled) return `sql/${relative(BUNDLED_SQL_DIR, path)}`;
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

/**
 * The `.sql` files of one kind: the bundled ones, then each user directory's in order, a later file replacing an
 * earlier one of the same name. Sorted by name. `bundled: false` leaves the bundled directory out (tests).
 */
export function listSqlFiles(kind: SqlKind, userDirs: readonly string[] = [], bundled = true): SqlFileRef[] {
  const byName = new Map<string, SqlFileRef>();
  const roots = [...(bundled ? [{ dir: BUNDLED_SQL_DIR, bundled: true }] : [])];
  for (const d of checkSqlDirs(userDirs)) roots.push({ dir: d, bundled: false });
  for (const root of roots) {
    const dir = join(root.dir, kind);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.sql') || f.startsWith('.')) continue;
      const path = join(dir, f);
      const name = f.slice(0, -4);
      byName.set(name, { kind, name, path, display: displayPath(path, root.bundled), bundled: root.bundled });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

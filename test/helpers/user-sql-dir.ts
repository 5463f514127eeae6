/**
 * A user's own SQL directory, as `--sql-dir` takes it (lake/sql-dirs.ts), in a temp dir: the window tests and the
 * `--sql-dir` tests of the API, the CLI and the SQL catalog write their views, reports, checks and models into it.
 *
 *   const sql = UserSqlDir.create('tl-windows-', ['views', 'reports', 'checks']);
 *   sql.write('reports', 'five-minute-count', '-- title: ...');   // <dir>/reports/five-minute-count.sql
 *   ... '--sql-dir', sql.dir ...
 *   sql.remove();
 *
 * Or all at once: `UserSqlDir.withFiles('tl-engine-', { 'sources/a.sql': '...', 'jobs/j.sql': '...' })` (the
 * keyed-table engine's tests declare their sources and jobs so).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export class UserSqlDir {
  /** Writes so far: each write's mtime is a second after the one before (see write). */
  private writes = 0;

  private constructor(readonly dir: string) {}

  /** A fresh temp dir named `<prefix>XXXXXX`, with the (empty) folders `kinds`. */
  static create(prefix: string, kinds: readonly string[] = []): UserSqlDir {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    for (const kind of kinds) mkdirSync(join(dir, kind), { recursive: true });
    return new UserSqlDir(dir);
  }

  /** A fresh temp dir holding `files`: relative path (`sources/a.sql`) → text; their folders are made. */
  static withFiles(prefix: string, files: Readonly<Record<string, string>>): UserSqlDir {
    const sql = UserSqlDir.create(prefix);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(sql.dir, rel)), { recursive: true });
      writeFileSync(join(sql.dir, rel), text);
    }
    return sql;
  }

  /**
   * Writes `<kind>/<name>.sql` (`kind` may be a path, `sql/models`; its folders are made) and returns its path. Its
   * mtime is set a second after the previous write's, ahead of the clock, so that a catalog that refreshes on a
   * changed mtime (SqlCatalog.refresh) sees a file rewritten within the same second.
   */
  write(kind: string, name: string, text: string): string {
    mkdirSync(join(this.dir, kind), { recursive: true });
    const path = join(this.dir, kind, `${name}.sql`);
    writeFileSync(path, text);
    const t = new Date(Date.now() + ++this.writes * 1000);
    utimesSync(path, t, t);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

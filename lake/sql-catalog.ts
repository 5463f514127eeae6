/**
 * The report and check catalogs: every `reports/*.sql` or `checks/*.sql` of the bundled sql/ directory and the
 * user's `--sql-dir` directories (lake/sql-dirs.ts: a user file replaces a bundled one of the same name), header
 * parsed (lake/sql-header.ts).
 *
 * `refresh()` brings the catalog up to date with the files: a new file appears, a deleted one goes, a changed one
 * is parsed again (one directory listing and a stat per file; unchanged files are not read). The API refreshes on
 * every catalog and report request, so a running server sees new and edited files without a restart.
 *
 * A file whose header is malformed is not fatal: it is listed as broken with its file:line error (`broken()`),
 * reported once through `onBroken` (a warning), and asking for it by name answers that error; the other files keep
 * working.
 */
import { readFileSync, statSync } from 'node:fs';
import { isTicklakeError, type TicklakeError, tlError } from '../core/errors.js';
import { logger } from '../core/log.js';
import { listSqlFiles, type SqlFileRef } from './sql-dirs.js';
import { parseSqlFile, type SqlFile } from './sql-header.js';

export type CatalogKind = 'report' | 'check';

export interface BrokenSqlFile {
  name: string;
  /** The file as shown in messages (`sql/reports/x.sql`). */
  file: string;
  /** Its line the error is about. */
  line: number;
  /** The error, `file:line: reason` (TL_SQL_BAD_HEADER). */
  error: TicklakeError;
}

interface Entry {
  ref: SqlFileRef;
  /** mtime and size when parsed: a change of either parses the file again. */
  version: string;
  file?: SqlFile;
  broken?: BrokenSqlFile;
}

export interface CatalogOptions {
  /** The user's SQL directories (`--sql-dir`). */
  sqlDirs?: readonly string[];
  /** Called once for each broken file (again when it changes and is still broken). Default: a log warning. */
  onBroken?: (b: BrokenSqlFile) => void;
  /** Leave out the bundled sql/ directory (tests). */
  bundled?: boolean;
}

export class SqlCatalog {
  private entries = new Map<string, Entry>();
  private readonly onBroken: (b: BrokenSqlFile) => void;

  constructor(
    readonly kind: CatalogKind,
    private readonly opts: CatalogOptions = {},
  ) {
    const log = logger('sql-catalog');
    this.onBroken =
      opts.onBroken ?? ((b) => log.warn({ file: b.file, line: b.line }, `${kind} left out: ${b.error.message}`));
  }

  /** A catalog read from the files now. */
  static load(kind: CatalogKind, opts: CatalogOptions = {}): SqlCatalog {
    return new SqlCatalog(kind, opts).refresh();
  }

  /** Brings the catalog up to date with the files (cheap when nothing changed). */
  refresh(): this {
    const refs = listSqlFiles(
      this.kind === 'report' ? 'reports' : 'checks',
      this.opts.sqlDirs ?? [],
      this.opts.bundled,
    );
    const next = new Map<string, Entry>();
    for (const ref of refs) {
      let version: string;
      try {
        const st = statSync(ref.path);
        version = `${st.mtimeMs}:${st.size}`;
      } catch {
        continue; // deleted between the listing and the stat
      }
      const old = this.entries.get(ref.name);
      if (old && old.ref.path === ref.path && old.version === version) {
        next.set(ref.name, old);
        continue;
      }
      next.set(ref.name, this.parse(ref, version));
    }
    this.entries = next;
    return this;
  }

  private parse(ref: SqlFileRef, version: string): Entry {
    try {
      return { ref, version, file: parseSqlFile(ref.display, readFileSync(ref.path, 'utf8'), ref.name) };
    } catch (e) {
      const error = isTicklakeError(e)
        ? e
        : tlError('TL_SQL_BAD_HEADER', { file: ref.display, line: 1, reason: (e as Error).message });
      const line = Number(error.details.line ?? 1);
      const broken = { name: ref.name, file: ref.display, line, error };
      this.onBroken(broken);
      return { ref, version, broken };
    }
  }

  /** The working files, by name. */
  list(): SqlFile[] {
    return [...this.entries.values()].flatMap((e) => (e.file ? [e.file] : []));
  }

  /** The broken files, by name. */
  broken(): BrokenSqlFile[] {
    return [...this.entries.values()].flatMap((e) => (e.broken ? [e.broken] : []));
  }

  find(name: string): SqlFile | undefined {
    return this.entries.get(name)?.file;
  }

  /** The file of this name; a broken one throws its error (file:line), an unknown one TL_API_NOT_FOUND. */
  get(name: string): SqlFile {
    const e = this.entries.get(name);
    if (e?.broken) throw e.broken.error;
    if (!e?.file) throw tlError('TL_API_NOT_FOUND', { what: `${this.kind} "${name}"` });
    return e.file;
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
      ...(p.min !== undefined ? { min: p.min } : {}),
      ...(p.max !== undefined ? { max: p.max } : {}),
      description: p.description,
    })),
  };
}

/** A broken file as the API shows it; `mask` rewrites paths (api/path-masks.ts). */
export function describeBroken(b: BrokenSqlFile, mask: (text: string) => string = (t) => t): Record<string, unknown> {
  return { name: b.name, file: mask(b.file), line: b.line, error: mask(b.error.message) };
}

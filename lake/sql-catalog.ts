/**
 * The report and check catalogs: every `reports/*.sql` or `checks/*.sql` of the bundled sql/ directory and the
 * user's `--sql-dir` directories (lake/sql-dirs.ts: a user file replaces a bundled one of the same name), header
 * parsed (lake/sql-header.ts).
 *
 * `refresh()` brings the catalog up to date with the files: a new file appears, a deleted one goes, a changed one
 * is parsed again (one directory listing and a stat per file; unchanged files are not read). The API refreshes on
 * every catalog and report request, so a running server sees new and edited files without a restart.
 *
 * Each file's window requirement (lake/window-requirements.ts: its `-- requires_window:` line and those of the views
 * it reads) is worked out again on every refresh, so an edited view changes the reports over it. A report that
 * reads a view whose `requires_window:` line is malformed is broken with that view's file:line error.
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
import { describeClause, type WindowClause, WindowRequirements } from './window-requirements.js';

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
  /** The windows it needs (this refresh's views). */
  needs?: WindowClause[];
  /** Broken by a view it reads (this refresh's views). */
  viewBroken?: BrokenSqlFile;
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
  /** What the views need, read from the same SQL directories. */
  readonly windows: WindowRequirements;

  constructor(
    readonly kind: CatalogKind,
    private readonly opts: CatalogOptions = {},
  ) {
    const log = logger('sql-catalog');
    this.onBroken =
      opts.onBroken ?? ((b) => log.warn({ file: b.file, line: b.line }, `${kind} left out: ${b.error.message}`));
    this.windows = new WindowRequirements(opts.sqlDirs ?? []);
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
    this.windows.refresh();
    for (const e of next.values()) {
      if (!e.file) continue;
      const before = e.viewBroken?.error.message;
      e.viewBroken = undefined;
      try {
        e.needs = this.windows.of(e.file);
      } catch (err) {
        if (!isTicklakeError(err)) throw err;
        e.needs = undefined;
        e.viewBroken = {
          name: e.ref.name,
          file: String(err.details.file),
          line: Number(err.details.line ?? 1),
          error: err,
        };
        if (err.message !== before) this.onBroken(e.viewBroken);
      }
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
    return [...this.entries.values()].flatMap((e) => (e.file && !e.viewBroken ? [e.file] : []));
  }

  /** The broken files, by name: a malformed header, or a view read whose `requires_window:` line is malformed. */
  broken(): BrokenSqlFile[] {
    return [...this.entries.values()].flatMap((e) => {
      const b = e.broken ?? e.viewBroken;
      return b ? [b] : [];
    });
  }

  find(name: string): SqlFile | undefined {
    const e = this.entries.get(name);
    return e?.viewBroken ? undefined : e?.file;
  }

  /** The windows a working file of this catalog needs (lake/window-requirements.ts); none for an unknown one. */
  needs(name: string): WindowClause[] {
    return this.entries.get(name)?.needs ?? [];
  }

  /** The file of this name; a broken one throws its error (file:line), an unknown one TL_API_NOT_FOUND. */
  get(name: string): SqlFile {
    const e = this.entries.get(name);
    if (e?.broken) throw e.broken.error;
    if (e?.viewBroken) throw e.viewBroken.error;
    if (!e?.file) throw tlError('TL_API_NOT_FOUND', { what: `${this.kind} "${name}"` });
    return e.file;
  }
}

/**
 * Catalog entry as the API and the shell show it (no SQL text); with `needs`, the windows it needs
 * (`requires_window`: one entry per clause, each "at least one of windows", with the file:line and views it comes
 * through).
 */
export function describeSqlFile(f: SqlFile, needs?: readonly WindowClause[]): Record<string, unknown> {
  return {
    name: f.name,
    title: f.title,
    description: f.description,
    ...(needs ? { requires_window: needs.map(describeClause) } : {}),
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

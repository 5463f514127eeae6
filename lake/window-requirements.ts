/**
 * Which bar windows a report, check or model needs, its own `-- requires_window:` line and every one it inherits
 * through the views it reads (lake/sql-header.ts; docs/reports.md, "Windows"): `hourly-kpis` reads the view
 * `bars_1h`, which rolls up `1m` bars, so the report needs `1m` although it never names a window.
 *
 * Dependencies are found from the SQL, not declared: a file reads a view when the view's name (or a table macro its
 * file creates, e.g. `company_kpis_as_of` of sql/views/fundamentals_kpis.sql) stands in the file's code (comments
 * and string literals left out, not as `x.name` or `as name`). A declared list would be one more thing to keep in
 * step with the SQL, and a forgotten entry would bring back the silent empty result this exists to prevent. The
 * scheduler's parser (scheduler/sql-tables.ts, DuckDB's json_serialize_sql) is exact for one SELECT but cannot read
 * a file of macros, and it needs a database connection, where this runs on every catalog refresh; a name used
 * otherwise (a CTE named like a view) can at worst add a requirement, which the catalog then shows with the view it
 * came through.
 *
 * A requirement is a list of clauses, each "bars of at least one of these windows", all of which must hold.
 */
import { readFileSync, statSync } from 'node:fs';
import { isTicklakeError, type TicklakeError, tlError } from '../core/errors.js';
import { listSqlFiles } from './sql-dirs.js';
import { readViewRequirement, type SqlFile, type WindowRequirement } from './sql-header.js';

/**
 * One clause of a requirement: at least one of `windows`, as written at `file:line`; or, with `param`, the window
 * that parameter names (its default when not given; when it has none either, any window the lake has).
 */
export interface WindowClause {
  windows: string[];
  param?: string;
  /** The file whose `requires_window:` line this is, and the line. */
  file: string;
  line: number;
  /** The views it comes through, outermost first (empty: the file's own line). */
  via: string[];
}

interface ViewInfo {
  name: string;
  file: string;
  version: string;
  /** Names its statements create (the view, table macros). */
  defines: string[];
  code: string;
  own?: WindowRequirement;
  error?: TicklakeError;
}

/** Code without comments and string literals; quoted identifiers unquoted; lower case. */
function identifiersText(sql: string): string {
  return sql
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'/g, ' ')
    .replace(/"((?:[^"]|"")*)"/g, (_, id: string) => id.replace(/""/g, '"'))
    .toLowerCase();
}

/** The names a view file creates: `create [or replace] [temp] view|macro|table [if not exists] NAME`. */
function definedNames(code: string): string[] {
  const re =
    /\bcreate\s+(?:or\s+replace\s+)?(?:temp(?:orary)?\s+)?(?:view|macro|table)\s+(?:if\s+not\s+exists\s+)?([a-z_]\w*)/g;
  return [...new Set([...code.matchAll(re)].map((m) => m[1]))];
}

/**
 * The names of `known` (lower case) that `sql` reads: whole words of its code, not in comments or string literals,
 * not a qualified column (`x.name`) or an alias (`as name`).
 */
export function namesRead(sql: string, known: ReadonlySet<string>): Set<string> {
  return namesIn(identifiersText(sql), known);
}

function namesIn(code: string, known: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const m of code.matchAll(/(?<![\w.$])([a-z_]\w*)\b/g)) {
    if (!known.has(m[1])) continue;
    const before = code.slice(Math.max(0, (m.index ?? 0) - 8), m.index);
    if (/\bas\s+$/.test(before)) continue;
    out.add(m[1]);
  }
  return out;
}

export class WindowRequirements {
  private views = new Map<string, ViewInfo>();
  private byName = new Map<string, ViewInfo>();
  private resolved = new Map<string, WindowClause[]>();

  constructor(private readonly sqlDirs: readonly string[] = []) {}

  /** Reads the view files again where they changed (one listing and a stat per file). */
  refresh(): this {
    const next = new Map<string, ViewInfo>();
    for (const ref of listSqlFiles('views', this.sqlDirs)) {
      let version: string;
      try {
        const st = statSync(ref.path);
        version = `${ref.path}:${st.mtimeMs}:${st.size}`;
      } catch {
        continue;
      }
      const old = this.views.get(ref.name);
      if (old && old.version === version) {
        next.set(ref.name, old);
        continue;
      }
      const text = readFileSync(ref.path, 'utf8');
      const code = identifiersText(text);
      const info: ViewInfo = { name: ref.name, file: ref.display, version, defines: definedNames(code), code };
      try {
        info.own = readViewRequirement(ref.display, text);
      } catch (e) {
        if (!isTicklakeError(e)) throw e;
        info.error = e;
      }
      next.set(ref.name, info);
    }
    this.views = next;
    this.byName = new Map();
    for (const v of next.values()) for (const n of new Set([v.name.toLowerCase(), ...v.defines])) this.byName.set(n, v);
    this.resolved = new Map();
    return this;
  }

  /** The view files whose `requires_window:` line is malformed (their file:line errors). */
  errors(): TicklakeError[] {
    return [...this.views.values()].flatMap((v) => (v.error ? [v.error] : []));
  }

  /** The requirement of a view, through the views it reads. A malformed view on the way throws its error. */
  ofView(name: string): WindowClause[] {
    const v = this.byName.get(name.toLowerCase());
    return v ? this.resolve(v, []) : [];
  }

  /** The requirement of a report, check or model: its own line and what the views it reads need. */
  of(file: SqlFile): WindowClause[] {
    const own = file.requiresWindow ? [{ ...file.requiresWindow, file: file.file, via: [] }] : [];
    return dedupe([...own, ...this.inherited(identifiersText(file.sql), new Set(), [])]);
  }

  private resolve(v: ViewInfo, stack: string[]): WindowClause[] {
    if (v.error) throw v.error;
    const done = this.resolved.get(v.name);
    if (done) return done;
    if (stack.includes(v.name)) return []; // a cycle: DuckDB refuses it when the views are created
    const own = v.own ? [{ ...v.own, file: v.file, via: [] }] : [];
    const clauses = dedupe([
      ...own,
      ...this.inherited(v.code, new Set([v.name.toLowerCase(), ...v.defines]), [...stack, v.name]),
    ]);
    this.resolved.set(v.name, clauses);
    return clauses;
  }

  private inherited(code: string, self: ReadonlySet<string>, stack: string[]): WindowClause[] {
    const known = new Set([...this.byName.keys()].filter((n) => !self.has(n)));
    const out: WindowClause[] = [];
    const seen = new Set<ViewInfo>();
    for (const n of [...namesIn(code, known)].sort()) {
      const v = this.byName.get(n) as ViewInfo;
      if (seen.has(v)) continue;
      seen.add(v);
      for (const c of this.resolve(v, stack)) out.push({ ...c, via: [v.name, ...c.via] });
    }
    return out;
  }
}

/** One clause per distinct window set and origin line (the shortest path to it). */
function dedupe(clauses: WindowClause[]): WindowClause[] {
  const by = new Map<string, WindowClause>();
  for (const c of clauses) {
    const key = `${c.file}:${c.line}`;
    const old = by.get(key);
    if (!old || c.via.length < old.via.length) by.set(key, c);
  }
  return [...by.values()];
}

/** Parameter values as given (text), and the file's header defaults for those not given. */
export type GivenParams = Readonly<Record<string, string | undefined>>;

/** The parameters of a request over the defaults of the file's header (what `requires_window: $name` reads). */
export function withDefaults(file: SqlFile, given: GivenParams): GivenParams {
  const out: Record<string, string | undefined> = {};
  for (const p of file.params) out[p.name] = given[p.name] ?? p.default;
  return out;
}

/** The window a parameter clause asks for: the value given, else undefined (any window of the lake). */
function paramWindow(c: WindowClause, given: GivenParams): string | undefined {
  return c.param === undefined ? undefined : given[c.param];
}

/** The clauses no window of `windows` satisfies (`given`: the parameters, for `requires_window: $name`). */
export function unmetClauses(
  clauses: readonly WindowClause[],
  windows: readonly string[],
  given: GivenParams = {},
): WindowClause[] {
  return clauses.filter((c) => {
    if (c.param === undefined) return !c.windows.some((w) => windows.includes(w));
    const w = paramWindow(c, given);
    return w === undefined ? windows.length === 0 : !windows.includes(w);
  });
}

/** `1m`, `1m or 1d`; for a parameter clause the window asked for, or `any`. */
export function windowChoice(c: WindowClause, given: GivenParams = {}): string {
  return c.param === undefined ? c.windows.join(' or ') : (paramWindow(c, given) ?? 'any');
}

/** Where a clause comes from, for messages: `sql/views/bars_1h.sql:5 through view bars_1h`. */
export function clauseOrigin(c: WindowClause): string {
  const at = c.param === undefined ? `${c.file}:${c.line}` : `parameter ${c.param}, ${c.file}:${c.line}`;
  return c.via.length ? `${at} through view ${c.via.join(' → ')}` : at;
}

/** The clause as the API and the CLI list it. */
export function describeClause(c: WindowClause): Record<string, unknown> {
  return {
    windows: c.windows,
    ...(c.param !== undefined ? { param: c.param } : {}),
    file: c.file,
    line: c.line,
    via: c.via,
  };
}

/**
 * TL_SQL_WINDOW_MISSING for a report or check of this kind and name whose requirement the lake's windows do not
 * meet, or undefined when they do. `given`: the request's parameters, over the header's defaults.
 */
export function windowMissing(
  kind: string,
  name: string,
  clauses: readonly WindowClause[],
  windows: readonly string[],
  given: GivenParams = {},
): TicklakeError | undefined {
  const unmet = unmetClauses(clauses, windows, given);
  if (unmet.length === 0) return undefined;
  return tlError('TL_SQL_WINDOW_MISSING', {
    what: `${kind} ${name}`,
    needs: unmet.map((c) => `${windowChoice(c, given)} (${clauseOrigin(c)})`).join(', and '),
    windows: windows.length ? windows.join(', ') : 'none',
  });
}

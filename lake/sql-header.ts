/**
 * The machine-read header of report and check files (`sql/reports/*.sql`, `sql/checks/*.sql`; docs/reports.md):
 *
 *   -- title: Monthly mean NAV
 *   -- description: Mean end-of-day NAV per portfolio and month, newest first.
 *   -- param: portfolio  varchar  optional  Portfolio id, all when omitted
 *   -- param: max_age    interval optional default=2h  Age above which the newest tick is stale
 *   -- param: limit      integer  optional default=10 min=0  Number of rows
 *   select ...
 *
 * The header's lines are read by lake/sql-file-header.ts, as for every SQL file with a header (where it starts and
 * ends, continuation lines, a trailing ` -- ` comment, the line of each key); this file interprets the keys. A
 * `description:` may continue on following `--` lines that have no `key:` of their own, or whose word is none of the
 * keys below (a description may say "note: ..."). Parameter types: varchar, integer, bigint, double, boolean, date, timestamp,
 * interval, and lists: `varchar[]`, `integer[]`, `bigint[]`, `double[]`, `date[]` take comma-separated values
 * (`symbol=AAPL,MSFT`), bound as a DuckDB list (`list_contains($symbol, symbol)`). Right after required|optional
 * come options, in any order: `default=VALUE` (or `default="VALUE WITH SPACES"`), and for integer, bigint and
 * double `min=N` and `max=N`, the bounds a value must lie in (inclusive).
 * The SQL must use every declared parameter as `$name` and no undeclared one. Errors name file:line.
 *
 * Scheduling keys (docs/scheduler.md), read here and interpreted by scheduler/:
 *   -- schedule: hourly | daily | <cron expression>    run the file on this schedule
 *   -- materialize: table_name                        store each run's result in this lake table
 *   -- severity: warn | error | blocking              (checks) what a failure means for what depends on it
 *
 * The windows it needs (docs/reports.md, "Windows"), read here and resolved by lake/window-requirements.ts:
 *   -- requires_window: 1m | 1d                       bars of at least one of these windows must be in the lake
 *   -- requires_window: $window                       bars of the window the varchar parameter `window` names
 * The same line may stand in a view file's leading comments (sql/views/), where it is the only key read
 * (`readViewRequirement`). Labels are those of --windows (processors/time/windows.ts) and are compared as written.
 */
import { tlError } from '../core/errors.js';
import { parseWindows } from '../processors/time/windows.js';
import { leadingComments, readSqlHeader, stripComment } from './sql-file-header.js';

export const PARAM_TYPES = [
  'varchar',
  'integer',
  'bigint',
  'double',
  'boolean',
  'date',
  'timestamp',
  'interval',
  'varchar[]',
  'integer[]',
  'bigint[]',
  'double[]',
  'date[]',
] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export interface SqlParam {
  name: string;
  type: ParamType;
  required: boolean;
  /** Default as written in the header (text, converted like a request value). */
  default?: string;
  /** Smallest value allowed (numeric types), inclusive. */
  min?: number;
  /** Largest value allowed (numeric types), inclusive. */
  max?: number;
  description: string;
}

export interface SqlFile {
  /** File name without `.sql`. */
  name: string;
  file: string;
  title: string;
  description: string;
  params: SqlParam[];
  /** The whole file text (the header is SQL comments, so it runs as is). */
  sql: string;
  /** `-- schedule:` as written (checked by scheduler/schedule.ts). */
  schedule?: string;
  /** `-- materialize:` target table. */
  materialize?: string;
  /** `-- severity:` of a check. */
  severity?: Severity;
  /** 1-based line of each scheduling key, for errors that name file:line. */
  keyLines?: Record<string, number>;
  /** `-- requires_window:`: bars of at least one of these windows are needed. */
  requiresWindow?: WindowRequirement;
}

/** A `-- requires_window: 1m | 1d` line: at least one of `windows`; or `$name`: the window parameter `name` gives. */
export interface WindowRequirement {
  windows: string[];
  /** `requires_window: $window`: the window is a parameter's value (its default, else any window of the lake). */
  param?: string;
  /** 1-based line of the header line. */
  line: number;
}

const REQUIRES_WINDOW = 'requires_window';

/**
 * The value of a `requires_window:` line: window labels separated by `|`, each a valid --windows label (a duration
 * of at least 1s dividing a day), none twice. Errors name file:line.
 */
export function parseWindowRequirement(file: string, line: number, value: string): WindowRequirement {
  const bad = (reason: string) => tlError('TL_SQL_BAD_HEADER', { file, line, reason });
  const param = /^\$([A-Za-z_]\w*)$/.exec(value.trim());
  if (param) return { windows: [], param: param[1], line };
  const labels = value.split('|').map((w) => w.trim());
  if (value.trim() === '' || labels.some((w) => w === '')) {
    throw bad(`requires_window must list windows separated by "|" (e.g. "1m | 1d"), got "${value}"`);
  }
  for (const w of labels) {
    try {
      parseWindows([w]);
    } catch (e) {
      const reason = (e as { details?: { reason?: string } }).details?.reason ?? (e as Error).message;
      throw bad(`requires_window: "${w}" is not a window (${reason})`);
    }
  }
  const twice = labels.find((w, i) => labels.indexOf(w) !== i);
  if (twice !== undefined) throw bad(`requires_window: "${twice}" listed twice`);
  return { windows: labels, line };
}

/**
 * The `-- requires_window:` line of a view file (sql/views/): views have no header of keys, only leading comments,
 * so this one key is looked for among them (at most once), its value read as in a header (a trailing ` -- ` comment
 * is not part of it). Undefined when there is none.
 */
export function readViewRequirement(file: string, text: string): WindowRequirement | undefined {
  let found: WindowRequirement | undefined;
  for (const { line, text: comment } of leadingComments(text.split('\n'))) {
    const m = /^(requires[-_ ]windows?)\s*:\s*(.*)$/i.exec(comment ?? '');
    if (!m) continue;
    if (m[1].toLowerCase() !== REQUIRES_WINDOW) {
      throw tlError('TL_SQL_BAD_HEADER', { file, line, reason: `write "${REQUIRES_WINDOW}:", not "${m[1]}:"` });
    }
    if (found) throw tlError('TL_SQL_BAD_HEADER', { file, line, reason: `${REQUIRES_WINDOW} given twice` });
    found = parseWindowRequirement(file, line, stripComment(m[2]).trim());
    if (found.param !== undefined) {
      throw tlError('TL_SQL_BAD_HEADER', { file, line, reason: 'a view has no parameters: name windows' });
    }
  }
  return found;
}

export const SEVERITIES = ['warn', 'error', 'blocking'] as const;
export type Severity = (typeof SEVERITIES)[number];
const SCHEDULING_KEYS = ['schedule', 'materialize', 'severity'] as const;
const HEADER_KEYS = ['title', 'description', 'param', REQUIRES_WINDOW, ...SCHEDULING_KEYS];

const PARAM_RE =
  /^(\w+)\s+(\w+(?:\[\])?)\s+(required|optional)((?:\s+(?:default|min|max)=(?:"[^"]*"|\S+))*)(?:\s+(.*))?$/i;
const OPTION_RE = /(default|min|max)=("[^"]*"|\S+)/gi;
const NUMERIC: readonly ParamType[] = ['integer', 'bigint', 'double'];

/** Removes comments and string literals, so that `$name` is only found in SQL text. */
function codeOnly(sql: string): string {
  return sql.replace(/--[^\n]*|'(?:[^']|'')*'|"(?:[^"]|"")*"|\/\*[\s\S]*?\*\//g, ' ');
}

export function usedParams(sql: string): Set<string> {
  return new Set([...codeOnly(sql).matchAll(/\$([A-Za-z_]\w*)/g)].map((m) => m[1]));
}

export function parseSqlFile(
  file: string,
  text: string,
  name = file.replace(/^.*\//, '').replace(/\.sql$/, ''),
): SqlFile {
  const bad = (line: number, reason: string) => tlError('TL_SQL_BAD_HEADER', { file, line, reason });
  // a hyphen or space would otherwise make the line more description, and the requirement silently ignored
  const misspelt = (body: string, line: number) => {
    const m = /^(requires[- ]windows?|requires_windows):/i.exec(body);
    if (m) throw bad(line, `write "${REQUIRES_WINDOW}:", not "${m[1]}:"`);
  };
  const header = readSqlHeader(file, text, {
    keys: HEADER_KEYS,
    check: misspelt,
    expected: ' (title, description or param)',
  });
  const lines = header.lines;
  let title: string | undefined;
  let description: string | undefined;
  const params: SqlParam[] = [];
  const paramLines = new Map<string, number>();
  const sched: { schedule?: string; materialize?: string; severity?: Severity; keyLines?: Record<string, number> } = {};
  let requiresWindow: WindowRequirement | undefined;
  for (const { key, value, line } of header.entries) {
    if (key === 'title') {
      if (title !== undefined) throw bad(line, 'title given twice');
      if (value === '') throw bad(line, 'empty title');
      title = value;
    } else if (key === 'description') {
      if (description !== undefined) throw bad(line, 'description given twice');
      description = value;
    } else if (key === 'param') {
      const m = PARAM_RE.exec(value);
      if (!m)
        throw bad(
          line,
          `param must be "name type required|optional [default=VALUE] [min=N] [max=N] description", got "${value}"`,
        );
      const [, pname, ptype, req, optionText, desc] = m;
      const type = ptype.toLowerCase() as ParamType;
      if (!PARAM_TYPES.includes(type)) {
        const scalar = PARAM_TYPES.filter((t) => !t.endsWith('[]'));
        throw bad(line, `param ${pname}: unknown type "${ptype}" (use one of ${scalar.join(', ')})`);
      }
      if (params.some((p) => p.name === pname)) throw bad(line, `param ${pname} declared twice`);
      const options = new Map<string, string>();
      for (const [, key, raw] of optionText.matchAll(OPTION_RE)) {
        const k = key.toLowerCase();
        if (options.has(k)) throw bad(line, `param ${pname}: ${k}= given twice`);
        options.set(k, raw.startsWith('"') ? raw.slice(1, -1) : raw);
      }
      const required = req.toLowerCase() === 'required';
      const def = options.get('default');
      if (required && def !== undefined) throw bad(line, `param ${pname}: a required parameter cannot have a default`);
      const bound = (k: 'min' | 'max'): number | undefined => {
        const text = options.get(k);
        if (text === undefined) return undefined;
        if (!NUMERIC.includes(type)) throw bad(line, `param ${pname}: ${k}= is only for ${NUMERIC.join(', ')}`);
        const v = Number(text);
        if (text.trim() === '' || !Number.isFinite(v)) throw bad(line, `param ${pname}: ${k}= must be a number`);
        return v;
      };
      const [min, max] = [bound('min'), bound('max')];
      if (min !== undefined && max !== undefined && min > max) throw bad(line, `param ${pname}: min= is above max=`);
      if (def !== undefined && NUMERIC.includes(type)) {
        const d = Number(def);
        if ((min !== undefined && d < min) || (max !== undefined && d > max)) {
          throw bad(line, `param ${pname}: default=${def} is outside min=${min ?? ''} max=${max ?? ''}`);
        }
      }
      paramLines.set(pname, line);
      params.push({
        name: pname,
        type,
        required,
        default: def,
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
        description: (desc ?? '').trim(),
      });
    } else if (key === REQUIRES_WINDOW) {
      if (requiresWindow) throw bad(line, `${REQUIRES_WINDOW} given twice`);
      requiresWindow = parseWindowRequirement(file, line, value);
    } else if ((SCHEDULING_KEYS as readonly string[]).includes(key)) {
      const k = key as (typeof SCHEDULING_KEYS)[number];
      if (sched[k] !== undefined) throw bad(line, `${k} given twice`);
      if (value === '') throw bad(line, `empty ${k}`);
      if (k === 'severity' && !(SEVERITIES as readonly string[]).includes(value)) {
        throw bad(line, `severity must be one of ${SEVERITIES.join(', ')}, got "${value}"`);
      }
      if (k === 'materialize' && !/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
        throw bad(line, `materialize: "${value}" is not a table name (lower case letters, digits and _)`);
      }
      (sched as Record<string, string>)[k] = value;
      sched.keyLines = { ...sched.keyLines, [k]: line };
    } else {
      throw bad(
        line,
        `unknown header key "${key}" (use title, description, param, requires_window, schedule, materialize or severity)`,
      );
    }
  }
  if (requiresWindow?.param !== undefined) {
    const p = params.find((x) => x.name === requiresWindow?.param);
    if (p?.type !== 'varchar') {
      throw bad(requiresWindow.line, `requires_window: $${requiresWindow.param} must be a declared varchar parameter`);
    }
  }
  if (title === undefined) throw bad(1, 'missing "-- title:" line at the top of the file');
  if (description === undefined) throw bad(1, 'missing "-- description:" line in the header');
  const end = header.endLine - 1; // index of the first line after the header
  const body = lines.slice(end).join('\n');
  if (body.trim() === '') throw bad(header.endLine, 'no SQL after the header');
  const used = usedParams(body);
  for (const p of params) {
    if (!used.has(p.name))
      throw bad(paramLines.get(p.name) ?? 1, `param ${p.name} is declared but $${p.name} is not used`);
  }
  for (const u of used) {
    if (!params.some((p) => p.name === u)) {
      const at = lines.findIndex((l, n) => n >= end && codeOnly(l).includes(`$${u}`));
      throw bad(at + 1, `$${u} is used but not declared with "-- param: ${u} ..."`);
    }
  }
  return { name, file, title, description, params, sql: text, ...sched, ...(requiresWindow ? { requiresWindow } : {}) };
}

/**
 * The machine-read header of a SQL file: the leading run of `-- key: value` comment lines, read here once for every
 * kind of file that has one (reports and checks: lake/sql-header.ts; sources and jobs: processors/tables/source-file.ts
 * and job-file.ts; stream files: processors/ticks/stream-sql.ts). What keys a kind of file allows and what their
 * values mean is the caller's rule; how the lines are read is this file's:
 *
 * - Blank lines before the header are skipped; once a key has been read, a blank line (or any line that is not a
 *   `--` comment) ends the header. A bare `--` line inside it is skipped.
 * - A key is `-- word: value` (letters and `_`, compared in lower case); each is kept with its 1-based line, so that
 *   every error about the file names file:line. A key may stand more than once here (`param:`): refusing a repeat is
 *   the caller's rule (`readSqlFileParts` refuses every repeat).
 * - Only a `description:` continues on following `--` lines: those without a `word:`, and, when the caller lists its
 *   keys, indented ones (`--   note: ...`, two spaces or more after `--`) whose word is not one of them. A `word:`
 *   line written like a key (`-- schedul: hourly`) is a key, so that a misspelt one is refused by name, not taken
 *   for prose. Any other `--` text in the header is an error.
 * - A value may end with an explanatory comment: ` -- ` (or a final ` --`) and what follows are not part of it
 *   (`-- format: plain  -- the row`); a `--` inside a word (`--windows`) is text.
 * - The body is what follows the header; it begins on the first line after it that is neither blank nor a comment.
 */
import { tlError } from '../core/errors.js';

/** One `-- key: value` line of a header, with its continuation lines joined to the value by a space. */
export interface HeaderEntry {
  /** In lower case. */
  key: string;
  value: string;
  /** 1-based line of the key. */
  line: number;
}

export interface SqlHeader {
  /** In file order; a key may occur more than once. */
  entries: HeaderEntry[];
  /** 1-based line just after the header (blank lines before it included): where a missing key is reported. */
  endLine: number;
  /** 1-based line where the body begins (the first line after the header that is neither blank nor a comment). */
  bodyLine: number;
  /** The file's lines. */
  lines: string[];
}

export interface ReadHeaderOptions {
  /** The keys of this kind of file: after a description, a `word:` line whose word is not one of them continues it. */
  keys?: readonly string[];
  /** Called with the text after `--` of each header line and its line, before it is read: refuses known mistakes. */
  check?: (text: string, line: number) => void;
  /** Added after `expected "key: value"` in the error about a `--` line that is neither a key nor a continuation. */
  expected?: string;
}

/** A leading line of a file: its 1-based line and the text after `--`, trimmed; `text` undefined for a blank line. */
export interface LeadingLine {
  line: number;
  text?: string;
  /** Two or more spaces between `--` and the text: a continuation line, not a key. */
  indented?: boolean;
}

/** The file's leading run of blank and `--` lines (a view's free comments, or the lines a header is read from). */
export function leadingComments(lines: readonly string[]): LeadingLine[] {
  const out: LeadingLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '') out.push({ line: i + 1 });
    else if (t.startsWith('--')) out.push({ line: i + 1, text: t.slice(2).trim(), indented: /^--\s{2,}\S/.test(t) });
    else break;
  }
  return out;
}

/** Reads the header of a SQL file into ordered entries, and finds where its body begins (see the rules above). */
export function readSqlHeader(file: string, text: string, options: ReadHeaderOptions = {}): SqlHeader {
  const lines = text.split('\n');
  const entries: HeaderEntry[] = [];
  let continued: HeaderEntry | undefined; // the description while lines may still continue it
  let endLine = 1;
  for (const { line, text: rest, indented } of leadingComments(lines)) {
    if (rest === undefined && entries.length > 0) break;
    endLine = line + 1;
    if (rest === undefined) continue;
    options.check?.(rest, line);
    const kv = /^([a-z_]+):\s*(.*)$/i.exec(rest);
    const key = kv?.[1].toLowerCase();
    const prose =
      continued !== undefined && indented && key !== undefined && options.keys && !options.keys.includes(key);
    if (kv && key !== undefined && !prose) {
      const entry = { key, value: stripComment(kv[2]).trim(), line };
      entries.push(entry);
      continued = key === 'description' ? entry : undefined;
      continue;
    }
    const more = stripComment(rest).trim(); // `--   -- a note` is a comment, not a continuation
    if (more === '') continue;
    if (!continued) {
      throw tlError('TL_SQL_BAD_HEADER', {
        file,
        line,
        reason: `expected "key: value"${options.expected ?? ''}, got "${rest}"`,
      });
    }
    continued.value = `${continued.value} ${more}`;
  }
  let bodyLine = endLine;
  while (bodyLine <= lines.length && isBlankOrComment(lines[bodyLine - 1])) bodyLine++;
  return { entries, endLine, bodyLine, lines };
}

/** A value may be followed by an explanatory comment: ` -- ` and the rest; `--windows` inside text is kept. */
export function stripComment(v: string): string {
  const at = /(?:^|\s)--(?:\s|$)/.exec(v);
  return at ? v.slice(0, at.index) : v;
}

function isBlankOrComment(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('--');
}

export interface HeaderField {
  value: string;
  /** 1-based line of the key. */
  line: number;
}

export interface SqlFileParts {
  file: string;
  fields: Map<string, HeaderField>;
  /** The SQL after the header, trimmed, without a trailing `;`. */
  body: string;
  /** 1-based line of the file where `body` begins. */
  bodyLine: number;
  /** 1-based line just after the header. */
  endLine: number;
  /** The file's lines (for finding a line by text). */
  lines: string[];
}

/**
 * Reads the header and body of a SQL file whose keys each stand at most once (sources, jobs, stream files): a
 * repeated key is an error at its second line. `keys`: as for `readSqlHeader`.
 */
export function readSqlFileParts(file: string, text: string, keys?: readonly string[]): SqlFileParts {
  const h = readSqlHeader(file, text, { keys });
  const fields = new Map<string, HeaderField>();
  for (const { key, value, line } of h.entries) {
    if (fields.has(key)) throw tlError('TL_SQL_BAD_HEADER', { file, line, reason: `"${key}" given twice` });
    fields.set(key, { value, line });
  }
  const body = h.lines
    .slice(h.bodyLine - 1)
    .join('\n')
    .trim()
    .replace(/;\s*$/, '');
  return { file, fields, body, bodyLine: h.bodyLine, endLine: h.endLine, lines: h.lines };
}

/** Throws TL_SQL_BAD_HEADER at the first key not in `allowed`. */
export function allowKeys(p: SqlFileParts, allowed: readonly string[]): void {
  for (const [key, f] of p.fields) {
    if (!allowed.includes(key)) {
      throw tlError('TL_SQL_BAD_HEADER', {
        file: p.file,
        line: f.line,
        reason: `unknown header "${key}" (use ${allowed.join(', ')})`,
      });
    }
  }
}

/** The value of a required key, or TL_SQL_BAD_HEADER naming it. */
export function requireKey(p: SqlFileParts, key: string): HeaderField {
  const f = p.fields.get(key);
  if (!f || f.value === '') {
    throw tlError('TL_SQL_BAD_HEADER', {
      file: p.file,
      line: f?.line ?? 1,
      reason: `missing "-- ${key}: ..." in the header`,
    });
  }
  return f;
}

/** A header error at a key's line. */
export function headerError(p: SqlFileParts, key: string, reason: string): Error {
  return tlError('TL_SQL_BAD_HEADER', { file: p.file, line: p.fields.get(key)?.line ?? 1, reason });
}

/** Splits `a, b,c` into names. */
export function nameList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

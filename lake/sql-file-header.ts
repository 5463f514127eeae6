/**
 * The machine-read header of a SQL file (docs/tables.md, the header tables of "Sources" and "Jobs"): the leading run
 * of `-- key: value` comment lines, read into keys with the line each came from, so that every error about the file
 * can name file:line. Blank lines before the header are skipped; a `--` line without a `key:` continues the previous
 * value (a long description). The body is everything after the header, with the line it starts on.
 *
 * Used by the keyed-table engine's source and job files; what keys a kind of file allows is the caller's rule
 * (`allowKeys`).
 */
import { tlError } from '../core/errors.js';

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
  /** The file's lines (for finding a line by text). */
  lines: string[];
}

/**
 * Reads the header and body of a SQL file. With `keys`, a `word: text` line after a `description:` whose word is
 * not one of them continues the description (a description may say "note: ..."); without, every `key:` is a key.
 */
export function readSqlFileParts(file: string, text: string, keys?: readonly string[]): SqlFileParts {
  const lines = text.split('\n');
  const fields = new Map<string, HeaderField>();
  let last: HeaderField | undefined;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') {
      if (fields.size === 0) continue;
      break;
    }
    if (!line.startsWith('--')) break;
    const rest = line.slice(2).trim();
    const kv = /^([a-z_]+):\s*(.*)$/i.exec(rest);
    if (!kv) {
      const more = stripComment(rest).trim(); // `--   -- a note` is a comment, not a continuation
      if (last && more !== '') last.value = `${last.value} ${more}`;
      else if (more !== '') {
        throw tlError('TL_SQL_BAD_HEADER', { file, line: i + 1, reason: `expected "key: value", got "${rest}"` });
      }
      continue;
    }
    const key = kv[1].toLowerCase();
    if (keys && !keys.includes(key) && last === fields.get('description')) {
      const more = stripComment(rest).trim();
      if (last && more !== '') last.value = `${last.value} ${more}`;
      continue;
    }
    if (fields.has(key)) throw tlError('TL_SQL_BAD_HEADER', { file, line: i + 1, reason: `"${key}" given twice` });
    last = { value: stripComment(kv[2]).trim(), line: i + 1 };
    fields.set(key, last);
  }
  let bodyLine = i + 1;
  while (bodyLine <= lines.length && isBlankOrComment(lines[bodyLine - 1])) bodyLine++;
  const body = lines
    .slice(bodyLine - 1)
    .join('\n')
    .trim()
    .replace(/;\s*$/, '');
  return { file, fields, body, bodyLine, lines };
}

/** A value may be followed by an explanatory `--` comment on the same line (`-- format: plain  -- the row`). */
function stripComment(v: string): string {
  const at = v.indexOf('--');
  return at < 0 ? v : v.slice(0, at);
}

function isBlankOrComment(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('--');
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

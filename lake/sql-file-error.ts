/**
 * Errors of a SQL file's statement, named by file and line. DuckDB reports a parser or binder error with a position
 * in the text it ran (`LINE 3: ...`); the runner knows where that text starts in the file (the line after the header)
 * and how many lines it put in front of it (`INSERT INTO ... BY NAME` and the like), so the line is the file's own.
 */
import { isTicklakeError, type TicklakeError, tlError } from '../core/errors.js';

export interface SqlFileText {
  /** Path as shown to the user (relative to the SQL directory it came from). */
  file: string;
  /** 1-based line of the file where the statement text begins. */
  line: number;
}

/** Wraps a DuckDB error of `f`'s statement as TL_SQL_FILE; `prefixLines` = lines the runner put before it. */
export function sqlFileError(f: SqlFileText, e: unknown, prefixLines = 0): TicklakeError {
  if (isTicklakeError(e)) return e;
  const message = (e as Error)?.message ?? String(e);
  const at = /\bLINE (\d+):/.exec(message);
  const line = at ? Math.max(f.line, f.line + Number(at[1]) - 1 - prefixLines) : f.line;
  const reason = message.replace(/\n+LINE \d+:[\s\S]*$/, '').trim();
  return tlError('TL_SQL_FILE', { file: f.file, line, reason }, e);
}

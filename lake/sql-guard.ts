/**
 * Read-only guard for ad-hoc SQL (`POST /api/query`). Three layers, each enough on its own for most attacks:
 *
 * 1. DuckDB's own parser (`extractStatements`): exactly one statement.
 * 2. The statement's first keyword is a query keyword (SELECT, WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW,
 *    SUMMARIZE, PIVOT, UNPIVOT, EXPLAIN) and DuckDB's statement type of the prepared statement is SELECT or EXPLAIN
 *    (an EXPLAIN's inner statement is checked the same way, since EXPLAIN ANALYZE runs it).
 * 3. The session itself is confined (lake/confine.ts): no file outside the lake, no extensions, locked settings,
 *    and the functions that would show the server's paths shadowed; naming the originals with a catalog or schema
 *    (`system.main.current_setting(...)`) is refused here, as is dynamic SQL (`query('...')`,
 *    `json_execute_serialized_sql`), whose text this guard could not check.
 *
 * A refused statement is TL_SQL_FORBIDDEN (403) with the reason; a statement DuckDB cannot parse or bind is
 * TL_SQL_QUERY (400).
 */
import { type DuckDBConnection, type DuckDBPreparedStatement, StatementType } from '../core/duckdb.js';
import { type TicklakeError, tlError } from '../core/errors.js';
import { SHADOWED_FUNCTIONS } from './confine.js';

const QUERY_KEYWORDS = ['select', 'with', 'from', 'values', 'table', 'describe', 'desc', 'show', 'summarize'];
const PIVOT_KEYWORDS = ['pivot', 'unpivot', 'pivot_wider', 'pivot_longer'];
export const ALLOWED_KEYWORDS = [...QUERY_KEYWORDS, ...PIVOT_KEYWORDS, 'explain'];

/** Drops leading whitespace, comments and opening parentheses. */
function lead(sql: string): string {
  let s = sql;
  for (;;) {
    const next = s.replace(/^\s+|^--[^\n]*(\n|$)|^\/\*[\s\S]*?\*\/|^\(/, '');
    if (next === s) return s;
    s = next;
  }
}

export function firstKeyword(sql: string): string {
  return (/^[A-Za-z_]+/.exec(lead(sql))?.[0] ?? '').toLowerCase();
}

/** Maps a DuckDB error to a ticklake error: permission problems are refusals, the rest query errors. */
export function duckError(e: unknown): TicklakeError {
  const message = (e as Error)?.message ?? String(e);
  const reason = message.split('\n')[0].slice(0, 500);
  if (/^Permission Error|disabled by configuration|configuration has been locked/.test(message)) {
    return tlError('TL_SQL_FORBIDDEN', { reason }, e);
  }
  return tlError('TL_SQL_QUERY', { reason }, e);
}

function forbid(reason: string): TicklakeError {
  return tlError('TL_SQL_FORBIDDEN', { reason });
}

/** Whitespace and comments between two tokens. */
const GAP = String.raw`(?:\s|--[^\n]*(?:\n|$)|/\*[\s\S]*?\*/)*`;
const QUALIFIED_SHADOWED = new RegExp(String.raw`\.${GAP}"?(${SHADOWED_FUNCTIONS.join('|')})\b`, 'i');
const DYNAMIC_SQL = new RegExp(String.raw`(?:^|[^\w$])"?(query|json_execute_serialized_sql)"?${GAP}\(`, 'i');

/**
 * Refuses the originals of the shadowed functions and dynamic SQL. Looks at the raw text, string literals
 * included: a literal that merely contains such a name is refused too, never the other way round.
 */
function checkFunctions(sql: string): void {
  const q = QUALIFIED_SHADOWED.exec(sql);
  if (q) throw forbid(`call ${q[1].toLowerCase()}() without a catalog or schema`);
  const d = DYNAMIC_SQL.exec(sql);
  if (d) throw forbid(`dynamic SQL (${d[1].toLowerCase()}()) is not allowed; send the query itself`);
}

function checkKeyword(sql: string): string {
  const kw = firstKeyword(sql);
  if (!ALLOWED_KEYWORDS.includes(kw)) {
    throw forbid(
      `${kw ? kw.toUpperCase() : 'this'} statements are not allowed; only queries (SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT, UNPIVOT, EXPLAIN)`,
    );
  }
  return kw;
}

/**
 * Parses and prepares one read-only statement. A PIVOT must list its values (`PIVOT t ON col IN (...)`): without
 * the list DuckDB expands it into several statements (a CREATE TYPE first), which the one-statement rule refuses.
 */
export async function prepareReadOnly(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  if (sql.trim() === '') throw tlError('TL_API_BAD_PARAM', { param: 'sql', reason: 'is empty' });
  let extracted: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
  try {
    extracted = await conn.extractStatements(sql);
  } catch (e) {
    throw duckError(e);
  }
  if (extracted.count === 0) throw tlError('TL_API_BAD_PARAM', { param: 'sql', reason: 'holds no statement' });
  const kw = checkKeyword(sql);
  checkFunctions(sql);
  if (extracted.count > 1) {
    throw forbid(
      PIVOT_KEYWORDS.includes(kw)
        ? `a PIVOT without an IN list runs several statements; list the values: PIVOT ... ON col IN ('a', 'b')`
        : `${extracted.count} statements given; send exactly one query`,
    );
  }
  if (kw === 'explain') {
    const inner = lead(sql).replace(/^explain\s+(analy[sz]e\s+)?/i, '');
    checkKeyword(inner);
  }
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await extracted.prepare(0);
  } catch (e) {
    throw duckError(e);
  }
  const type = prepared.statementType;
  if (type !== StatementType.SELECT && type !== StatementType.EXPLAIN) {
    prepared.destroySync();
    throw forbid(`${StatementType[type] ?? type} statements are not allowed; only queries`);
  }
  return prepared;
}

/**
 * Classifies mysql2 errors: losing the server (refused, reset, timed out, shut down, too many connections) is
 * `TL_MYSQL_UNAVAILABLE` (retriable: the processor pauses and retries); a statement MySQL refuses for its data is
 * `TL_MYSQL_WRITE` (not retriable: retrying the same rows gives the same answer).
 */
import { isTicklakeError, type TicklakeError, tlError } from '../../core/errors.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'CR_SERVER_GONE_ERROR',
  'CR_SERVER_LOST',
]);

/** Transient conflicts worth retrying at once on the same server. */
const CONFLICT_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

interface MysqlError {
  code?: string;
  fatal?: boolean;
  message?: string;
}

export function isConnectionError(e: unknown): boolean {
  if (isTicklakeError(e)) return e.code === 'TL_MYSQL_UNAVAILABLE';
  const err = e as MysqlError | undefined;
  if (!err || typeof err !== 'object') return false;
  if (err.code && CONNECTION_CODES.has(err.code)) return true;
  if (err.fatal === true) return true;
  return /Pool is closed|connection is in closed state|Can't add new command when connection is in closed state/i.test(
    err.message ?? '',
  );
}

export function isConflict(e: unknown): boolean {
  const code = (e as MysqlError | undefined)?.code;
  return code !== undefined && CONFLICT_CODES.has(code);
}

/** Refusals that mean the URL itself is wrong (user, password, database): configuration, not data. */
const CONFIG_CODES = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR']);

/**
 * Refusals of the statement's shape or of the table itself, not of a row's data: the table or a column is missing,
 * the user may not write it, the server is read-only, the statement does not parse. Splitting the rows cannot help.
 */
const STATEMENT_CODES = new Set([
  'ER_NO_SUCH_TABLE',
  'ER_BAD_FIELD_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_COLUMNACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION',
  'ER_PARSE_ERROR',
  'ER_WRONG_VALUE_COUNT_ON_ROW',
  'ER_NO_DB_ERROR',
  'ER_UNKNOWN_TABLE',
]);

/**
 * Whether MySQL refused the rows of a statement for the data of some row (a constraint, a trigger's SIGNAL, a value
 * out of range): a TL_MYSQL_WRITE that is not about the statement's shape or the table itself (STATEMENT_CODES).
 * Such rows can be found by splitting the statement and dead-lettered, the others written.
 */
export function isRowRefusal(e: unknown): boolean {
  if (!isTicklakeError(e, 'TL_MYSQL_WRITE')) return false;
  const code = (e.cause as MysqlError | undefined)?.code;
  return code === undefined || !STATEMENT_CODES.has(code);
}

/** The error to throw for a failure of `what` (a table name or an operation) against `target`. */
export function mysqlError(e: unknown, target: string, what: string): TicklakeError {
  if (isTicklakeError(e)) return e;
  const err = e as MysqlError;
  const reason = `${err?.code ? `${err.code}: ` : ''}${err?.message ?? String(e)}`;
  if (isConnectionError(e)) return tlError('TL_MYSQL_UNAVAILABLE', { target, reason }, e);
  if (err?.code && CONFIG_CODES.has(err.code)) {
    return tlError('TL_CONFIG_BAD_VALUE', { setting: '--mysql-url', value: target, reason }, e);
  }
  return tlError('TL_MYSQL_WRITE', { table: what, reason }, e);
}

/** `host:port/db` of a MySQL URL, without the user and password, for messages and logs. */
export function mysqlTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '3306'}${u.pathname}`;
  } catch {
    return '(unparsable MySQL URL)';
  }
}

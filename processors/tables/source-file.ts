/**
 * Source files (`sql/sources/<name>.sql`, docs/tables.md): a header and one DuckDB `create table`. The columns, their
 * types, NOT NULL and the primary key are DuckDB's own reading of the statement (it is run in a scratch in-memory
 * database and read back from duckdb_columns() and duckdb_constraints()), so any type DuckDB knows can be declared
 * and the engine, the views and the lake agree on it.
 */

import { parseDuration } from '../../core/config.js';
import type { DuckDBConnection } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';
import { sqlFileError } from '../../lake/sql-file-error.js';
import { allowKeys, headerError, readSqlFileParts, requireKey, type SqlFileParts } from '../../lake/sql-file-header.js';
import { sqlIdent, sqlString } from '../../lake/sql-quote.js';

export const SOURCE_FORMATS = ['plain', 'debezium', 'ticks'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export interface ColumnDecl {
  name: string;
  /** DuckDB type as DuckDB prints it (`DECIMAL(12,2)`, `VARCHAR[]`). */
  type: string;
  notNull: boolean;
}

/** What sources and jobs have in common: a named relation with columns and (unless a stream) a key. */
export interface TableDecl {
  name: string;
  /** The file, as shown in messages. */
  file: string;
  /** 1-based line where the statement begins. */
  line: number;
  title: string;
  description: string;
  columns: ColumnDecl[];
  /** Primary key columns; empty for an append-only stream. */
  key: string[];
  /** Written to MySQL (unless `-- mysql: off`). */
  mysql: boolean;
}

export interface SourceDecl extends TableDecl {
  kind: 'source';
  topic: string;
  format: SourceFormat;
  /** Column whose value is the time a row version holds from (`_history`); undefined: `_ts`. */
  validFrom?: string;
  /** Streams: the event-time column of windowed jobs; undefined: `_ts`. */
  eventTime?: string;
  latenessMs: number;
  /** Streams: how long rows stay in the engine's state (ms); undefined: forever. */
  retentionMs?: number;
  /** Partitions to create the topic with. */
  partitions?: number;
  /** A value member no column declares: `reject` the message (default) or `ignore` the member. */
  undeclared: 'reject' | 'ignore';
}

const SOURCE_KEYS = [
  'title',
  'description',
  'topic',
  'format',
  'valid_from',
  'event_time',
  'lateness',
  'retention',
  'partitions',
  'mysql',
  'undeclared',
];
/** Columns every change log adds (docs/tables.md); declared names may not start with `_`. */
export const CHANGE_COLUMNS: readonly ColumnDecl[] = [
  { name: '_op', type: 'VARCHAR', notNull: true },
  { name: '_lsn', type: 'BIGINT', notNull: true },
  { name: '_ts', type: 'TIMESTAMP', notNull: true },
];

const CREATE_RE = /^create\s+table\s+(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[A-Za-z_][\w]*)\s*\(/i;

/** The name a `create table` statement gives, unquoted; undefined when the body is not one. */
export function createdTableName(body: string): string | undefined {
  const m = CREATE_RE.exec(body);
  if (!m) return undefined;
  return m[1].startsWith('"') ? m[1].slice(1, -1).replaceAll('""', '"') : m[1].toLowerCase();
}

/** Reads `-- mysql: on|off`. */
export function readMysqlFlag(p: SqlFileParts): boolean {
  const v = p.fields.get('mysql')?.value.toLowerCase();
  if (v === undefined || v === 'on' || v === 'true') return true;
  if (v === 'off' || v === 'false') return false;
  throw headerError(p, 'mysql', `mysql must be on or off, not "${v}"`);
}

/**
 * Parses a source file. `conn` is a scratch DuckDB connection (an in-memory database the catalog owns): the
 * `create table` runs there, in schema `decl`, to learn the columns.
 */
export async function parseSourceFile(
  conn: DuckDBConnection,
  file: string,
  name: string,
  text: string,
): Promise<SourceDecl> {
  const p = readSqlFileParts(file, text, SOURCE_KEYS);
  allowKeys(p, SOURCE_KEYS);
  const title = requireKey(p, 'title').value;
  const topic = requireKey(p, 'topic').value;
  const format = requireKey(p, 'format').value.toLowerCase() as SourceFormat;
  if (!SOURCE_FORMATS.includes(format)) {
    throw headerError(p, 'format', `format must be one of ${SOURCE_FORMATS.join(', ')}, not "${format}"`);
  }
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic))
    throw headerError(p, 'topic', `"${topic}" is not a valid Kafka topic name`);
  const bad = (reason: string) => tlError('TL_SQL_BAD_HEADER', { file, line: p.bodyLine, reason });
  const created = createdTableName(p.body);
  if (created === undefined)
    throw bad('a source file holds one "create table <name> (...)" statement after its header');
  if (created !== name) {
    throw bad(`the table is named ${created}: name the file ${created}.sql, or the table ${name}`);
  }
  const { columns, key } = await describeCreateTable(conn, p, name);
  const latenessMs = duration(p, 'lateness') ?? 5000;
  const decl: SourceDecl = {
    kind: 'source',
    name,
    file,
    line: p.bodyLine,
    title,
    description: p.fields.get('description')?.value ?? '',
    topic,
    format,
    columns,
    key,
    mysql: readMysqlFlag(p),
    latenessMs,
    retentionMs: duration(p, 'retention'),
    undeclared: 'reject',
  };
  const und = p.fields.get('undeclared')?.value.toLowerCase();
  if (und !== undefined) {
    if (und !== 'reject' && und !== 'ignore')
      throw headerError(p, 'undeclared', `undeclared must be reject or ignore, not "${und}"`);
    decl.undeclared = und;
  }
  const parts = p.fields.get('partitions')?.value;
  if (parts !== undefined) {
    if (!/^\d+$/.test(parts) || Number(parts) < 1)
      throw headerError(p, 'partitions', 'partitions must be a whole number ≥ 1');
    decl.partitions = Number(parts);
  }
  for (const [hkey, types] of [
    ['valid_from', /^(TIMESTAMP|TIMESTAMP WITH TIME ZONE|DATE)$/],
    ['event_time', /^(TIMESTAMP|TIMESTAMP WITH TIME ZONE)$/],
  ] as const) {
    const col = p.fields.get(hkey)?.value;
    if (col === undefined) continue;
    const c = columns.find((x) => x.name === col);
    if (!c) throw headerError(p, hkey, `${hkey} names "${col}", which is not a column of ${name}`);
    if (!types.test(c.type)) throw headerError(p, hkey, `${hkey} column ${col} is ${c.type}, not a timestamp or date`);
    if (hkey === 'valid_from') decl.validFrom = col;
    else decl.eventTime = col;
  }
  if (key.length > 0 && (decl.retentionMs !== undefined || decl.eventTime !== undefined)) {
    const k = decl.retentionMs !== undefined ? 'retention' : 'event_time';
    throw headerError(p, k, `${k} is for streams (tables without a primary key)`);
  }
  return decl;
}

function duration(p: SqlFileParts, key: string): number | undefined {
  const v = p.fields.get(key)?.value;
  if (v === undefined) return undefined;
  try {
    return parseDuration(v);
  } catch (e) {
    throw headerError(p, key, `${key}: ${(e as Error).message}`);
  }
}

/** Runs the create table in schema `decl` of the scratch database and reads back columns and key. */
async function describeCreateTable(
  conn: DuckDBConnection,
  p: SqlFileParts,
  name: string,
): Promise<{ columns: ColumnDecl[]; key: string[] }> {
  await conn.run('CREATE SCHEMA IF NOT EXISTS decl');
  await conn.run(`DROP TABLE IF EXISTS decl.${sqlIdent(name)}`);
  const body = p.body.replace(CREATE_RE, (m) => m.replace(/table\s+(if\s+not\s+exists\s+)?/i, 'table decl.'));
  try {
    await conn.run(body);
  } catch (e) {
    throw sqlFileError({ file: p.file, line: p.bodyLine }, e);
  }
  const where = `schema_name = 'decl' AND table_name = ${sqlString(name)}`;
  const cols = await conn.runAndReadAll(
    `SELECT column_name, data_type, NOT is_nullable FROM duckdb_columns() WHERE ${where} ORDER BY column_index`,
  );
  const cons = await conn.runAndReadAll(
    `SELECT constraint_type, constraint_column_names FROM duckdb_constraints() WHERE ${where}`,
  );
  await conn.run(`DROP TABLE decl.${sqlIdent(name)}`);
  const columns = cols.getRowsJS().map(([n, t, nn]) => ({ name: String(n), type: String(t), notNull: nn === true }));
  let key: string[] = [];
  for (const [type, names] of cons.getRowsJS()) {
    if (type === 'PRIMARY KEY') key = (names as string[]).map(String);
    else if (type === 'UNIQUE' || type === 'CHECK' || type === 'FOREIGN KEY') {
      throw tlError('TL_SQL_BAD_HEADER', {
        file: p.file,
        line: p.bodyLine,
        reason: `${type} constraints are not supported in a source (only PRIMARY KEY and NOT NULL)`,
      });
    }
  }
  for (const c of columns) {
    if (c.name.startsWith('_')) {
      throw tlError('TL_SQL_BAD_HEADER', {
        file: p.file,
        line: lineOf(p, c.name),
        reason: `column ${c.name}: names starting with "_" are reserved for the change log (_op, _lsn, _ts)`,
      });
    }
  }
  return { columns, key };
}

/** The line of the body that first mentions `word` (for errors about a column). */
export function lineOf(p: SqlFileParts, word: string): number {
  const re = new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
  for (let i = p.bodyLine - 1; i < p.lines.length; i++) if (re.test(p.lines[i])) return i + 1;
  return p.bodyLine;
}

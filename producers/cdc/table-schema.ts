/**
 * The captured tables' layouts, as change events and source declarations need them: column kinds with their exact
 * parameters (DECIMAL precision and scale, fractional seconds, signedness, ENUM/SET values), nullability, JSON
 * columns (MariaDB's JSON is LONGTEXT with a json_valid check) and the primary key.
 *
 * Two origins: INFORMATION_SCHEMA (the snapshot, --print-sources, and what the binlog cannot say: nullability,
 * MariaDB JSON) and the binlog's table map at the time of each event (column names, types and key, so rows written
 * before an ALTER TABLE are described as they were written). `SchemaTracker` keeps the INFORMATION_SCHEMA side and
 * reloads a table when a statement in the binlog names it.
 */
import type mysql from 'mysql2/promise';
import type { BinlogColumn, BinlogTable } from './binlog-reader.js';

export type ColumnKind =
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint64'
  | 'decimal'
  | 'float'
  | 'double'
  | 'bool'
  | 'bits'
  | 'string'
  | 'bytes'
  | 'date'
  | 'datetime'
  | 'timestamp'
  | 'time'
  | 'year'
  | 'json'
  | 'enum'
  | 'set';

export interface CapturedColumn {
  name: string;
  kind: ColumnKind;
  optional: boolean;
  precision?: number;
  scale?: number;
  fsp?: number;
  bits?: number;
  /** ENUM or SET values. */
  values?: string[];
  /** The MySQL type as declared (`decimal(20,4) unsigned`), for documentation. */
  mysqlType: string;
}

export interface TableSchema {
  db: string;
  table: string;
  columns: CapturedColumn[];
  /** Primary key column names, in key order; empty: no primary key. */
  key: string[];
}

/** Kind of a column from its INFORMATION_SCHEMA data type (lower case) and full column type. */
export function kindOf(dataType: string, columnType: string, json: boolean): ColumnKind {
  const unsigned = /unsigned/.test(columnType);
  switch (dataType) {
    case 'tinyint':
      return 'int16';
    case 'smallint':
      return unsigned ? 'int32' : 'int16';
    case 'mediumint':
      return 'int32';
    case 'int':
    case 'integer':
      return unsigned ? 'int64' : 'int32';
    case 'bigint':
      return unsigned ? 'uint64' : 'int64';
    case 'decimal':
    case 'numeric':
      return 'decimal';
    case 'float':
      return 'float';
    case 'double':
    case 'real':
      return 'double';
    case 'bit':
      return /^bit\(1\)/.test(columnType) ? 'bool' : 'bits';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'timestamp':
      return 'timestamp';
    case 'time':
      return 'time';
    case 'year':
      return 'year';
    case 'json':
      return 'json';
    case 'enum':
      return 'enum';
    case 'set':
      return 'set';
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return 'bytes';
    default:
      return json ? 'json' : 'string';
  }
}

/** `enum('a','b''c')` → ['a', "b'c"]. */
export function parseEnumValues(columnType: string): string[] {
  const inner = /^(?:enum|set)\((.*)\)$/is.exec(columnType.trim())?.[1] ?? '';
  const out: string[] = [];
  const re = /'((?:[^']|'')*)'/g;
  for (let m = re.exec(inner); m; m = re.exec(inner)) out.push(m[1].replace(/''/g, "'"));
  return out;
}

interface InfoRow {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  IS_NULLABLE: string;
  NUMERIC_PRECISION: string | number | null;
  NUMERIC_SCALE: string | number | null;
  DATETIME_PRECISION: string | number | null;
  COLUMN_KEY: string;
}

/** Reads the layouts of `tables` of database `db` from INFORMATION_SCHEMA (tables missing there are left out). */
export async function loadTableSchemas(conn: mysql.Connection, db: string, tables: string[]): Promise<TableSchema[]> {
  if (tables.length === 0) return [];
  const [cols] = await conn.query(
    `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE,
            DATETIME_PRECISION, COLUMN_KEY
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [db, tables],
  );
  const [keys] = await conn.query(
    `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [db, tables],
  );
  const jsonCols = await mariadbJsonColumns(conn, db);
  const out = new Map<string, TableSchema>();
  for (const r of cols as InfoRow[]) {
    let t = out.get(r.TABLE_NAME);
    if (!t) {
      t = { db, table: r.TABLE_NAME, columns: [], key: [] };
      out.set(r.TABLE_NAME, t);
    }
    const dataType = r.DATA_TYPE.toLowerCase();
    const columnType = r.COLUMN_TYPE.toLowerCase();
    const kind = kindOf(dataType, columnType, jsonCols.has(`${r.TABLE_NAME}.${r.COLUMN_NAME}`));
    const col: CapturedColumn = { name: r.COLUMN_NAME, kind, optional: r.IS_NULLABLE === 'YES', mysqlType: columnType };
    if (kind === 'decimal') {
      col.precision = Number(r.NUMERIC_PRECISION);
      col.scale = Number(r.NUMERIC_SCALE);
    }
    if (kind === 'datetime' || kind === 'timestamp' || kind === 'time') col.fsp = Number(r.DATETIME_PRECISION ?? 0);
    if (kind === 'bits') col.bits = Number(/\((\d+)\)/.exec(columnType)?.[1] ?? 1);
    if (kind === 'enum' || kind === 'set') col.values = parseEnumValues(r.COLUMN_TYPE);
    t.columns.push(col);
  }
  for (const k of keys as { TABLE_NAME: string; COLUMN_NAME: string }[]) out.get(k.TABLE_NAME)?.key.push(k.COLUMN_NAME);
  return tables.map((t) => out.get(t)).filter((t): t is TableSchema => t !== undefined);
}

/** MariaDB's JSON columns: LONGTEXT with a `json_valid(col)` check constraint. */
async function mariadbJsonColumns(conn: mysql.Connection, db: string): Promise<Set<string>> {
  try {
    const [rows] = await conn.query(
      'SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?',
      [db],
    );
    const out = new Set<string>();
    for (const r of rows as { TABLE_NAME: string; CHECK_CLAUSE: string }[]) {
      const m = /^json_valid\(`([^`]+)`\)$/i.exec(r.CHECK_CLAUSE.trim());
      if (m) out.add(`${r.TABLE_NAME}.${m[1]}`);
    }
    return out;
  } catch {
    return new Set(); // MySQL < 8.0.16 has no CHECK_CONSTRAINTS; its JSON is a real type
  }
}

const TYPE = { TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, TIMESTAMP: 7, LONGLONG: 8, INT24: 9, DATE: 10 };

/** The layout of an event's table: names, kinds and key from the binlog, nullability and JSON from `known`. */
export function schemaFromBinlog(t: BinlogTable, known: TableSchema | undefined): TableSchema {
  const byName = new Map(known?.columns.map((c) => [c.name, c]));
  const columns = t.columns.map((c) => {
    const k = byName.get(c.name);
    const kind = binlogKind(c, k);
    const col: CapturedColumn = { name: c.name, kind, optional: k?.optional ?? true, mysqlType: c.columnType };
    if (kind === 'decimal') {
      col.precision = c.precision ?? k?.precision;
      col.scale = c.scale ?? k?.scale;
    }
    if (kind === 'datetime' || kind === 'timestamp' || kind === 'time') col.fsp = c.fsp ?? k?.fsp ?? 0;
    if (kind === 'bits') col.bits = c.bits;
    if (kind === 'enum') col.values = c.enumValues ?? k?.values;
    if (kind === 'set') col.values = c.setValues ?? k?.values;
    return col;
  });
  const key = t.primaryKey.length > 0 ? t.primaryKey.map((i) => t.columns[i].name) : (known?.key ?? []);
  return { db: t.db, table: t.table, columns, key };
}

function binlogKind(c: BinlogColumn, known: CapturedColumn | undefined): ColumnKind {
  const dataType = /^[a-z]+/.exec(c.columnType)?.[0] ?? '';
  // Prefer the INFORMATION_SCHEMA kind while it agrees with the binlog's type family (it knows MariaDB JSON).
  const fromBinlog = dataType
    ? kindOf(dataType, `${c.columnType}${c.unsigned ? ' unsigned' : ''}`, false)
    : kindFromCode(c.typeCode, c.unsigned);
  if (known && (known.kind === fromBinlog || (known.kind === 'json' && fromBinlog === 'string'))) return known.kind;
  return fromBinlog;
}

function kindFromCode(code: number, unsigned: boolean): ColumnKind {
  switch (code) {
    case TYPE.TINY:
      return 'int16';
    case TYPE.SHORT:
      return unsigned ? 'int32' : 'int16';
    case TYPE.INT24:
      return 'int32';
    case TYPE.LONG:
      return unsigned ? 'int64' : 'int32';
    case TYPE.LONGLONG:
      return unsigned ? 'uint64' : 'int64';
    case TYPE.FLOAT:
      return 'float';
    case TYPE.DOUBLE:
      return 'double';
    case TYPE.DATE:
      return 'date';
    case TYPE.TIMESTAMP:
      return 'timestamp';
    default:
      return 'string';
  }
}

/** Keeps the INFORMATION_SCHEMA layouts of the captured tables, reloading a table when DDL names it. */
export class SchemaTracker {
  private readonly known = new Map<string, TableSchema>();

  constructor(
    private readonly conn: mysql.Connection,
    private readonly tables: { db: string; table: string }[],
  ) {}

  async loadAll(): Promise<TableSchema[]> {
    const byDb = new Map<string, string[]>();
    for (const t of this.tables) byDb.set(t.db, [...(byDb.get(t.db) ?? []), t.table]);
    for (const [db, names] of byDb) {
      for (const s of await loadTableSchemas(this.conn, db, names)) this.known.set(`${db}.${s.table}`, s);
    }
    return this.tables.map((t) => this.known.get(`${t.db}.${t.table}`)).filter((s): s is TableSchema => !!s);
  }

  get(db: string, table: string): TableSchema | undefined {
    return this.known.get(`${db}.${table}`);
  }

  /** A DDL statement from the binlog: reload every captured table of `db` whose name it mentions. */
  async onStatement(db: string, sql: string): Promise<boolean> {
    const lower = sql.toLowerCase();
    const hit = this.tables.filter(
      (t) => (t.db === db || lower.includes(t.db.toLowerCase())) && lower.includes(t.table.toLowerCase()),
    );
    if (hit.length === 0) return false;
    await this.loadAll();
    return true;
  }
}

/**
 * Keyed tables, streams and job outputs in MySQL (docs/tables.md, "MySQL"): one MySQL table per declared table, its
 * schema from the declaration (the type mapping below), migrated when the declaration changes, and each delivered
 * batch applied as the net change per key:
 *
 * - an upsert writes a row only if its `_lsn` is not older than the stored one (`IF(VALUES(_lsn) >= _lsn, …)`, with
 *   `_lsn` assigned last, since MySQL evaluates the assignments in order), so a re-delivered or out-of-order batch
 *   never regresses a row;
 * - a delete removes the key unless the stored row is newer.
 *
 * What ticklake created is recorded in `_ticklake_tables` (name → the columns and key as created), so a changed
 * declaration becomes ADD / DROP / MODIFY COLUMN without reading back MySQL's or MariaDB's spelling of types.
 * Values are read from DuckDB as text where JavaScript numbers would round them (DECIMAL, BIGINT, HUGEINT) and sent
 * as text; MySQL converts them exactly.
 */
import type { PoolConnection } from 'mysql2/promise';
import { tlError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { sqlIdent } from '../../lake/sql-quote.js';
import type { LazyMysql } from './lazy-mysql.js';
import { quoteIdent } from './mysql-tables.js';

export interface KeyedColumn {
  name: string;
  type: string;
}

export interface KeyedTable {
  name: string;
  columns: readonly KeyedColumn[];
  /** Empty for a stream: its MySQL key is `_lsn`. */
  key: readonly string[];
}

const REGISTRY = '_ticklake_tables';

/** The MySQL column type of a DuckDB type. */
export function mysqlType(duckType: string, isKey: boolean): string {
  const t = duckType.toUpperCase();
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return `DECIMAL(${dec[1]},${dec[2]})`;
  if (/\[\d*\]$/.test(t) || /^(STRUCT|MAP|UNION|JSON)\b/.test(t)) return 'JSON';
  switch (t) {
    case 'VARCHAR':
      return isKey ? 'VARCHAR(255)' : 'TEXT';
    case 'BOOLEAN':
      return 'BOOLEAN';
    case 'TINYINT':
      return 'TINYINT';
    case 'SMALLINT':
      return 'SMALLINT';
    case 'INTEGER':
      return 'INT';
    case 'BIGINT':
      return 'BIGINT';
    case 'UTINYINT':
      return 'TINYINT UNSIGNED';
    case 'USMALLINT':
      return 'SMALLINT UNSIGNED';
    case 'UINTEGER':
      return 'INT UNSIGNED';
    case 'UBIGINT':
      return 'BIGINT UNSIGNED';
    case 'HUGEINT':
    case 'UHUGEINT':
      return 'DECIMAL(39,0)';
    case 'FLOAT':
      return 'FLOAT';
    case 'DOUBLE':
      return 'DOUBLE';
    case 'DATE':
      return 'DATE';
    case 'TIME':
      return 'TIME(6)';
    case 'TIMESTAMP':
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP_S':
    case 'TIMESTAMP_NS':
      return 'DATETIME(6)';
    case 'BLOB':
      return 'LONGBLOB';
    case 'UUID':
      return 'CHAR(36)';
    default:
      return 'TEXT';
  }
}

/** The DuckDB expression reading a column for MySQL: exact text where a JavaScript number would round. */
export function mysqlValueSql(c: KeyedColumn): string {
  const id = sqlIdent(c.name);
  const t = c.type.toUpperCase();
  if (/^DECIMAL|^(HUGEINT|UHUGEINT|BIGINT|UBIGINT|UUID|TIME|DATE)$/.test(t)) return `CAST(${id} AS VARCHAR) AS ${id}`;
  if (/^TIMESTAMP/.test(t)) return `strftime(CAST(${id} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f') AS ${id}`;
  if (mysqlType(c.type, false) === 'JSON') return `CAST(to_json(${id}) AS VARCHAR) AS ${id}`;
  if (t === 'BOOLEAN') return `CAST(${id} AS TINYINT) AS ${id}`;
  if (t === 'DOUBLE' || t === 'FLOAT') return `CASE WHEN isfinite(${id}) THEN ${id} END AS ${id}`;
  return id;
}

interface Created {
  columns: [string, string][];
  key: string[];
}

function definition(t: KeyedTable): Created {
  return {
    columns: t.columns.map((c) => [c.name, mysqlType(c.type, t.key.includes(c.name))]),
    key: [...t.key],
  };
}

export class KeyedMysql {
  private readonly ensured = new Set<string>();

  constructor(
    private readonly mysql: LazyMysql,
    private readonly log: Logger,
  ) {}

  close(): Promise<void> {
    return this.mysql.close();
  }

  /** Creates or migrates the MySQL table of `t` (once per process and declaration). */
  async ensure(t: KeyedTable): Promise<void> {
    const def = definition(t);
    const sig = `${t.name}:${JSON.stringify(def)}`;
    if (this.ensured.has(sig)) return;
    await this.mysql.call((s) =>
      s.transaction(t.name, async (c) => {
        await s.exec(
          c,
          `CREATE TABLE IF NOT EXISTS ${quoteIdent(REGISTRY)} (name VARCHAR(255) PRIMARY KEY, definition TEXT)`,
          [],
        );
        const rows = (await s.exec(c, `SELECT definition FROM ${quoteIdent(REGISTRY)} WHERE name = ?`, [t.name])) as {
          definition: string;
        }[];
        const old = rows[0] ? (JSON.parse(rows[0].definition) as Created) : undefined;
        if (!old) await this.create(s.exec.bind(s), c, t, def);
        else await this.migrate(s.exec.bind(s), c, t, old, def);
        await s.exec(
          c,
          `INSERT INTO ${quoteIdent(REGISTRY)} (name, definition) VALUES (?, ?) ON DUPLICATE KEY UPDATE definition = VALUES(definition)`,
          [t.name, JSON.stringify(def)],
        );
      }),
    );
    this.ensured.add(sig);
  }

  private async create(exec: Exec, c: PoolConnection, t: KeyedTable, def: Created): Promise<void> {
    const cols = def.columns.map(([n, type]) => `${quoteIdent(n)} ${type}${t.key.includes(n) ? ' NOT NULL' : ''}`);
    const key = t.key.length > 0 ? t.key.map(quoteIdent).join(', ') : '`_lsn`';
    await exec(
      c,
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(t.name)} (${cols.join(', ')}, \`_lsn\` BIGINT NOT NULL, \`_ts\` DATETIME(6) NOT NULL, PRIMARY KEY (${key})) CHARACTER SET utf8mb4`,
      [],
    );
    this.log.info({ table: t.name }, 'created the MySQL table');
  }

  private async migrate(exec: Exec, c: PoolConnection, t: KeyedTable, old: Created, def: Created): Promise<void> {
    if (old.key.join(',') !== def.key.join(',')) {
      throw tlError('TL_MYSQL_MIGRATION', {
        file: t.name,
        reason: `the key changed from (${old.key.join(', ')}) to (${def.key.join(', ')}): drop the MySQL table ${t.name} to rebuild it`,
      });
    }
    const was = new Map(old.columns);
    const alters: string[] = [];
    for (const [n] of old.columns) if (!def.columns.some(([x]) => x === n)) alters.push(`DROP COLUMN ${quoteIdent(n)}`);
    for (const [n, type] of def.columns) {
      if (!was.has(n)) alters.push(`ADD COLUMN ${quoteIdent(n)} ${type}`);
      else if (was.get(n) !== type) alters.push(`MODIFY COLUMN ${quoteIdent(n)} ${type}`);
    }
    if (alters.length === 0) return;
    await exec(c, `ALTER TABLE ${quoteIdent(t.name)} ${alters.join(', ')}`, []);
    this.log.info({ table: t.name, changes: alters }, 'migrated the MySQL table to its declaration');
  }

  /**
   * Applies a batch's net changes of one table: `rows` hold the columns (read with `mysqlValueSql`), `_op`, `_lsn`
   * and `_ts` (text), at most one per key. One transaction.
   */
  async apply(t: KeyedTable, rows: readonly Record<string, unknown>[], maxRows = 500): Promise<void> {
    if (rows.length === 0) return;
    await this.ensure(t);
    const names = [...t.columns.map((c) => c.name), '_lsn', '_ts'];
    const upserts = rows.filter((r) => r._op !== 'd');
    const deletes = t.key.length > 0 ? rows.filter((r) => r._op === 'd') : [];
    const guarded = names
      .filter((n) => n !== '_lsn' && !t.key.includes(n))
      .map((n) => `${quoteIdent(n)} = IF(VALUES(\`_lsn\`) >= \`_lsn\`, VALUES(${quoteIdent(n)}), ${quoteIdent(n)})`);
    guarded.push('`_lsn` = GREATEST(`_lsn`, VALUES(`_lsn`))'); // last: the IFs above compare with the old _lsn
    await this.mysql.call((s) =>
      s.transaction(t.name, async (c) => {
        for (let i = 0; i < upserts.length; i += maxRows) {
          const chunk = upserts.slice(i, i + maxRows);
          const tuple = `(${names.map(() => '?').join(', ')})`;
          await s.exec(
            c,
            `INSERT INTO ${quoteIdent(t.name)} (${names.map(quoteIdent).join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')} ON DUPLICATE KEY UPDATE ${guarded.join(', ')}`,
            chunk.flatMap((r) => names.map((n) => toParam(r[n]))),
          );
        }
        for (let i = 0; i < deletes.length; i += maxRows) {
          const chunk = deletes.slice(i, i + maxRows);
          const one = `(${[...t.key.map((k) => `${quoteIdent(k)} = ?`), '`_lsn` <= ?'].join(' AND ')})`;
          await s.exec(
            c,
            `DELETE FROM ${quoteIdent(t.name)} WHERE ${chunk.map(() => one).join(' OR ')}`,
            chunk.flatMap((r) => [...t.key.map((k) => toParam(r[k])), toParam(r._lsn)]),
          );
        }
      }),
    );
  }
}

type Exec = (c: PoolConnection, sql: string, params: unknown[]) => Promise<unknown>;

function toParam(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  return v === undefined ? null : v;
}

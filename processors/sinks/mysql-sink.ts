/**
 * The MySQL sink of the processor: a mysql2 pool, schema migrations at connect (processors/sinks/mysql-migrate.ts),
 * the portfolio seed files loaded into investors/portfolios/holdings, and idempotent batched upserts of bars,
 * anomalies and valuations (processors/sinks/mysql-tables.ts).
 *
 * - Every connection runs with `time_zone = '+00:00'`; DATETIME(3) values are written as UTC literals.
 * - One upsert call is one transaction, split into multi-row `INSERT ... ON DUPLICATE KEY UPDATE` statements of at
 *   most `maxRowsPerStatement` rows and about `maxStatementBytes` bytes (well under max_allowed_packet, which is
 *   16 MiB by default on MariaDB and 64 MiB on MySQL 8). The same rows again leave the tables unchanged.
 * - Losing the server throws `TL_MYSQL_UNAVAILABLE` (retriable) within about `connectTimeoutMs`; the pool drops
 *   dead connections and opens new ones, so the next call after the server returns succeeds.
 * - A server that accepts connections but does not answer (frozen, overloaded, a network black hole) costs at most
 *   `queryTimeoutMs` (`--mysql-timeout`) per call: each transaction attempt, from taking a pooled connection to its
 *   COMMIT, has that deadline; past it the connection's socket is destroyed and the call fails with
 *   `TL_MYSQL_UNAVAILABLE` saying so. `close()` does not wait for such a server either.
 * - Rows MySQL refuses for their data (a constraint, a trigger, a value it cannot store) are not written and do not
 *   stop the others: an upsert that fails so is split in halves until the refused rows are alone, and those are
 *   returned with MySQL's reason (delivery dead-letters them). A refusal of the table itself (missing, not
 *   writable, another shape) is not a row's fault: it still fails the call (mysql-errors.ts `isRowRefusal`).
 */
import mysql, { type Pool, type PoolConnection } from 'mysql2/promise';
import { loadPortfolioSeeds, type PortfolioSeeds } from '../../contracts/portfolio-seeds.js';
import { settingDefault } from '../../core/config.js';
import { isTicklakeError, tlError } from '../../core/errors.js';
import { type Logger, logger } from '../../core/log.js';
import { isConflict, isConnectionError, isRowRefusal, mysqlError, mysqlTarget } from './mysql-errors.js';
import { migrate, readMigrations } from './mysql-migrate.js';
import {
  ANOMALIES,
  BARS,
  estimateBytes,
  type MysqlTable,
  quoteIdent,
  toSqlValues,
  upsertSql,
  VALUATIONS,
} from './mysql-tables.js';

export interface MysqlSinkOptions {
  /** Directory of investors.csv, portfolios.csv, holdings.csv (default sql/seeds). */
  seedsDir?: string;
  /** Already loaded seeds (instead of reading seedsDir); `false` loads none. */
  seeds?: PortfolioSeeds | false;
  /** Directory of the NNN_*.sql migrations (default sql/mysql). */
  migrationsDir?: string;
  logger?: Logger;
  /** Connect timeout of each new connection (default 3000 ms). */
  connectTimeoutMs?: number;
  /**
   * Longest one call (a transaction attempt, or the migrations at connect) may take before the connection is
   * considered lost and destroyed (default 10 s; `--mysql-timeout`).
   */
  queryTimeoutMs?: number;
  poolSize?: number;
  maxRowsPerStatement?: number;
  maxStatementBytes?: number;
}

const SESSION_SETUP = "SET time_zone = '+00:00'";
export const DEFAULT_MYSQL_TIMEOUT_MS = settingDefault('mysqlTimeout');

/** A row MySQL refused for its data, with MySQL's reason. */
export interface RefusedRow {
  /** The MySQL table. */
  table: string;
  row: Record<string, unknown>;
  reason: string;
}

/** A raw socket of a connection: destroyed when the server does not answer in time. */
interface Socketed {
  stream?: { destroy(): void };
}

export class MysqlSink {
  private closed = false;
  /** Every connection the pool opened, to destroy when the server stopped answering (see `close`). */
  private readonly sockets = new Set<Socketed>();

  private constructor(
    private readonly pool: Pool,
    private readonly target: string,
    private readonly log: Logger,
    private readonly queryTimeoutMs: number,
    private readonly maxRows: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * Opens the pool, applies pending migrations, loads the portfolio seeds. Throws TL_MYSQL_UNAVAILABLE when the
   * server cannot be reached, TL_MYSQL_MIGRATION for a bad or changed migration file.
   */
  static async connect(url: string, opts: MysqlSinkOptions = {}): Promise<MysqlSink> {
    const target = mysqlTarget(url);
    const log = opts.logger ?? logger('mysql');
    const timeoutMs = opts.queryTimeoutMs ?? DEFAULT_MYSQL_TIMEOUT_MS;
    const connectTimeout = Math.min(opts.connectTimeoutMs ?? 3000, timeoutMs);
    let base: mysql.PoolOptions;
    try {
      base = { uri: url, connectTimeout, timezone: 'Z', dateStrings: true, supportBigNumbers: true };
      new URL(url);
    } catch (e) {
      throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--mysql-url', value: target, reason: (e as Error).message });
    }
    const migrations = await readMigrations(opts.migrationsDir);
    const seeds = opts.seeds === false ? undefined : (opts.seeds ?? (await loadPortfolioSeeds(opts.seedsDir)));

    // Migrations on a dedicated connection: files hold several statements.
    let conn: mysql.Connection | undefined;
    try {
      await withDeadline(
        (async () => {
          conn = await mysql.createConnection({ ...base, multipleStatements: true });
          await conn.query(SESSION_SETUP);
          await migrate(conn, migrations, log);
        })(),
        timeoutMs,
        () => destroySocket(coreOf(conn)),
      );
    } catch (e) {
      if (isDeadline(e)) {
        throw tlError('TL_MYSQL_UNAVAILABLE', { target, reason: `no answer within ${timeoutMs} ms (--mysql-timeout)` });
      }
      throw mysqlError(e, target, 'schema_migrations');
    } finally {
      const c = conn as mysql.Connection | undefined;
      if (c) await withDeadline(c.end(), 1000, () => destroySocket(coreOf(c))).catch(() => {});
    }

    const pool = mysql.createPool({
      ...base,
      connectionLimit: opts.poolSize ?? 4,
      waitForConnections: true,
      queueLimit: 0,
      enableKeepAlive: true,
      idleTimeout: 60_000,
    });
    const sink = new MysqlSink(
      pool,
      target,
      log,
      timeoutMs,
      opts.maxRowsPerStatement ?? 1000,
      opts.maxStatementBytes ?? 1024 * 1024,
    );
    // Runs before the pool hands the new connection out, so it precedes every statement on it.
    pool.pool.on('connection', (c) => {
      const socketed = c as unknown as Socketed;
      sink.sockets.add(socketed);
      c.once('end', () => sink.sockets.delete(socketed));
      c.query(SESSION_SETUP, (err: unknown) => {
        if (err) log.warn({ err }, 'could not set the session time zone');
      });
    });
    try {
      if (seeds) await sink.loadSeeds(seeds);
    } catch (e) {
      await sink.close();
      throw e;
    }
    log.info({ target, migrations: migrations.length }, 'MySQL sink ready');
    return sink;
  }

  /** Upserts rows; resolves with the rows MySQL refused for their data (the others are written). */
  upsertBars(rows: Record<string, unknown>[]): Promise<RefusedRow[]> {
    return this.upsert(BARS, rows);
  }

  upsertAnomalies(rows: Record<string, unknown>[]): Promise<RefusedRow[]> {
    return this.upsert(ANOMALIES, rows);
  }

  upsertValuations(rows: Record<string, unknown>[]): Promise<RefusedRow[]> {
    return this.upsert(VALUATIONS, rows);
  }

  /** True when a statement round-trips now. */
  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.pool.query({ sql: 'SELECT 1', timeout: 5000 });
      return true;
    } catch {
      return false;
    }
  }

  /** Ends the pool; a server that does not answer within a second gets its sockets destroyed instead. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await withDeadline(this.pool.end(), 1000, () => {
      for (const c of this.sockets) destroySocket(c);
    }).catch(() => {});
    this.sockets.clear();
  }

  /** Investors and portfolios are upserted; each seeded portfolio's holdings become exactly those of the files. */
  async loadSeeds(seeds: PortfolioSeeds): Promise<void> {
    await this.transaction('investors', async (c) => {
      for (const inv of seeds.investors) {
        await this.exec(
          c,
          'INSERT INTO `investors` (`investor_id`, `name`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)',
          [inv.investorId, inv.name],
        );
      }
      for (const p of seeds.portfolios) {
        await this.exec(
          c,
          'INSERT INTO `portfolios` (`portfolio_id`, `investor_id`, `name`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `investor_id` = VALUES(`investor_id`), `name` = VALUES(`name`)',
          [p.portfolioId, p.investorId, p.name],
        );
      }
      const ids = seeds.portfolios.map((p) => p.portfolioId);
      if (ids.length > 0) await this.exec(c, 'DELETE FROM `holdings` WHERE `portfolio_id` IN (?)', [ids]);
      for (let i = 0; i < seeds.holdings.length; i += this.maxRows) {
        const chunk = seeds.holdings.slice(i, i + this.maxRows);
        await this.exec(
          c,
          `INSERT INTO \`holdings\` (\`portfolio_id\`, \`symbol\`, \`quantity\`) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`,
          chunk.flatMap((h) => [h.portfolioId, h.symbol, h.quantity]),
        );
      }
    });
    this.log.debug(
      { investors: seeds.investors.length, portfolios: seeds.portfolios.length, holdings: seeds.holdings.length },
      'loaded portfolio seeds',
    );
  }

  private async upsert(table: MysqlTable, rows: Record<string, unknown>[]): Promise<RefusedRow[]> {
    const refused: RefusedRow[] = [];
    // a row that cannot become SQL values is refused before anything is sent
    const good: Record<string, unknown>[] = [];
    for (const [i, r] of rows.entries()) {
      try {
        toSqlValues(table, r, i);
        good.push(r);
      } catch (e) {
        refused.push({ table: table.name, row: r, reason: (e as Error).message });
      }
    }
    await this.upsertOrSplit(table, good, refused);
    if (refused.length > 0) {
      this.log.warn({ table: table.name, refused: refused.length, first: refused[0].reason }, 'MySQL refused rows');
    }
    return refused;
  }

  /** One transaction for `rows`; when MySQL refuses a row of it, the halves again, down to the refused rows. */
  private async upsertOrSplit(
    table: MysqlTable,
    rows: Record<string, unknown>[],
    refused: RefusedRow[],
  ): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.upsertAll(table, rows);
    } catch (e) {
      if (!isRowRefusal(e)) throw e;
      if (rows.length === 1) {
        refused.push({ table: table.name, row: rows[0], reason: (e as Error).message });
        return;
      }
      const mid = rows.length >> 1;
      await this.upsertOrSplit(table, rows.slice(0, mid), refused);
      await this.upsertOrSplit(table, rows.slice(mid), refused);
    }
  }

  private async upsertAll(table: MysqlTable, rows: Record<string, unknown>[]): Promise<void> {
    const values = rows.map((r, i) => toSqlValues(table, r, i));
    await this.transaction(table.name, async (c) => {
      let start = 0;
      while (start < values.length) {
        let end = start;
        let bytes = 0;
        while (end < values.length && end - start < this.maxRows) {
          bytes += estimateBytes(values[end]);
          if (end > start && bytes > this.maxBytes) break;
          end++;
        }
        const chunk = values.slice(start, end);
        await this.exec(c, upsertSql(table, chunk.length), chunk.flat());
        start = end;
      }
    });
  }

  /** One statement on a connection of `transaction`, with the sink's statement timeout. */
  async exec(c: PoolConnection, sql: string, params: unknown[]): Promise<unknown> {
    const [rows] = await c.query({ sql, values: params, timeout: this.queryTimeoutMs });
    return rows;
  }

  /**
   * Runs `fn` in one transaction on a pooled connection. A connection that was dead in the pool (the server
   * restarted since it was opened) or a deadlock gets one more attempt on a fresh connection; after that a lost
   * server is TL_MYSQL_UNAVAILABLE and a refused statement TL_MYSQL_WRITE. Each attempt has `queryTimeoutMs` in all:
   * past it the connection is destroyed and the attempt fails as a lost connection.
   */
  async transaction(what: string, fn: (c: PoolConnection) => Promise<void>): Promise<void> {
    if (this.closed) throw tlError('TL_MYSQL_UNAVAILABLE', { target: this.target, reason: 'the sink is closed' });
    for (let attempt = 1; ; attempt++) {
      let c: PoolConnection | undefined;
      let began = false;
      // set when the deadline passed: a connection the pool hands out later is not used for this attempt
      let abandoned = false;
      try {
        await withDeadline(
          (async () => {
            const got = await this.pool.getConnection();
            if (abandoned) {
              got.destroy();
              throw new Deadline('abandoned');
            }
            c = got;
            await this.exec(got, 'START TRANSACTION', []);
            began = true;
            await fn(got);
            await this.exec(got, 'COMMIT', []);
          })(),
          this.queryTimeoutMs,
          () => {
            abandoned = true;
            destroySocket(coreOf(c));
          },
        );
        (c as PoolConnection | undefined)?.release();
        return;
      } catch (caught) {
        let e = caught;
        const lost = isConnectionError(e) || isDeadline(e);
        if (isDeadline(e)) {
          this.log.warn({ target: this.target, what, timeoutMs: this.queryTimeoutMs }, 'MySQL did not answer in time');
          e = tlError('TL_MYSQL_UNAVAILABLE', {
            target: this.target,
            reason: `no answer within ${this.queryTimeoutMs} ms (--mysql-timeout)`,
          });
        }
        if (c) {
          if (lost) c.destroy();
          else {
            if (began) await this.exec(c, 'ROLLBACK', []).catch(() => {});
            c.release();
          }
        }
        // A connection error before BEGIN completed was a stale pooled connection or the server being down:
        // one retry tells the two apart quickly (a refused connect fails at once).
        if (attempt < 3 && (isConflict(e) || (lost && attempt === 1 && !isTicklakeError(e)))) {
          this.log.debug({ err: e, what, attempt }, 'retrying MySQL transaction');
          continue;
        }
        const err = mysqlError(e, this.target, what);
        if (err.code === 'TL_MYSQL_UNAVAILABLE') this.log.warn({ target: this.target, what }, err.message);
        throw err;
      }
    }
  }

  /** Row count of a MySQL table, for progress and tests. */
  async count(table: string): Promise<number> {
    try {
      const [rows] = (await this.pool.query(`SELECT COUNT(*) AS n FROM ${quoteIdent(table)}`)) as unknown as [
        { n: number }[],
      ];
      return Number(rows[0].n);
    } catch (e) {
      throw mysqlError(e, this.target, table);
    }
  }
}

/** Thrown by `withDeadline` when the time ran out. */
class Deadline extends Error {}

function isDeadline(e: unknown): e is Deadline {
  return e instanceof Deadline;
}

/**
 * `work`, or a Deadline error after `ms` (then `onTimeout` runs: it destroys the socket the work waits on, so the
 * work ends too). The work's own later failure is observed, never unhandled.
 */
function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Deadline(`no answer within ${ms} ms`));
    }, ms);
  });
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The core (callback) connection under a mysql2 promise connection: the one with the socket. */
function coreOf(c: unknown): Socketed | undefined {
  return (c as { connection?: Socketed } | undefined)?.connection;
}

function destroySocket(c: Socketed | undefined): void {
  try {
    c?.stream?.destroy();
  } catch {
    /* already gone */
  }
}

/**
 * The scheduler's MySQL copy (when `--mysql-url` is set): `pipeline_runs` (one row per attempt, upserted by run id)
 * and one table per materialized name, created from the lake table's columns, with the rows of each interval
 * replaced in one transaction (delete that interval's rows, insert the new ones), so writing an interval again never
 * duplicates it. The lake is the source of truth: an attempt's claim says `mysql: pending` until both writes
 * succeeded, and every tick retries the pending ones, so MySQL being down delays it and loses nothing.
 */
import mysql, { type Pool } from 'mysql2/promise';
import { type Logger, logger } from '../core/log.js';
import { lakeTable } from '../lake/tables.js';
import { mysqlError, mysqlTarget } from '../processors/sinks/mysql-errors.js';
import type { Claim } from './claims.js';
import type { Job } from './plan.js';
import { RUN_COLUMNS, recordOf } from './run-records.js';
import type { Scheduler } from './scheduler.js';

const q = (name: string) => `\`${name.replaceAll('`', '``')}\``;

/** DuckDB column type → MySQL column type. */
export function mysqlType(duck: string): string {
  const t = duck.toUpperCase();
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (/^(TINYINT|SMALLINT|INTEGER|UTINYINT|USMALLINT)$/.test(t)) return 'INT';
  if (/^(BIGINT|UINTEGER|HUGEINT|UBIGINT)$/.test(t)) return 'BIGINT';
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t) || t.startsWith('DECIMAL')) return 'DOUBLE';
  if (t === 'DATE') return 'DATE';
  if (t.startsWith('TIMESTAMP')) return 'DATETIME(6)';
  return 'TEXT';
}

function mysqlValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return v;
}

export class MysqlStore {
  private readonly pool: Pool;
  private readonly created = new Set<string>();
  readonly target: string;
  /** Failed attempts to write (server down, refused), for /metrics. */
  failures = 0;
  up: boolean | undefined;

  constructor(
    url: string,
    private readonly log: Logger = logger('scheduler'),
  ) {
    this.target = mysqlTarget(url);
    this.pool = mysql.createPool({ uri: url, connectionLimit: 2, connectTimeout: 3000, timezone: 'Z' });
    this.pool.on('connection', (c) => c.query("SET time_zone = '+00:00'"));
  }

  private async ensureTable(name: string): Promise<void> {
    if (this.created.has(name)) return;
    const t = lakeTable(name);
    if (!t) throw new Error(`no lake table ${name}`);
    const cols = name === 'pipeline_runs' ? RUN_COLUMNS : t.columns;
    const defs = cols.map((c) =>
      c.name === 'run_id' && name === 'pipeline_runs'
        ? `${q(c.name)} VARCHAR(255) NOT NULL PRIMARY KEY`
        : `${q(c.name)} ${c.name === 'run_id' ? 'VARCHAR(255)' : mysqlType(c.type)}`,
    );
    const index = name === 'pipeline_runs' ? '' : `, INDEX ${q(`${name}_interval`)} (interval_start, interval_end)`;
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${q(name)} (${defs.join(', ')}${index})`);
    // a model that gained columns: add them (old rows read NULL, as in the lake's union_by_name view)
    const [have] = (await this.pool.query(
      'SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?',
      [name],
    )) as unknown as [{ c: string }[]];
    const existing = new Set(have.map((r) => r.c.toLowerCase()));
    for (const c of cols) {
      if (!existing.has(c.name.toLowerCase())) {
        await this.pool.query(`ALTER TABLE ${q(name)} ADD COLUMN ${q(c.name)} ${mysqlType(c.type)}`);
      }
    }
    this.created.add(name);
  }

  /** Writes an attempt's result rows (materialized jobs) and its run record. */
  async sync(s: Scheduler, job: Job, c: Claim): Promise<void> {
    if (c.mysql !== 'pending') return;
    try {
      if (job.materialize && c.outcome?.status === 'success') {
        const rows = await s.resultRows(job, c);
        await this.replaceInterval(job.materialize, c, rows);
      }
      await this.ensureTable('pipeline_runs');
      const r = recordOf(c, job.kind, job.severity);
      const names = RUN_COLUMNS.map((x) => x.name);
      const values = names.map((n) => {
        const v = (r as unknown as Record<string, unknown>)[n];
        return /_at$|^interval_/.test(n) ? mysqlValue(new Date(v as number)) : mysqlValue(v);
      });
      await this.pool.query(
        `INSERT INTO pipeline_runs (${names.map(q).join(', ')}) VALUES (?) ON DUPLICATE KEY UPDATE ${names
          .filter((n) => n !== 'run_id')
          .map((n) => `${q(n)} = VALUES(${q(n)})`)
          .join(', ')}`,
        [values],
      );
      c.mysql = 'done';
      await s.store.update(c);
      this.up = true;
    } catch (e) {
      this.failures++;
      this.up = false;
      const err = mysqlError(e, this.target, job.materialize ?? 'pipeline_runs');
      this.log.warn({ err: err.message, run: c.runId }, 'MySQL write failed; retried at the next tick');
      throw err;
    }
  }

  private async replaceInterval(table: string, c: Claim, rows: Record<string, unknown>[]): Promise<void> {
    await this.ensureTable(table);
    const cols = lakeTable(table)?.columns.map((x) => x.name) ?? [];
    const conn = await this.pool.getConnection();
    try {
      await conn.beginTransaction();
      await conn.query(`DELETE FROM ${q(table)} WHERE interval_start = ? AND interval_end = ?`, [
        mysqlValue(new Date(c.interval.start)),
        mysqlValue(new Date(c.interval.end)),
      ]);
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500).map((r) => cols.map((n) => mysqlValue(r[n])));
        await conn.query(`INSERT INTO ${q(table)} (${cols.map(q).join(', ')}) VALUES ?`, [chunk]);
      }
      await conn.commit();
    } catch (e) {
      await conn.rollback().catch(() => {});
      throw e;
    } finally {
      conn.release();
    }
  }

  /** Retries the attempts still `mysql: pending` among each job's recent intervals. */
  async retryPending(s: Scheduler): Promise<void> {
    for (const job of s.plan.jobs.values()) {
      for (const end of (await s.store.intervalEnds(job.name)).slice(-30)) {
        for (const { claim } of await s.store.attempts(job.name, end)) {
          if (claim.state === 'done' && claim.mysql === 'pending') await this.sync(s, job, claim);
        }
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

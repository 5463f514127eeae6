/**
 * `table` jobs (docs/tables.md): a materialized view kept equal to its select over the inputs' current state.
 *
 * When an input changed in the batch the job is recomputed — only for the partitions the batch touched when the job
 * declares `partition_by` and every changed input has those columns (the partition values of each change's new and
 * previous image), else in full — and the result is compared with the job's current rows by key: new keys are `c`,
 * changed rows `u`, vanished keys `d`. The differences are the job's delta, applied like a source's (changes.ts),
 * and are what jobs downstream see as this job's changes.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';
import { sqlFileError } from '../../lake/sql-file-error.js';
import { sqlIdent } from '../../lake/sql-quote.js';
import { type Decl, relationOf } from './catalog.js';
import type { JobDecl } from './job-file.js';
import { hasColumns, inTouched, stateCtes } from './relations.js';
import { countRows, rel } from './state.js';

const q = sqlIdent;

/** `_lsn` of a job's changes: the batch id × JOB_LSN_STRIDE + the change's number in the batch. */
export const JOB_LSN_STRIDE = 2 ** 24;

export interface JobRun {
  /** Recomputed: `full`, `partitions` (how many), or not at all. */
  mode: 'full' | 'partitions' | 'skipped';
  touched: number;
  changes: number;
  /** Rows of the select left out because a key column was null (a left join to a row that has not arrived). */
  nullKeys: number;
}

/** The delta table of a table changed in this batch. */
export const deltaName = (table: string) => `delta_${table}`;

/**
 * Recomputes `j` if an input changed (`changed`: table name → its delta table) or `force`, leaving its changes in
 * the TEMP table `delta_<job>`. `batchId` and `ts` (the batch's latest input `_ts`, epoch ms) stamp them.
 */
export async function runTableJob(
  conn: DuckDBConnection,
  j: JobDecl,
  byName: Map<string, Decl>,
  changed: ReadonlySet<string>,
  force: boolean,
  batchId: number,
  ts: number,
): Promise<JobRun> {
  const inputs = j.reads.map((r) => (relationOf(r, byName) as { decl: Decl }).decl);
  const changedInputs = inputs.filter((d) => changed.has(d.name));
  if (!force && changedInputs.length === 0) return { mode: 'skipped', touched: 0, changes: 0, nullKeys: 0 };
  const p = j.partitionBy;
  const partial = !force && p.length > 0 && changedInputs.every((d) => hasColumns(d, p));
  let touched = 0;
  if (partial) {
    const pcols = p.map(q).join(', ');
    const parts = changedInputs.map((d) => {
      const delta = q(deltaName(d.name));
      const prev = p.map((c) => `_prev.${q(c)} AS ${q(c)}`).join(', ');
      const withPrev = d.key.length > 0 ? ` UNION SELECT ${prev} FROM ${delta} WHERE _prev IS NOT NULL` : '';
      return `SELECT ${pcols} FROM ${delta}${withPrev}`;
    });
    await conn.run(`CREATE OR REPLACE TEMP TABLE _touched AS ${parts.join(' UNION ')}`);
    touched = await countRows(conn, '_touched');
  }
  const ctes = stateCtes(j.reads, byName, { partitionBy: p, restrict: partial });
  const restrictNew = partial ? ` ${inTouched('_q', p)}` : '';
  try {
    await conn.run(`CREATE OR REPLACE TEMP TABLE _new AS ${ctes} SELECT * FROM (${j.sql}) AS _q${restrictNew}`);
  } catch (e) {
    throw sqlFileError({ file: j.file, line: j.line }, e);
  }
  // a row whose key has a null cannot be kept by key: it is left out (and counted) until its key is whole, e.g.
  // until the dimension row a left join waits for arrives; the batch and the other rows go on
  const dropped = await conn.run(`DELETE FROM _new WHERE ${j.key.map((k) => `${q(k)} IS NULL`).join(' OR ')}`);
  const nullKeys = Number(dropped.rowsChanged);
  await checkKeys(conn, j);
  const cur = rel('cur', j.name);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE _old AS SELECT * EXCLUDE (_lsn, _ts) FROM ${cur} _q${partial ? ` ${inTouched('_q', p)}` : ''}`,
  );
  const cols = j.columns.map((c) => c.name);
  const key = j.key;
  const img = (a: string) => `struct_pack(${cols.map((c) => `${q(c)} := ${a}.${q(c)}`).join(', ')})`;
  const on = key.map((k) => `n.${q(k)} = o.${q(k)}`).join(' AND ');
  const delCols = cols.map((c) => (key.includes(c) ? `o.${q(c)}` : `NULL AS ${q(c)}`)).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(deltaName(j.name))} AS
    WITH ch AS (
      SELECT ${cols.map((c) => `n.${q(c)}`).join(', ')}, CASE WHEN o.${q(key[0])} IS NULL THEN 'c' ELSE 'u' END AS _op,
        CASE WHEN o.${q(key[0])} IS NOT NULL THEN ${img('o')} END AS _prev
      FROM _new n LEFT JOIN _old o ON ${on}
      WHERE o.${q(key[0])} IS NULL OR ${img('n')} IS DISTINCT FROM ${img('o')}
      UNION ALL
      SELECT ${delCols}, 'd', ${img('o')} FROM _old o ANTI JOIN _new n ON ${on}
    )
    SELECT * EXCLUDE (_prev), ${batchId}::BIGINT * ${JOB_LSN_STRIDE} + row_number() OVER (ORDER BY ${key.map(q).join(', ')}) AS _lsn,
      epoch_ms(${Math.trunc(ts)}::BIGINT) AS _ts, _prev
    FROM ch`);
  return {
    mode: partial ? 'partitions' : 'full',
    touched,
    changes: await countRows(conn, q(deltaName(j.name))),
    nullKeys,
  };
}

/**
 * A job's select must give one row per key: two rows for one key would make its result depend on which is kept, so
 * the batch fails naming the job's file (fix the SQL; the batch is processed again).
 */
async function checkKeys(conn: DuckDBConnection, j: JobDecl): Promise<void> {
  const key = j.key.map(q).join(', ');
  const r = await conn.runAndReadAll(
    `SELECT to_json(struct_pack(${j.key.map((k) => `${q(k)} := ${q(k)}`).join(', ')}))::VARCHAR, count(*) AS n
     FROM _new GROUP BY ${key} HAVING count(*) > 1 LIMIT 1`,
  );
  const bad = r.getRowsJS()[0];
  if (!bad) return;
  const reason = `the select gives ${bad[1]} rows for the key ${bad[0]}: the key (${j.key.join(', ')}) must name one row`;
  throw tlError('TL_SQL_FILE', { file: j.file, line: j.line, reason });
}

/**
 * Changes of a batch, table by table (docs/tables.md, "The change log"): the decoded messages of a source become its
 * delta — the changes that are really changes, with their op — and a delta is applied to the table's current state,
 * its log and the outbox, all inside the batch transaction.
 *
 * A keyed source's changes apply per key in `_lsn` order after the key's current row (`cur`): an upsert equal to
 * the previous image, or a delete of a key that does not exist, is no change; a change older than the key's current
 * `_lsn` (the key sent to another partition) is stale and dropped. The op follows from the previous image: `c`
 * when the key did not exist (`r` for a Debezium snapshot row), `u` when it did, `d` for a delete. The delta keeps
 * each change's previous image (`_prev`) for the jobs that must know which partitions a change left.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent } from '../../lake/sql-quote.js';
import type { SourceDecl, TableDecl } from './source-file.js';
import { countRows, rel } from './state.js';

const q = sqlIdent;

export interface DeltaCounts {
  changes: number;
  stale: number;
}

const list = (names: readonly string[], prefix = '') => names.map((n) => `${prefix}${q(n)}`).join(', ');
const eqOn = (names: readonly string[], a: string, b: string) =>
  names.map((n) => `${a}.${q(n)} = ${b}.${q(n)}`).join(' AND ');
const structOf = (names: readonly string[], from = '') =>
  `struct_pack(${names.map((n) => `${q(n)} := ${from}${q(n)}`).join(', ')})`;

/** `CREATE TEMP TABLE <delta>`: the source's real changes in the batch, from its decoded messages `<dec>`. */
export async function sourceDelta(
  conn: DuckDBConnection,
  s: SourceDecl,
  dec: string,
  delta: string,
): Promise<DeltaCounts> {
  const cols = s.columns.map((c) => c.name);
  if (s.key.length === 0) {
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${q(delta)} AS SELECT ${list(cols)}, 'c' AS _op, _lsn, _ts, NULL AS _prev
       FROM ${q(dec)} WHERE _kind = 'upsert' ORDER BY _lsn`,
    );
    return { changes: await countRows(conn, q(delta)), stale: 0 };
  }
  const key = s.key;
  const img = structOf(cols);
  // the incoming changes with the key's current lsn, stale ones marked
  // only the columns the delta needs: the decoded batch also holds each message's raw key and value
  await conn.run(`CREATE OR REPLACE TEMP TABLE _inc AS
    SELECT ${list(cols, 'i.')}, i._kind, i._src_op, i._lsn, i._ts, c._lsn AS _cur_lsn
    FROM (SELECT ${list(cols)}, _kind, _src_op, _lsn, _ts FROM ${q(dec)} WHERE _kind IN ('upsert', 'delete')) i
    LEFT JOIN (SELECT ${list(key)}, _lsn FROM ${rel('cur', s.name)}) c ON ${eqOn(key, 'i', 'c')}`);
  const staleR = await conn.runAndReadAll('SELECT count(*) FROM _inc WHERE _lsn <= _cur_lsn');
  const stale = Number(staleR.getRowsJS()[0][0]);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(delta)} AS
    WITH seq AS (
      SELECT ${list(cols)}, _kind, _src_op, _lsn, _ts, false AS _is_cur FROM _inc WHERE _cur_lsn IS NULL OR _lsn > _cur_lsn
      UNION ALL
      SELECT ${list(cols, 'c.')}, 'upsert', NULL, c._lsn, c._ts, true
      FROM ${rel('cur', s.name)} c SEMI JOIN (SELECT DISTINCT ${list(key)} FROM _inc) k ON ${eqOn(key, 'c', 'k')}
    ),
    w AS (
      SELECT *, ${img} AS _img,
        lag(_kind) OVER k AS _prev_kind,
        lag(${img}) OVER k AS _prev_img
      FROM seq WINDOW k AS (PARTITION BY ${list(key)} ORDER BY _lsn)
    ),
    ops AS (
      SELECT *, CASE
        WHEN _is_cur THEN NULL
        WHEN _kind = 'upsert' AND (_prev_kind IS NULL OR _prev_kind = 'delete') THEN CASE WHEN _src_op = 'r' THEN 'r' ELSE 'c' END
        WHEN _kind = 'upsert' AND _img IS NOT DISTINCT FROM _prev_img THEN NULL
        WHEN _kind = 'upsert' THEN 'u'
        WHEN _kind = 'delete' AND _prev_kind = 'upsert' THEN 'd'
      END AS _op FROM w
    )
    SELECT ${list(cols)}, _op, _lsn, _ts, CASE WHEN _prev_kind = 'upsert' THEN _prev_img END AS _prev
    FROM ops WHERE _op IS NOT NULL ORDER BY _lsn`);
  return { changes: await countRows(conn, q(delta)), stale };
}

/**
 * Applies `<delta>` (columns, `_op`, `_lsn`, `_ts`) to the table's current state (unless `keepCurrent` is false),
 * its log (`withLog`) and the outbox of batch `batchId`. A keyed table takes each key's last change; a stream
 * appends.
 */
export async function applyDelta(
  conn: DuckDBConnection,
  t: TableDecl,
  delta: string,
  batchId: number,
  withLog: boolean,
  keepCurrent = true,
): Promise<void> {
  const cols = t.columns.map((c) => c.name);
  const cur = rel('cur', t.name);
  if (!keepCurrent) {
    // a window job nothing reads: its rows go to the outbox only, the state stays bounded by the open windows
  } else if (t.key.length > 0) {
    const key = t.key;
    await conn.run(
      `DELETE FROM ${cur} USING (SELECT DISTINCT ${list(key)} FROM ${q(delta)}) d WHERE ${eqOn(key, cur, 'd')}`,
    );
    await conn.run(`INSERT INTO ${cur} BY NAME
      SELECT ${list(cols)}, _lsn, _ts FROM ${q(delta)}
      QUALIFY row_number() OVER (PARTITION BY ${list(key)} ORDER BY _lsn DESC) = 1 AND _op <> 'd'`);
  } else {
    await conn.run(`INSERT INTO ${cur} BY NAME SELECT ${list(cols)}, _lsn, _ts FROM ${q(delta)}`);
  }
  if (withLog) {
    await conn.run(`INSERT INTO ${rel('log', t.name)} BY NAME SELECT ${list(cols)}, _op, _lsn, _ts FROM ${q(delta)}`);
  }
  await conn.run(
    `INSERT INTO ${rel('ob', t.name)} BY NAME SELECT ${batchId} AS batch_id, ${list(cols)}, _op, _lsn, _ts FROM ${q(delta)}`,
  );
}

/** Rows of a stream older than its retention leave the engine's state (never the lake). */
export async function expireStream(conn: DuckDBConnection, s: SourceDecl, nowMs: number): Promise<void> {
  if (s.retentionMs === undefined || s.key.length > 0) return;
  const time = s.eventTime ? q(s.eventTime) : '_ts';
  await conn.run(
    `DELETE FROM ${rel('cur', s.name)} WHERE ${time} < epoch_ms(${Math.trunc(nowMs - s.retentionMs)}::BIGINT)`,
  );
}

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
import type { DuckDBConnection } from '../../core/duckdb.js';
import { sqlIdent } from '../../lake/sql-quote.js';
import type { SourceDecl, TableDecl } from './source-file.js';
import { rel } from './state.js';

const q = sqlIdent;

export interface DeltaCounts {
  changes: number;
  stale: number;
}

const list = (names: readonly string[], prefix = '') => names.map((n) => `${prefix}${q(n)}`).join(', ');
const eqOn = (names: readonly string[], a: string, b: string) =>
  names.map((n) => `${a}.${q(n)} = ${b}.${q(n)}`).join(' AND ');

/**
 * `CREATE TEMP TABLE <delta>`: the source's real changes in the batch, from its decoded messages `<dec>`; with their
 * count, the number of stale changes dropped, and the latest `_ts` (epoch ms, -Infinity without changes).
 *
 * One pass: the batch's changes and the current rows of the keys they touch, ordered per key by `_lsn` (a current
 * row after an incoming change of the same `_lsn`). A change at or before its key's current `_lsn` is stale; every
 * stale change of a key sorts before the key's current row, so the first live change's predecessor is the current
 * row. The previous image is compared column by column (`IS NOT DISTINCT FROM`, as the whole row would be) and
 * packed as `_prev` only for the changes kept.
 */
export async function sourceDelta(
  conn: DuckDBConnection,
  s: SourceDecl,
  dec: string,
  delta: string,
  minLsn?: bigint,
): Promise<DeltaCounts & { maxTs: number }> {
  const cols = s.columns.map((c) => c.name);
  const summary = async () => {
    const r = await conn.runAndReadAll(`SELECT count(*), epoch_ms(max(_ts)) FROM ${q(delta)}`);
    const [n, ts] = r.getRowsJS()[0];
    return { changes: Number(n), maxTs: ts === null ? Number.NEGATIVE_INFINITY : Number(ts) };
  };
  if (s.key.length === 0) {
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${q(delta)} AS SELECT ${list(cols)}, 'c' AS _op, _lsn, _ts, NULL AS _prev
       FROM ${q(dec)} WHERE _kind = 'upsert' ORDER BY _lsn`,
    );
    return { ...(await summary()), stale: 0 };
  }
  const key = s.key;
  const cur = rel('cur', s.name);
  // a stale change needs a current row at or after its _lsn: none when the batch starts after every current row
  const maxCur = await conn.runAndReadAll(`SELECT max(_lsn) FROM ${cur}`);
  const curMax = maxCur.getRowsJS()[0][0];
  let stale = 0;
  if (curMax !== null && (minLsn === undefined || minLsn <= BigInt(curMax as bigint))) {
    const r = await conn.runAndReadAll(
      `SELECT count(*) FROM ${q(dec)} i JOIN ${cur} c ON ${eqOn(key, 'i', 'c')}
       WHERE i._kind IN ('upsert', 'delete') AND i._lsn <= c._lsn`,
    );
    stale = Number(r.getRowsJS()[0][0]);
  }
  const prevCols = cols.map((_c, i) => `_p${i}`);
  const same = cols.map((c, i) => `${q(c)} IS NOT DISTINCT FROM ${prevCols[i]}`).join(' AND ');
  const prevImg = `struct_pack(${cols.map((c, i) => `${q(c)} := ${prevCols[i]}`).join(', ')})`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(delta)} AS
    WITH live AS (
      SELECT ${list(cols, 'i.')}, i._kind, i._src_op, i._lsn, i._ts, c._lsn AS _c_lsn,
        ${cols.map((c, n) => `c.${q(c)} AS _c${n}`).join(', ')}
      FROM (SELECT ${list(cols)}, _kind, _src_op, _lsn, _ts FROM ${q(dec)} WHERE _kind IN ('upsert', 'delete')) i
      LEFT JOIN ${cur} c ON ${eqOn(key, 'i', 'c')}
      WHERE c._lsn IS NULL OR i._lsn > c._lsn
    ),
    w AS (
      SELECT *, lag(_lsn) OVER k IS NULL AS _first, lag(_kind) OVER k AS _l_kind,
        ${cols.map((c, n) => `lag(${q(c)}) OVER k AS _l${n}`).join(', ')}
      FROM live WINDOW k AS (PARTITION BY ${list(key)} ORDER BY _lsn)
    ),
    p AS (
      SELECT *,
        CASE WHEN NOT _first THEN _l_kind WHEN _c_lsn IS NOT NULL THEN 'upsert' END AS _prev_kind,
        ${cols.map((_c, n) => `CASE WHEN _first THEN _c${n} ELSE _l${n} END AS ${prevCols[n]}`).join(', ')}
      FROM w
    ),
    ops AS (
      SELECT *, CASE
        WHEN _kind = 'upsert' AND (_prev_kind IS NULL OR _prev_kind = 'delete') THEN CASE WHEN _src_op = 'r' THEN 'r' ELSE 'c' END
        WHEN _kind = 'upsert' AND ${same} THEN NULL
        WHEN _kind = 'upsert' THEN 'u'
        WHEN _kind = 'delete' AND _prev_kind = 'upsert' THEN 'd'
      END AS _op FROM p
    )
    SELECT ${list(cols)}, _op, _lsn, _ts, CASE WHEN _prev_kind = 'upsert' THEN ${prevImg} END AS _prev
    FROM ops WHERE _op IS NOT NULL ORDER BY _lsn`);
  return { ...(await summary()), stale };
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

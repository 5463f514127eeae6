/**
 * `window` jobs (docs/tables.md): tumbling windows over a stream's event time, with the tick engine's rules
 * (processors/time/watermarks.ts), in SQL over the batch's rows:
 *
 * - per Kafka partition of the stream, the watermark a row meets is the one its predecessors (in offset order, this
 *   batch and before) allow: max(watermark so far, max event time before it − lateness). So lateness never depends
 *   on where batches were cut;
 * - a row whose window had ended at that watermark is late: it goes to `<job>_late` with the window and watermark;
 *   the others wait in the job's buffer (`win.<job>`);
 * - a window is computed once, when the minimum watermark over the topic's partitions passes its end (a partition
 *   never seen holds it back unless declared idle); the select then reads the closing windows' rows under the
 *   stream's name, with `window_start` and `window_end` added, and its rows are appended.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { sqlFileError } from '../../lake/sql-file-error.js';
import { sqlIdent, sqlString } from '../../lake/sql-quote.js';
import { LatenessRules, minWatermark, NO_WATERMARK } from '../time/watermarks.js';
import type { Decl } from './catalog.js';
import { LSN_PARTITIONS } from './decode-sql.js';
import type { JobDecl } from './job-file.js';
import { stateCtes } from './relations.js';
import type { SourceDecl } from './source-file.js';
import { countRows, rel } from './state.js';
import { deltaName, JOB_LSN_STRIDE } from './table-jobs.js';

const q = sqlIdent;

export interface WindowRun {
  late: number;
  buffered: number;
  closed: number;
  changes: number;
}

/**
 * Takes the stream's new rows of the batch (its delta, if it changed) into the job's buffer or its late output, then
 * closes the windows the minimum watermark passed (`flush`: all of them). Leaves the job's new rows in
 * `delta_<job>` and appends late rows to `ob.<job>_late`.
 */
export async function runWindowJob(
  conn: DuckDBConnection,
  j: JobDecl,
  byName: Map<string, Decl>,
  opts: {
    changed: ReadonlySet<string>;
    batchId: number;
    partitionCount: number;
    idle: ReadonlySet<number>;
    flush: boolean;
  },
): Promise<WindowRun> {
  const src = byName.get(j.source as string) as SourceDecl;
  const size = j.window?.ms as number;
  const lateness = src.latenessMs;
  const cols = src.columns.map((c) => q(c.name)).join(', ');
  const name = sqlString(j.name);
  const out: WindowRun = { late: 0, buffered: 0, closed: 0, changes: 0 };
  if (opts.changed.has(src.name)) {
    const ev = src.eventTime ? `epoch_ms(CAST(${q(src.eventTime)} AS TIMESTAMP))` : 'epoch_ms(_ts)';
    // each row's partition, event time and the watermark it meets
    await conn.run(`CREATE OR REPLACE TEMP TABLE _wrows AS
      WITH r AS (
        SELECT *, (_lsn % ${LSN_PARTITIONS})::INTEGER AS _partition, ${ev} AS _event FROM ${q(deltaName(src.name))}
      ),
      m AS (
        SELECT r.*, coalesce(w.max_ts, ${NO_WATERMARK}) AS _state_max, coalesce(w.watermark, ${NO_WATERMARK}) AS _state_wm,
          max(_event) OVER (PARTITION BY r._partition ORDER BY _lsn ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS _max_before
        FROM r LEFT JOIN wm w ON w.job = ${name} AND w.kafka_partition = r._partition
      )
      SELECT *, greatest(_state_wm, greatest(_state_max, coalesce(_max_before, ${NO_WATERMARK})) - ${lateness}) AS _met,
        _event - (_event % ${size}) AS _window_start
      FROM m`);
    const late = await conn.run(`INSERT INTO ${rel('ob', `${j.name}_late`)} BY NAME
      SELECT ${opts.batchId} AS batch_id, ${cols}, epoch_ms(_window_start) AS window_start,
        CASE WHEN _met > ${NO_WATERMARK} THEN epoch_ms(_met) END AS watermark, 'c' AS _op, _lsn, _ts
      FROM _wrows WHERE _event IS NULL OR _window_start + ${size} <= _met`);
    out.late = Number(late.rowsChanged);
    const buf = await conn.run(`INSERT INTO ${rel('win', j.name)} BY NAME
      SELECT ${cols}, _lsn, _ts, _partition, _event, _window_start FROM _wrows
      WHERE _event IS NOT NULL AND _window_start + ${size} > _met`);
    out.buffered = Number(buf.rowsChanged);
    // the partitions' new watermarks (never backwards)
    await conn.run(`CREATE OR REPLACE TEMP TABLE _wmnew AS
      SELECT _partition AS kafka_partition, greatest(any_value(_state_max), max(_event)) AS max_ts,
        greatest(any_value(_state_wm), greatest(any_value(_state_max), max(_event)) - ${lateness}) AS watermark
      FROM _wrows WHERE _event IS NOT NULL GROUP BY _partition`);
    await conn.run(`DELETE FROM wm WHERE job = ${name} AND kafka_partition IN (SELECT kafka_partition FROM _wmnew)`);
    await conn.run(`INSERT INTO wm SELECT ${name}, kafka_partition, max_ts, watermark FROM _wmnew`);
  }
  // which windows close
  const wmRows = await conn.runAndReadAll(`SELECT kafka_partition, watermark, max_ts FROM wm WHERE job = ${name}`);
  const wms = new Map<number, number>();
  const states = [];
  for (const [p, w, m] of wmRows.getRowsJS()) {
    wms.set(Number(p), Number(w));
    states.push({ watermark: Number(w), maxTs: Number(m) });
  }
  const closeAt = opts.flush
    ? new LatenessRules(lateness).flushTarget(states, [j.window as { label: string; ms: number }])
    : minWatermark(wms, opts.partitionCount, opts.idle);
  if (!Number.isFinite(closeAt) || closeAt <= NO_WATERMARK) {
    await emptyDelta(conn, j);
    return out;
  }
  const closing = `SELECT ${cols}, epoch_ms(_window_start) AS window_start, epoch_ms(_window_start + ${size}) AS window_end
    FROM ${rel('win', j.name)} WHERE _window_start + ${size} <= ${closeAt}`;
  const ctes = stateCtes(j.reads, byName, { override: new Map([[src.name, closing]]) });
  try {
    await conn.run(`CREATE OR REPLACE TEMP TABLE _new AS ${ctes} SELECT * FROM (${j.sql}) AS _q`);
  } catch (e) {
    throw sqlFileError({ file: j.file, line: j.line }, e);
  }
  const closed = await conn.run(`DELETE FROM ${rel('win', j.name)} WHERE _window_start + ${size} <= ${closeAt}`);
  out.closed = Number(closed.rowsChanged);
  const keys = j.key.map(q).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(deltaName(j.name))} AS
    SELECT *, 'c' AS _op, ${opts.batchId}::BIGINT * ${JOB_LSN_STRIDE} + row_number() OVER (ORDER BY ${keys}) AS _lsn,
      CAST(window_start AS TIMESTAMP) + to_milliseconds(${size}) AS _ts, NULL AS _prev
    FROM _new`);
  out.changes = await countRows(conn, q(deltaName(j.name)));
  return out;
}

async function emptyDelta(conn: DuckDBConnection, j: JobDecl): Promise<void> {
  const cols = j.columns.map((c) => `NULL::${c.type} AS ${q(c.name)}`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(deltaName(j.name))} AS
    SELECT ${cols}, NULL::VARCHAR AS _op, NULL::BIGINT AS _lsn, NULL::TIMESTAMP AS _ts, NULL AS _prev WHERE false`);
}

/**
 * Stream SQL files (`sql/streams/*.sql`): the arithmetic of the processor. Each file is one SELECT that DuckDB runs
 * at one stage of every batch, over relations the processor prepares (see docs/processor.md), and whose rows are
 * appended to one output table. A file starts with a machine-read header (read by lake/sql-file-header.ts, as every
 * SQL file's; `title`, `stage` and `output` are required, `description` optional, no other key allowed):
 *
 *   -- title: OHLCV bars
 *   -- description: One bar per symbol and closing window.
 *   -- stage: close
 *   -- output: bars
 *
 * Parameters (`$spike_threshold`, ...) are bound, never spliced; every stage is offered the same ones (the
 * processor's thresholds, ProcessorCore's `params`), and a file naming any other fails at start (`bindStreamParams`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';
import { sqlFileError } from '../../lake/sql-file-error.js';
import { allowKeys, headerError, readSqlFileParts, requireKey } from '../../lake/sql-file-header.js';
import { resetScratch } from './state.js';
import { batchTicksFor, type Slot } from './tick-columns.js';

export const STAGES = ['ticks', 'close', 'bars', 'valuation'] as const;
export type Stage = (typeof STAGES)[number];

/** Output tables each stage may write (a lake table; the processor adds `batch_id` and the partition columns). */
export const STAGE_OUTPUTS: Record<Stage, readonly string[]> = {
  ticks: ['anomalies'],
  close: ['bars'],
  bars: ['anomalies'],
  valuation: ['valuations'],
};

export interface StreamFile {
  file: string;
  title: string;
  description: string;
  stage: Stage;
  output: string;
  sql: string;
  /** 1-based line of the file where the statement begins. */
  line: number;
  /** Names of the `$parameters` the statement uses. */
  params: string[];
}

export const DEFAULT_STREAMS_DIR = fileURLToPath(new URL('../../sql/streams', import.meta.url));

const STREAM_KEYS = ['title', 'description', 'stage', 'output'];

export function parseStreamFile(file: string, text: string): StreamFile {
  const p = readSqlFileParts(file, text, STREAM_KEYS);
  allowKeys(p, STREAM_KEYS);
  const stage = requireKey(p, 'stage').value as Stage;
  if (!STAGES.includes(stage)) throw headerError(p, 'stage', `unknown stage "${stage}"; one of ${STAGES.join(', ')}`);
  const output = requireKey(p, 'output').value;
  if (!STAGE_OUTPUTS[stage].includes(output)) {
    throw headerError(p, 'output', `stage ${stage} writes ${STAGE_OUTPUTS[stage].join(' or ')}, not "${output}"`);
  }
  if (!p.body) throw tlError('TL_SQL_BAD_HEADER', { file, line: p.endLine, reason: 'no statement after the header' });
  const params = [...new Set([...p.body.matchAll(/\$([a-z_][a-z0-9_]*)/gi)].map((m) => m[1]))].sort();
  const title = requireKey(p, 'title').value;
  const description = p.fields.get('description')?.value ?? '';
  return { file, title, description, stage, output, sql: p.body, line: p.bodyLine, params };
}

export function loadStreamFiles(dir: string = DEFAULT_STREAMS_DIR): StreamFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseStreamFile(join(dir, f), readFileSync(join(dir, f), 'utf8')));
}

/**
 * The values of exactly the parameters a stream file uses, picked from the thresholds its stage offers; an unknown
 * one is an error that names the file. (Not lake/sql-params.ts `bindParams`, which converts and checks the declared
 * parameters of a report or check.)
 */
export function bindStreamParams(
  file: StreamFile,
  available: Record<string, number | string>,
): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const p of file.params) {
    if (!(p in available)) {
      throw tlError('TL_SQL_BAD_HEADER', {
        file: file.file,
        line: 0,
        reason: `parameter $${p} is not offered at stage ${file.stage} (offered: ${Object.keys(available)
          .map((k) => `$${k}`)
          .join(', ')})`,
      });
    }
    out[p] = available[p];
  }
  return out;
}

/** Per-batch tables each stage's SELECT is inserted into, before its rows go to the outbox (state.ts). */
const STAGE_TARGET: Record<Stage, 'new_bars' | 'new_valuations' | 'new_anomalies'> = {
  ticks: 'new_anomalies',
  close: 'new_bars',
  bars: 'new_anomalies',
  valuation: 'new_valuations',
};
/** The column whose date partitions an output's rows. */
const DATE_COLUMN: Record<string, string> = { bars: 'window_start', valuations: 'as_of', anomalies: 'ts' };

/**
 * Runs the stream files of one stage inside the batch transaction, appending their rows to the outbox tables
 * (`ob_<output>`, batch id and date added). `batchTicks` is the current batch's scratch slot, for a `ticks`-stage
 * file (see `batchTicksFor`). Returns the rows appended. A failing statement is TL_SQL_FILE naming its file and line.
 */
export async function runStage(
  conn: DuckDBConnection,
  files: readonly StreamFile[],
  stage: Stage,
  batchId: number,
  params: Record<string, number>,
  batchTicks?: Slot,
): Promise<number> {
  let n = 0;
  const target = STAGE_TARGET[stage];
  for (const f of files.filter((s) => s.stage === stage)) {
    await resetScratch(conn, target);
    const sql = batchTicks === undefined ? f.sql : batchTicksFor(f.sql, batchTicks);
    try {
      await conn.run(`INSERT INTO ${target} BY NAME ${sql}`, bindStreamParams(f, params));
    } catch (e) {
      throw sqlFileError(f, e);
    }
    const r = await conn.run(
      `INSERT INTO ob_${f.output} BY NAME SELECT ${batchId} AS batch_id, CAST(${DATE_COLUMN[f.output]} AS DATE) AS date, * FROM ${target}`,
    );
    n += Number(r.rowsChanged);
  }
  return n;
}

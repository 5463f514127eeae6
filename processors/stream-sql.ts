/**
 * Stream SQL files (`sql/streams/*.sql`): the arithmetic of the processor. Each file is one SELECT that DuckDB runs
 * at one stage of every batch, over relations the processor prepares (see docs/processor.md), and whose rows are
 * appended to one output table. A file starts with a machine-read header:
 *
 *   -- title: OHLCV bars
 *   -- description: One bar per symbol and closing window.
 *   -- stage: close
 *   -- output: bars
 *
 * Parameters (`$spike_threshold`, ...) are bound, never spliced; a file may use only the parameters its stage offers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tlError } from '../core/errors.js';

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
  /** Names of the `$parameters` the statement uses. */
  params: string[];
}

export const DEFAULT_STREAMS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'sql', 'streams');

export function parseStreamFile(file: string, text: string): StreamFile {
  const header: Record<string, string> = {};
  const lines = text.split('\n');
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^--\s*(\w+)\s*:\s*(.*)$/.exec(lines[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (header[key] !== undefined) {
      throw tlError('TL_SQL_BAD_HEADER', { file, line: i + 1, reason: `header "${key}" given twice` });
    }
    header[key] = m[2].trim();
  }
  const need = (key: string): string => {
    const v = header[key];
    if (!v) throw tlError('TL_SQL_BAD_HEADER', { file, line: i + 1, reason: `missing header "-- ${key}: ..."` });
    return v;
  };
  const stage = need('stage') as Stage;
  if (!STAGES.includes(stage)) {
    throw tlError('TL_SQL_BAD_HEADER', {
      file,
      line: lines.findIndex((l) => /^--\s*stage\s*:/.test(l)) + 1,
      reason: `unknown stage "${stage}"; one of ${STAGES.join(', ')}`,
    });
  }
  const output = need('output');
  if (!STAGE_OUTPUTS[stage].includes(output)) {
    throw tlError('TL_SQL_BAD_HEADER', {
      file,
      line: lines.findIndex((l) => /^--\s*output\s*:/.test(l)) + 1,
      reason: `stage ${stage} writes ${STAGE_OUTPUTS[stage].join(' or ')}, not "${output}"`,
    });
  }
  const sql = lines.slice(i).join('\n').trim().replace(/;\s*$/, '');
  if (!sql) throw tlError('TL_SQL_BAD_HEADER', { file, line: i + 1, reason: 'no statement after the header' });
  const params = [...new Set([...sql.matchAll(/\$([a-z_][a-z0-9_]*)/gi)].map((m) => m[1]))].sort();
  return { file, title: need('title'), description: header.description ?? '', stage, output, sql, params };
}

export function loadStreamFiles(dir: string = DEFAULT_STREAMS_DIR): StreamFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseStreamFile(join(dir, f), readFileSync(join(dir, f), 'utf8')));
}

/** The values of exactly the parameters a file uses; an unknown one is an error that names the file. */
export function bindParams(
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

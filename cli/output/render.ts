/**
 * Query results as text for the shell and the one-shot commands: `table` (aligned columns, numbers right-aligned,
 * null shown as NULL), `csv` (RFC 4180, like the API) and `json` (an array of row objects, values as in the API:
 * 64-bit integers exact, lake/json-value.ts).
 */

import { csvField } from '../../api/formats/text-formats.js';
import { type ChoiceOf, choicesOf } from '../../core/config.js';
import type { DuckDBValue } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';
import { jsonRow, textValue } from '../../lake/json-value.js';

/** The `--format` choices of sql, report and check, declared in core/config.ts (the shell's `.mode` takes them too). */
export const OUTPUT_MODES = choicesOf('outputFormat');
export type OutputMode = ChoiceOf<'outputFormat'>;

export function outputMode(text: string, setting = '--format'): OutputMode {
  if ((OUTPUT_MODES as readonly string[]).includes(text)) return text as OutputMode;
  throw tlError('TL_CONFIG_BAD_VALUE', {
    setting,
    value: JSON.stringify(text),
    reason: `expected one of: ${OUTPUT_MODES.join(', ')}`,
  });
}

export interface TextResult {
  columns: string[];
  rows: DuckDBValue[][];
}

const NUMERIC = (v: DuckDBValue) => typeof v === 'number' || typeof v === 'bigint';

export function renderTable({ columns, rows }: TextResult): string {
  const cells = rows.map((r) => r.map((v) => (v === null ? 'NULL' : textValue(v).replaceAll('\n', '\\n'))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const right = columns.map(
    (_, i) => rows.some((r) => NUMERIC(r[i])) && rows.every((r) => r[i] === null || NUMERIC(r[i])),
  );
  const line = (vals: string[], align = true) =>
    `| ${vals.map((v, i) => (align && right[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const count = `${rows.length} row${rows.length === 1 ? '' : 's'}`;
  return [rule, line(columns, false), rule, ...cells.map((c) => line(c)), rule, count].join('\n');
}

export function renderCsv({ columns, rows }: TextResult): string {
  return [columns, ...rows.map((r) => r.map(textValue))].map((r) => r.map(csvField).join(',')).join('\n');
}

export function renderJson({ columns, rows }: TextResult): string {
  if (rows.length === 0) return '[]';
  return `[\n${rows.map((r) => `  ${JSON.stringify(jsonRow(columns, r))}`).join(',\n')}\n]`;
}

export function render(mode: OutputMode, result: TextResult): string {
  if (mode === 'csv') return renderCsv(result);
  if (mode === 'json') return renderJson(result);
  return renderTable(result);
}

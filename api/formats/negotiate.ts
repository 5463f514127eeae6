/**
 * Which result format a request wants: `?format=` (or a `format` field in a POST body) wins, then the `Accept`
 * header; JSON by default. An explicit unknown `format` is TL_API_BAD_FORMAT (406); an Accept header that names no
 * format we have (a browser's text/html) falls back to JSON.
 */
import { tlError } from '../../core/errors.js';

export const FORMATS = ['json', 'csv', 'ndjson', 'arrow', 'parquet'] as const;
export type ResultFormat = (typeof FORMATS)[number];

export const CONTENT_TYPES: Record<ResultFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.stream',
  parquet: 'application/vnd.apache.parquet',
};

const ACCEPT: [RegExp, ResultFormat][] = [
  [/^application\/json$/, 'json'],
  [/^text\/csv$/, 'csv'],
  [/^application\/(x-)?ndjson$|^application\/jsonl$/, 'ndjson'],
  [/^application\/vnd\.apache\.arrow\.stream$/, 'arrow'],
  [/^application\/(vnd\.apache\.parquet|x-parquet)$/, 'parquet'],
];

export function negotiateFormat(explicit: unknown, accept: string | undefined): ResultFormat {
  if (explicit !== undefined && explicit !== '') {
    const f = String(explicit).toLowerCase();
    if ((FORMATS as readonly string[]).includes(f)) return f as ResultFormat;
    throw tlError('TL_API_BAD_FORMAT', { format: JSON.stringify(String(explicit)), supported: FORMATS.join(', ') });
  }
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    for (const [re, f] of ACCEPT) if (re.test(type)) return f;
  }
  return 'json';
}

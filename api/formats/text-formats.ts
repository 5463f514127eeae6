/**
 * JSON, NDJSON and CSV result bodies, produced chunk by chunk from a QueryStream (memory: one DuckDB chunk).
 *
 * JSON: `{"columns":[{"name","type"}],"rows":[{...}],"row_count":N,"truncated":false}` — `row_count` and
 * `truncated` come last because they are known only at the end. Values follow lake/json-value.ts (64-bit integers
 * and decimals exact). NDJSON: one row object per line. CSV: RFC 4180, a header line, null as an empty field.
 */

import { jsonRow, textValue } from '../../lake/json-value.js';
import type { QueryStream } from '../../lake/query.js';

export async function* jsonBody(q: QueryStream): AsyncGenerator<string> {
  const names = q.columns.map((c) => c.name);
  const columns = q.columns.map((c) => ({ name: c.name, type: c.type.toString() }));
  yield `{"columns":${JSON.stringify(columns)},"rows":[`;
  let first = true;
  for await (const batch of q.batches()) {
    const parts = batch.map((r) => JSON.stringify(jsonRow(names, r)));
    yield (first ? '' : ',') + parts.join(',');
    first = false;
  }
  yield `],"row_count":${q.rowCount},"truncated":${q.truncated}}`;
}

export async function* ndjsonBody(q: QueryStream): AsyncGenerator<string> {
  const names = q.columns.map((c) => c.name);
  for await (const batch of q.batches()) {
    yield `${batch.map((r) => JSON.stringify(jsonRow(names, r))).join('\n')}\n`;
  }
}

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export async function* csvBody(q: QueryStream): AsyncGenerator<string> {
  yield `${q.columns.map((c) => csvField(c.name)).join(',')}\r\n`;
  for await (const batch of q.batches()) {
    yield batch.map((r) => `${r.map((v) => csvField(textValue(v))).join(',')}\r\n`).join('');
  }
}

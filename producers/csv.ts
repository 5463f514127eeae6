/**
 * A small RFC 4180 CSV reader for seed files and replay files: comma separated, fields optionally in double quotes
 * (a doubled quote inside is one quote, a quoted field may span lines). Streams line by line, so memory is bounded by
 * the longest record, and reports each record with the 1-based line number it starts on.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface CsvRecord {
  /** 1-based line of the file where the record starts. */
  line: number;
  fields: string[];
}

/**
 * Splits one record. Returns null when a quoted field is still open at the end of `text` (the caller appends the
 * next line and tries again).
 */
export function splitCsvRecord(text: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return null;
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Anything between the closing quote and the next comma is kept, as most readers do.
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      value += text.slice(i, end);
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** Reads CSV records one at a time; blank lines are skipped; a trailing `\r` is removed. */
export async function* readCsv(file: string): AsyncGenerator<CsvRecord> {
  const rl = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNo = 0;
  let pending: string | undefined;
  let pendingLine = 0;
  try {
    for await (let text of rl) {
      lineNo++;
      if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (pending !== undefined) {
        pending += `\n${text}`;
      } else {
        if (text.trim() === '') continue;
        pending = text;
        pendingLine = lineNo;
      }
      const fields = splitCsvRecord(pending);
      if (fields === null) continue;
      pending = undefined;
      yield { line: pendingLine, fields };
    }
  } finally {
    rl.close();
  }
  if (pending !== undefined) {
    // An unterminated quote: hand back what there is; the caller reports the record as bad.
    yield { line: pendingLine, fields: [pending] };
  }
}

/** Normalises a header name for matching: lower case, no spaces, underscores or dashes. */
export function headerKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
}

/**
 * Rows of an FSDS file → keyed messages of its source: the value is the row as JSON by column name, the key the
 * JSON object of the key columns (docs/tables.md, plain format). A row that cannot be converted is a bad row
 * with file:line and the reason; numbers and presentation lines of a submission the quarter's sub.txt does not
 * hold are bad rows too (they could never be read as of any time).
 */
import { convertField, FieldError } from './fsds-fields.js';
import type { FileLayout } from './fsds-layouts.js';
import type { BadRow, TsvFile } from './tsv.js';

export interface KeyedRecord {
  key: string;
  value: string;
  /** Where the row came from, for the report. */
  line: number;
}

export interface Records {
  layout: FileLayout;
  records: KeyedRecord[];
  bad: BadRow[];
  /** Columns of the file ticklake does not read. */
  ignoredColumns: string[];
}

export function toRecords(layout: FileLayout, label: string, tsv: TsvFile, knownAdsh?: ReadonlySet<string>): Records {
  const records: KeyedRecord[] = [];
  const bad: BadRow[] = [...tsv.bad];
  const seen = new Map<string, number>();
  for (const row of tsv.rows) {
    const obj: Record<string, string | number | boolean | null> = {};
    try {
      for (const spec of layout.fields) obj[spec.name] = convertField(spec, row.get(spec.name));
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      bad.push({ file: label, line: row.line, reason: e.message });
      continue;
    }
    if (knownAdsh && !knownAdsh.has(String(obj.adsh))) {
      bad.push({ file: label, line: row.line, reason: `submission ${obj.adsh} is not in sub.txt` });
      continue;
    }
    const key = JSON.stringify(Object.fromEntries(layout.key.map((k) => [k, obj[k]])));
    const first = seen.get(key);
    if (first !== undefined) {
      bad.push({ file: label, line: row.line, reason: `the same key as line ${first}: ${key}` });
      continue;
    }
    seen.set(key, row.line);
    records.push({ key, value: JSON.stringify(obj), line: row.line });
  }
  const read = new Set(layout.fields.map((s) => s.name));
  return { layout, records, bad, ignoredColumns: tsv.columns.filter((c) => !read.has(c)) };
}

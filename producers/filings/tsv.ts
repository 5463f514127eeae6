/**
 * Tab-separated FSDS files, read by header name: the first line names the columns, every other non-empty line is
 * a row with the same number of fields. A line with another number of fields is a bad row (reported with its
 * line number); a required column missing from the header fails the whole file.
 */
import { tlError } from '../../core/errors.js';

export interface TsvRow {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  get(column: string): string | undefined;
}

export interface BadRow {
  file: string;
  line: number;
  reason: string;
}

export interface TsvFile {
  columns: string[];
  rows: TsvRow[];
  bad: BadRow[];
}

export function parseTsv(label: string, text: string, required: readonly string[]): TsvFile {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').replace(/\r$/, '').replace(/^\uFEFF/, '');
  const columns = header.split('\t').map((c) => c.trim());
  const missing = required.filter((c) => !columns.includes(c));
  if (header === '' || missing.length > 0) {
    throw tlError('TL_DATA_BAD_FILE', {
      file: label,
      reason: `the header line has no column ${missing.join(', ') || required.join(', ')}`,
    });
  }
  const index = new Map(columns.map((c, i) => [c, i]));
  const rows: TsvRow[] = [];
  const bad: BadRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw === '') continue;
    const fields = raw.split('\t');
    if (fields.length !== columns.length) {
      bad.push({ file: label, line: i + 1, reason: `${fields.length} fields, the header has ${columns.length}` });
      continue;
    }
    rows.push({
      line: i + 1,
      get: (column) => {
        const at = index.get(column);
        return at === undefined ? undefined : fields[at];
      },
    });
  }
  return { columns, rows, bad };
}

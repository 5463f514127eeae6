/**
 * A CSV file as a sheet grid (sheet-grid.ts), so that a workbook saved as three CSV files (products.csv,
 * clients.csv, invoices.csv) is read by the same rules. UTF-8 (a byte-order mark is skipped; text that is not valid
 * UTF-8 is read as Windows-1252, as Excel writes CSV on Windows); the separator is `,` or `;` (Excel's in countries
 * whose decimal point is a comma), whichever the first non-blank line has more of; fields in double quotes may hold
 * separators, doubled quotes and line breaks. Row n of the grid is the n-th record, blank lines included, as a
 * spreadsheet opening the file shows it, so cell addresses match.
 */
import { TextDecoder } from 'node:util';
import { tlError } from '../../core/errors.js';
import type { Cell, SheetGrid } from './sheet-grid.js';

function decode(data: Buffer): string {
  const bytes = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

function separatorOf(text: string): string {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const count = (ch: string) => first.split(ch).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

/** Splits CSV text into records of fields. Throws on a quote left open at the end. */
export function parseCsvText(text: string, sep = separatorOf(text)): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === sep) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      fields.push(field);
      records.push(fields);
      fields = [];
      field = '';
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else field += ch;
    i++;
  }
  if (quoted) throw new Error('a quoted field is not closed');
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    records.push(fields);
  }
  return records;
}

export function readCsvSheet(file: string, data: Buffer): SheetGrid {
  let records: string[][];
  try {
    records = parseCsvText(decode(data));
  } catch (e) {
    throw tlError('TL_DATA_BAD_WORKBOOK', { file, reason: `it is not valid CSV: ${(e as Error).message}` });
  }
  const name = file.replace(/^.*[/\\]/, '').replace(/\.[^.]*$/, '');
  const rows: Cell[][] = records.map((r) => r.map((v) => (v.trim() === '' ? null : v.trim())));
  return { name, file, rows, date1904: false };
}

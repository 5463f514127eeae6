/**
 * One sheet's rows read against its spec (retail-schema.ts): the header found (headers.ts), then every non-blank
 * row below it turned into a record of the sheet's fields, each cell converted by its kind (cell-values.ts). Every
 * cell that breaks a rule becomes an issue naming `Sheet!Cell`, the field, the rule and the value; a row with an
 * issue is marked bad and its other cells are still checked, so one pass reports every error.
 */
import {
  dateValue,
  decimalValue,
  emailValue,
  lineNumberValue,
  type Parsed,
  textValue,
  timestampValue,
} from './cell-values.js';
import { findHeader, HEADER_SCAN_ROWS, type HeaderMatch } from './headers.js';
import type { FieldSpec, SheetSpec } from './retail-schema.js';
import { type Cell, cellAddress, cellText, isEmptyCell, type SheetGrid } from './sheet-grid.js';

export type Severity = 'error' | 'warning';

export interface Issue {
  severity: Severity;
  /** The sheet as the user named it (a CSV file: its file name). */
  sheet: string;
  /** `E14`, or a row range `3:3` for a whole header row. */
  cell: string;
  field: string | null;
  /** A rule id of docs/retail.md (`positive`, `required`, `duplicate`, …). */
  rule: string;
  value: string | null;
  /** `Invoices!E14: quantity "-3" must be a positive number`. */
  message: string;
}

export type FieldValue = string | number | null;

export interface SheetRow {
  /** 1-based row of the sheet. */
  row: number;
  record: Record<string, FieldValue>;
  /** The cells' text as the sheet shows it, by field (for messages). */
  text: Record<string, string>;
  bad: boolean;
}

export interface SheetRows {
  spec: SheetSpec;
  /** The name shown in messages. */
  label: string;
  header?: HeaderMatch;
  rows: SheetRow[];
}

export function issue(
  severity: Severity,
  sheet: string,
  cell: string,
  field: string | null,
  rule: string,
  value: string | null,
  reason: string,
): Issue {
  const subject = field === null ? '' : value === null || value === '' ? `${field} ` : `${field} "${value}" `;
  return { severity, sheet, cell, field, rule, value, message: `${sheet}!${cell}: ${subject}${reason}` };
}

function convert(f: FieldSpec, c: Cell, date1904: boolean): Parsed<string | number> {
  switch (f.kind) {
    case 'id': {
      const t = textValue(c) as string;
      return t.length > 255 ? { rule: 'too-long', reason: 'is longer than 255 characters' } : { value: t };
    }
    case 'text':
      return { value: textValue(c) as string };
    case 'email':
      return emailValue(c);
    case 'money':
      return decimalValue(c, 2, { min: 'not-negative', intDigits: 10 });
    case 'stock':
      return decimalValue(c, 3, { min: 'any', intDigits: 9 });
    case 'quantity':
      return decimalValue(c, 3, { min: 'positive', intDigits: 9 });
    case 'line':
      return lineNumberValue(c);
    case 'date':
      return dateValue(c, date1904);
    case 'timestamp':
      return timestampValue(c, date1904);
  }
}

/** Reads a sheet's rows, adding every problem to `issues`. */
export function readSheetRows(grid: SheetGrid, spec: SheetSpec, label: string, issues: Issue[]): SheetRows {
  const out: SheetRows = { spec, label, rows: [] };
  const header = findHeader(grid, spec);
  const required = spec.fields.filter((f) => f.required).map((f) => f.field);
  if (!header) {
    issues.push(
      issue(
        'error',
        label,
        `1:${Math.min(HEADER_SCAN_ROWS, Math.max(grid.rows.length, 1))}`,
        null,
        'missing-column',
        null,
        `no header row naming ${required.join(', ')} in the first ${HEADER_SCAN_ROWS} rows`,
      ),
    );
    return out;
  }
  out.header = header;
  const missing = required.filter((f) => !header.columns.has(f));
  for (const m of missing) {
    const spec1 = spec.fields.find((x) => x.field === m) as FieldSpec;
    issues.push(
      issue(
        'error',
        label,
        `${header.row}:${header.row}`,
        null,
        'missing-column',
        null,
        `the header has no ${m} column (also recognised: ${spec1.aliases.join(', ')})`,
      ),
    );
  }
  if (missing.length > 0) return out;
  for (let r = header.row; r < grid.rows.length; r++) {
    const cells = grid.rows[r];
    if (cells.every(isEmptyCell)) continue;
    const rowNo = r + 1;
    const row: SheetRow = { row: rowNo, record: {}, text: {}, bad: false };
    for (const f of spec.fields) {
      const col = header.columns.get(f.field);
      const cell = col === undefined ? null : (cells[col] ?? null);
      if (isEmptyCell(cell)) {
        row.record[f.field] = null;
        if (f.required) {
          row.bad = true;
          issues.push(
            issue('error', label, cellAddress(col as number, rowNo), f.field, 'required', null, 'is required'),
          );
        }
        continue;
      }
      row.text[f.field] = cellText(cell);
      const p = convert(f, cell, grid.date1904);
      if ('value' in p) {
        row.record[f.field] = p.value;
      } else {
        row.record[f.field] = null;
        row.bad = true;
        issues.push(
          issue('error', label, cellAddress(col as number, rowNo), f.field, p.rule, cellText(cell), p.reason),
        );
      }
    }
    out.rows.push(row);
  }
  return out;
}

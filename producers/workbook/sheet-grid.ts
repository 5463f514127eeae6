/**
 * A sheet as the readers hand it over, whatever the file: rows of cells, `rows[0]` being row 1 of the sheet and
 * `row[0]` column A, so that every cell has its `Sheet!A1` address. Blank rows stay in place (as rows of nulls).
 *
 * A cell is text, a number (kept as its exact text: `NumberCell`), a boolean, a date (a JavaScript Date, UTC, as
 * the workbook reader decodes date-formatted cells), or null when empty.
 */

/** A numeric cell, as the digits the file stores (`12.5`, `1.5E-3`, `12.300000000000001`): never a rounded double. */
export class NumberCell {
  constructor(readonly text: string) {}
}

export type Cell = string | NumberCell | boolean | Date | null;

export interface SheetGrid {
  /** The sheet's name (a CSV file: its file name without the extension). */
  name: string;
  /** The uploaded file it came from. */
  file: string;
  rows: Cell[][];
  /** Dates counted from 1904 (workbookPr date1904): how a bare serial number in a date column is read. */
  date1904: boolean;
}

/** `A`, `B`, … `Z`, `AA`, … for a 0-based column index. */
export function columnLetters(index: number): string {
  let s = '';
  let n = index + 1;
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** `B14` for 0-based column 1 and 1-based row 14. */
export function cellAddress(column: number, row: number): string {
  return `${columnLetters(column)}${row}`;
}

export function isEmptyCell(c: Cell | undefined): boolean {
  return c === null || c === undefined || (typeof c === 'string' && c.trim() === '');
}

/** A cell as the text a user would recognise in a message (`"-3"`, `2026-02-30`). */
export function cellText(c: Cell | undefined): string {
  if (c === null || c === undefined) return '';
  if (c instanceof NumberCell) return c.text;
  if (c instanceof Date) {
    const iso = Number.isNaN(c.getTime()) ? 'invalid date' : c.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  return String(c);
}

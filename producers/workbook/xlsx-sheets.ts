/**
 * The sheets of a guarded .xlsx (workbook-guard.ts) as grids (sheet-grid.ts), read with `read-excel-file`:
 * numeric cells keep their stored digits (`parseNumber`), date-formatted cells become Dates in the workbook's date
 * system (1900 or 1904), formulas give their cached values, strings are trimmed. Only the sheets asked for are
 * parsed; their names come from xl/workbook.xml, which the guard has already unpacked.
 */
import readXlsxFile from 'read-excel-file/node';
import { tlError } from '../../core/errors.js';
import { type Cell, NumberCell, type SheetGrid } from './sheet-grid.js';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Sheet names in workbook order, from the text of xl/workbook.xml. */
export function sheetNames(workbookXml: string): string[] {
  const names: string[] = [];
  for (const m of workbookXml.matchAll(/<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"/g)) {
    names.push(
      m[1].replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
        e[0] === '#'
          ? String.fromCodePoint(e[1].toLowerCase() === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)))
          : ENTITIES[e.toLowerCase()],
      ),
    );
  }
  return names;
}

/** Reads `names` (sheets of the workbook) from the rebuilt archive. */
export async function readXlsxSheets(
  file: string,
  archive: Buffer,
  names: readonly string[],
  date1904: boolean,
): Promise<SheetGrid[]> {
  if (names.length === 0) return [];
  let sheets: { sheet: string; data: Cell[][] }[];
  try {
    // `sheets` (read only these) is an option the library supports but does not type
    const opts = { parseNumber: (s: string) => new NumberCell(s), trim: true, sheets: [...names] };
    sheets = (await readXlsxFile(archive, opts as Parameters<typeof readXlsxFile>[1])) as unknown as {
      sheet: string;
      data: Cell[][];
    }[];
  } catch (e) {
    const err = e as Error & { code?: string };
    const reason =
      err.name === 'InvalidInputError'
        ? `it is not a readable .xlsx workbook (${err.code ?? err.message})`
        : `its contents are damaged (${err.message})`;
    throw tlError('TL_DATA_BAD_WORKBOOK', { file, reason }, e);
  }
  return sheets.map((s) => ({ name: s.sheet, file, rows: s.data, date1904 }));
}

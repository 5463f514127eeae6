/**
 * The files of one upload — an .xlsx workbook, or CSV files, or both — turned into the sheets the retail schema
 * knows (retail-schema.ts): Products, Clients, Invoices, matched by sheet or file name (headers.ts). A workbook is
 * guarded first (workbook-guard.ts); sheets with other names are not read, and the upload says so once.
 */
import { tlError } from '../../core/errors.js';
import { readCsvSheet } from './csv-sheet.js';
import { isSheetNamed } from './headers.js';
import { SHEETS, type SheetName } from './retail-schema.js';
import type { SheetGrid } from './sheet-grid.js';
import { checkFileSize, guardWorkbook, type WorkbookLimits } from './workbook-guard.js';
import { readXlsxSheets, sheetNames } from './xlsx-sheets.js';

export interface UploadFile {
  /** The file's name as uploaded (its extension and, for CSV, its name matter). */
  name: string;
  data: Buffer;
}

export interface UploadSheet {
  grid: SheetGrid;
  /** How messages name the sheet: the workbook's sheet name, or the CSV file's name. */
  label: string;
}

export interface UploadSheets {
  sheets: Partial<Record<SheetName, UploadSheet>>;
  /** Said once: sheets and files left out. */
  notices: string[];
}

const baseName = (f: string) => f.replace(/^.*[/\\]/, '');

function isZip(data: Buffer): boolean {
  return data.length >= 4 && data.readUInt32LE(0) === 0x04034b50;
}

export async function readUploadFiles(files: readonly UploadFile[], limits: WorkbookLimits): Promise<UploadSheets> {
  if (files.length === 0) throw tlError('TL_DATA_BAD_WORKBOOK', { file: 'the upload', reason: 'it has no file' });
  const out: UploadSheets = { sheets: {}, notices: [] };
  const put = (name: SheetName, s: UploadSheet) => {
    const prev = out.sheets[name];
    if (prev) {
      throw tlError('TL_DATA_BAD_WORKBOOK', {
        file: baseName(s.grid.file),
        reason: `${name} is given twice (${prev.label} of ${baseName(prev.grid.file)} and ${s.label})`,
      });
    }
    out.sheets[name] = s;
  };
  for (const f of files) {
    const file = baseName(f.name);
    checkFileSize(file, f.data.length, limits);
    const looksXlsx = /\.(xlsx|xlsm|xltx|xltm|xls|xlsb)$/i.test(file);
    if (isZip(f.data) || looksXlsx || (f.data.length >= 4 && f.data.readUInt32BE(0) === 0xd0cf11e0)) {
      const g = guardWorkbook(file, f.data, limits);
      const names = sheetNames(g.workbookXml);
      const wanted = new Map<string, SheetName>();
      for (const n of names) {
        const spec = SHEETS.find((s) => isSheetNamed(n, s, false));
        if (spec && ![...wanted.values()].includes(spec.sheet)) wanted.set(n, spec.sheet);
        else out.notices.push(`sheet "${n}" of ${file} is not Products, Clients or Invoices: ignored`);
      }
      for (const grid of await readXlsxSheets(file, g.archive, [...wanted.keys()], g.date1904)) {
        put(wanted.get(grid.name) as SheetName, { grid, label: grid.name });
      }
      continue;
    }
    const grid = readCsvSheet(file, f.data);
    const spec = SHEETS.find((s) => isSheetNamed(grid.name, s, true));
    if (spec) put(spec.sheet, { grid, label: file });
    else out.notices.push(`${file} is not named after Products, Clients or Invoices: ignored`);
  }
  if (Object.keys(out.sheets).length === 0) {
    throw tlError('TL_DATA_BAD_WORKBOOK', {
      file: files.map((f) => baseName(f.name)).join(', '),
      reason: `no sheet or file named Products, Clients or Invoices (${out.notices.join('; ')})`,
    });
  }
  return out;
}

/**
 * Workbooks written by a writer other than ticklake's own: Debian's python3-openpyxl or python3-xlsxwriter, run
 * with /usr/bin/python3 (producers/workbook/test/fixtures/write_workbook.py). Under CI a missing module is a failure
 * (tools.ts), elsewhere the tests that need it skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_PYTHON } from './tools.js';

export type PyCell =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'date'; v: string }
  | { t: 'datetime'; v: string }
  | { t: 'formula'; f: string; v: number };

export interface PyWorkbookSpec {
  writer: 'openpyxl' | 'xlsxwriter';
  epoch1904?: boolean;
  sheets: { name: string; cells: [number, number, PyCell][] }[];
  /** Parts added to the ZIP afterwards (a vbaProject.bin, an external link). */
  extra_parts?: Record<string, string>;
}

const SCRIPT = join(import.meta.dirname, '..', '..', 'producers', 'workbook', 'test', 'fixtures', 'write_workbook.py');

/** True when /usr/bin/python3 has both writers; throws under CI=true when not. */
export function pythonWritersAvailable(): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', 'import openpyxl, xlsxwriter'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('python3-openpyxl and python3-xlsxwriter are required under CI');
    return false;
  }
}

/** Writes the workbook and returns its bytes. */
export function pythonWorkbook(spec: PyWorkbookSpec): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'ticklake-pywb-'));
  try {
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    execFileSync(DEBIAN_PYTHON, [SCRIPT, join(dir, 'spec.json'), join(dir, 'out.xlsx')], { stdio: 'pipe' });
    return readFileSync(join(dir, 'out.xlsx'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Cells of a sheet from rows starting at `firstRow` (0-based), skipping undefined cells. */
export function rowsToCells(rows: (PyCell | undefined)[][], firstRow = 0): [number, number, PyCell][] {
  const out: [number, number, PyCell][] = [];
  rows.forEach((row, r) => {
    row.forEach((cell, c) => {
      if (cell) out.push([firstRow + r, c, cell]);
    });
  });
  return out;
}

export const s = (v: string): PyCell => ({ t: 'str', v });
export const n = (v: number): PyCell => ({ t: 'num', v });
export const d = (v: string): PyCell => ({ t: 'date', v });
export const dt = (v: string): PyCell => ({ t: 'datetime', v });

/**
 * A minimal .xlsx writer for the workbooks `ticklake generate retail` makes (Office Open XML SpreadsheetML, the
 * parts Excel, LibreOffice and read-excel-file need): text in the shared-strings table, numbers, dates as serial
 * numbers with a date format (1900 system), and formulas with their cached value. Nothing else: no styles beyond
 * the date format, no column widths.
 */
import { cellAddress } from './sheet-grid.js';
import { deflateEntry, writeZip } from './zip-write.js';

export type WriteCell = string | number | Date | { formula: string; value: number } | null | undefined;

export interface WriteSheet {
  name: string;
  rows: WriteCell[][];
}

const esc = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const DAY = 86_400_000;

/** The 1900-system serial number of a UTC date (from 1900-03-01 on). */
function serial(d: Date): number {
  return d.getTime() / DAY + 25_569;
}

function sheetXml(rows: readonly WriteCell[][], strings: Map<string, number>): string {
  const out: string[] = [`${XML}<worksheet xmlns="${NS}"><sheetData>`];
  rows.forEach((cells, r) => {
    const row: string[] = [];
    cells.forEach((c, col) => {
      if (c === null || c === undefined || c === '') return;
      const ref = cellAddress(col, r + 1);
      if (typeof c === 'string') {
        let i = strings.get(c);
        if (i === undefined) {
          i = strings.size;
          strings.set(c, i);
        }
        row.push(`<c r="${ref}" t="s"><v>${i}</v></c>`);
      } else if (typeof c === 'number') {
        row.push(`<c r="${ref}"><v>${c}</v></c>`);
      } else if (c instanceof Date) {
        row.push(`<c r="${ref}" s="1"><v>${serial(c)}</v></c>`);
      } else {
        row.push(`<c r="${ref}"><f>${esc(c.formula)}</f><v>${c.value}</v></c>`);
      }
    });
    if (row.length > 0) out.push(`<row r="${r + 1}">${row.join('')}</row>`);
  });
  out.push('</sheetData></worksheet>');
  return out.join('');
}

/** The bytes of an .xlsx file holding `sheets`. */
export function writeXlsx(sheets: readonly WriteSheet[]): Buffer {
  const strings = new Map<string, number>();
  const sheetParts = sheets.map((s) => sheetXml(s.rows, strings));
  const sst = [`${XML}<sst xmlns="${NS}" count="${strings.size}" uniqueCount="${strings.size}">`];
  for (const s of strings.keys()) sst.push(`<si><t xml:space="preserve">${esc(s)}</t></si>`);
  sst.push('</sst>');
  const files: [string, string][] = [
    [
      '[Content_Types].xml',
      `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' +
        sheets
          .map(
            (_, i) =>
              `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
          )
          .join('') +
        '</Types>',
    ],
    [
      '_rels/.rels',
      `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        `<Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
    [
      'xl/workbook.xml',
      `${XML}<workbook xmlns="${NS}" xmlns:r="${REL}"><sheets>` +
        sheets.map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
        '</sheets></workbook>',
    ],
    [
      'xl/_rels/workbook.xml.rels',
      `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        sheets
          .map(
            (_, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
          )
          .join('') +
        `<Relationship Id="rId${sheets.length + 1}" Type="${REL}/styles" Target="styles.xml"/>` +
        `<Relationship Id="rId${sheets.length + 2}" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/>` +
        '</Relationships>',
    ],
    [
      'xl/styles.xml',
      `${XML}<styleSheet xmlns="${NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>` +
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>' +
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' +
        '</styleSheet>',
    ],
    ['xl/sharedStrings.xml', sst.join('')],
    ...sheetParts.map((x, i): [string, string] => [`xl/worksheets/sheet${i + 1}.xml`, x]),
  ];
  return writeZip(files.map(([name, text]) => deflateEntry(name, Buffer.from(text, 'utf8'))));
}

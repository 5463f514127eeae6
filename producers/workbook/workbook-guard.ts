/**
 * What an uploaded .xlsx must pass before any of it is unpacked (docs/retail.md, "Limits"):
 *
 * 1. its size is at most `maxBytes`;
 * 2. it is a ZIP archive (an OLE2 file is a legacy .xls or a password-protected workbook: refused with that said);
 * 3. from the central directory alone (zip-directory.ts): at most MAX_ENTRIES files, no macros (`vbaProject.bin`,
 *    Excel 4.0 macro sheets), no external links or data connections (`xl/externalLinks/`, `xl/connections.xml`),
 *    no encryption, only stored or deflated entries, and the declared unpacked sizes summing to at most
 *    `maxUnpacked` — a zip bomb is refused here, before anything is inflated;
 * 4. every entry then unpacks to exactly its declared size and CRC, each bounded by it (zip-repack.ts), into a
 *    rebuilt archive that is what the reader gets.
 *
 * Returns the rebuilt archive, xl/workbook.xml and whether the workbook counts dates from 1904 (`<workbookPr date1904="1"/>`), which
 * the cell parser needs for date serial numbers that carry no date format.
 */
import { tlError } from '../../core/errors.js';
import { readZipDirectory, ZipFormatError } from './zip-directory.js';
import { verifyAndRepack, ZipSizeError } from './zip-repack.js';

export interface WorkbookLimits {
  /** Largest file accepted, bytes. */
  maxBytes: number;
  /** Largest total unpacked size of a workbook's parts, bytes. */
  maxUnpacked: number;
}

/** Files in one workbook archive; a real workbook has a few dozen. */
export const MAX_ENTRIES = 10_000;

export interface GuardedWorkbook {
  archive: Buffer;
  date1904: boolean;
  /** The text of xl/workbook.xml (sheet names). */
  workbookXml: string;
}

const MACRO_PARTS = [/(^|\/)vbaProject\.bin$/i, /(^|\/)vbaProjectSignature\.bin$/i, /^xl\/macrosheets\//i];
const LINK_PARTS = [/^xl\/externalLinks\//i, /^xl\/connections\.xml$/i];

/** Throws TL_DATA_FILE_TOO_LARGE when `size` exceeds the limit. */
export function checkFileSize(file: string, size: number, limits: WorkbookLimits): void {
  if (size > limits.maxBytes) {
    throw tlError('TL_DATA_FILE_TOO_LARGE', { file, size, limit: limits.maxBytes });
  }
}

export function guardWorkbook(file: string, buf: Buffer, limits: WorkbookLimits): GuardedWorkbook {
  checkFileSize(file, buf.length, limits);
  const bad = (reason: string) => tlError('TL_DATA_BAD_WORKBOOK', { file, reason });
  if (buf.length >= 8 && buf.readUInt32BE(0) === 0xd0cf11e0) {
    throw bad('it is a legacy .xls workbook or a password-protected one: save it as an unprotected .xlsx workbook');
  }
  if (buf.length < 4 || buf.readUInt32LE(0) !== 0x04034b50) {
    throw bad('it is not an .xlsx workbook (an .xlsx file is a ZIP archive)');
  }
  if (/\.(xlsm|xltm|xlam)$/i.test(file)) throw tlError('TL_DATA_MACROS', { file, part: 'its macro-enabled type' });
  let entries: ReturnType<typeof readZipDirectory>;
  try {
    entries = readZipDirectory(buf, MAX_ENTRIES);
  } catch (e) {
    if (e instanceof ZipFormatError) throw bad(`the ZIP archive is damaged: ${e.message}`);
    throw e;
  }
  for (const e of entries) {
    if (MACRO_PARTS.some((re) => re.test(e.name))) throw tlError('TL_DATA_MACROS', { file, part: e.name });
    if (LINK_PARTS.some((re) => re.test(e.name))) throw tlError('TL_DATA_EXTERNAL_LINKS', { file, part: e.name });
  }
  let total = 0;
  for (const e of entries) {
    if (e.flags & 0x1) throw bad(`${e.name} is encrypted`);
    if (e.method !== 0 && e.method !== 8) throw bad(`${e.name} uses compression method ${e.method} (not deflate)`);
    if (e.method === 0 && e.compressedSize !== e.uncompressedSize) throw bad(`${e.name} has inconsistent sizes`);
    total += e.uncompressedSize;
  }
  if (total > limits.maxUnpacked) {
    throw tlError('TL_DATA_UNPACKED_TOO_LARGE', {
      file,
      reason: `its parts would unpack to ${total} bytes; nothing was unpacked`,
      limit: limits.maxUnpacked,
    });
  }
  try {
    const { archive, kept } = verifyAndRepack(buf, entries, (n) => n === 'xl/workbook.xml');
    const wb = kept.get('xl/workbook.xml')?.toString('utf8') ?? '';
    const date1904 = /<(?:\w+:)?workbookPr\b[^>]*\bdate1904="(?:1|true)"/.test(wb);
    return { archive, date1904, workbookXml: wb };
  } catch (e) {
    if (e instanceof ZipSizeError) {
      throw tlError('TL_DATA_UNPACKED_TOO_LARGE', {
        file,
        reason: `${e.entry} unpacks to more than the ${e.declared} bytes it declares; unpacking stopped there`,
        limit: limits.maxUnpacked,
      });
    }
    if (e instanceof ZipFormatError) throw bad(`the ZIP archive is damaged: ${e.message}`);
    throw e;
  }
}

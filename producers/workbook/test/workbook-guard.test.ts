/**
 * The guard in front of the workbook reader: a zip bomb is refused from its central directory before anything is
 * unpacked; an entry lying about its size stops at the declared size; bytes hidden outside the central directory
 * never reach the reader; macro-enabled, externally linked, legacy and damaged files are refused, each with its
 * code; a plain workbook passes and reads the same after the rebuild.
 */
import { createDeflateRaw, deflateRawSync } from 'node:zlib';
import { crc32 } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../../core/errors.js';
import { n, pythonWorkbook, pythonWritersAvailable, rowsToCells, s } from '../../../test/helpers/python-workbook.js';
import { guardWorkbook } from '../workbook-guard.js';
import { readXlsxSheets, sheetNames } from '../xlsx-sheets.js';
import { writeXlsx } from '../xlsx-writer.js';
import { readZipDirectory } from '../zip-directory.js';
import { type PackedEntry, writeZip } from '../zip-write.js';

const LIMITS = { maxBytes: 10 * 2 ** 20, maxUnpacked: 64 * 2 ** 20 };
const haveWriters = pythonWritersAvailable();

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isTicklakeError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'passed';
}

/** `size` zero bytes deflated, without ever holding them in memory. */
async function deflatedZeros(size: number): Promise<Buffer> {
  const z = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  z.on('data', (b: Buffer) => out.push(b));
  const done = new Promise((r) => z.on('end', r));
  const chunk = Buffer.alloc(2 ** 20);
  for (let left = size; left > 0; left -= chunk.length) {
    if (!z.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  return Buffer.concat(out);
}

/** A zero-filled Buffer's CRC-32, computed a megabyte at a time. */
function zerosCrc(size: number): number {
  const chunk = Buffer.alloc(2 ** 20);
  let c = 0;
  for (let left = size; left > 0; left -= chunk.length)
    c = crc32(left >= chunk.length ? chunk : chunk.subarray(0, left), c);
  return c >>> 0;
}

const small = writeXlsx([
  {
    name: 'Products',
    rows: [
      ['product_id', 'name'],
      ['P1', 'Milk'],
    ],
  },
]);

describe('workbook guard', () => {
  it('a plain workbook passes; the rebuilt archive holds the same entries and reads the same', async () => {
    const g = guardWorkbook('shop.xlsx', small, LIMITS);
    expect(readZipDirectory(g.archive, 100).map((e) => e.name)).toEqual(
      readZipDirectory(small, 100).map((e) => e.name),
    );
    expect(sheetNames(g.workbookXml)).toEqual(['Products']);
    const [sheet] = await readXlsxSheets('shop.xlsx', g.archive, ['Products'], g.date1904);
    expect(sheet.rows).toEqual([
      ['product_id', 'name'],
      ['P1', 'Milk'],
    ]);
  });

  it('a zip bomb (300 MB of zeros in 300 kB) is refused from its directory, memory untouched', async () => {
    const size = 300 * 2 ** 20;
    const data = await deflatedZeros(size);
    const bomb = writeZip([
      ...readZipDirectory(small, 100)
        .map((e) => ({ ...e, data: Buffer.alloc(0) }))
        .slice(0, 0),
      { name: 'xl/worksheets/sheet1.xml', method: 8, crc32: zerosCrc(size), data, uncompressedSize: size },
    ]);
    expect(bomb.length).toBeLessThan(1 << 20);
    const before = process.memoryUsage().rss;
    expect(codeOf(() => guardWorkbook('bomb.xlsx', bomb, { maxBytes: 2 ** 30, maxUnpacked: 256 * 2 ** 20 }))).toBe(
      `TL_DATA_UNPACKED_TOO_LARGE: bomb.xlsx: its parts would unpack to ${size} bytes; nothing was unpacked; refused (--max-unpacked-size is ${256 * 2 ** 20} bytes)`,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 2 ** 20);
  });

  it('a directory that declares 4 GB for a few bytes is refused by the declared size (nothing unpacked)', () => {
    const entry: PackedEntry = {
      name: 'a.xml',
      method: 8,
      crc32: 0,
      data: deflateRawSync('x'),
      uncompressedSize: 0xfffffff0,
    };
    expect(codeOf(() => guardWorkbook('big.xlsx', writeZip([entry]), LIMITS))).toMatch(/^TL_DATA_UNPACKED_TOO_LARGE/);
  });

  it('an entry that lies about its size stops unpacking at the declared size', async () => {
    const size = 200 * 2 ** 20;
    const lying: PackedEntry = {
      name: 'xl/worksheets/sheet1.xml',
      method: 8,
      crc32: 0,
      data: await deflatedZeros(size),
      uncompressedSize: 1000,
    };
    const before = process.memoryUsage().rss;
    expect(codeOf(() => guardWorkbook('liar.xlsx', writeZip([lying]), LIMITS))).toBe(
      `TL_DATA_UNPACKED_TOO_LARGE: liar.xlsx: xl/worksheets/sheet1.xml unpacks to more than the 1000 bytes it declares; unpacking stopped there; refused (--max-unpacked-size is ${LIMITS.maxUnpacked} bytes)`,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 2 ** 20);
  });

  it('bytes hidden between the entries, outside the central directory, never reach the reader', async () => {
    const hiddenSize = 100 * 2 ** 20;
    const hidden = writeZip([
      {
        name: 'xl/worksheets/sheet9.xml',
        method: 8,
        crc32: 0,
        data: await deflatedZeros(hiddenSize),
        uncompressedSize: hiddenSize,
      },
    ]);
    // the hidden local entry (without its own directory) first, then the real workbook with its offsets moved
    const local = hidden.subarray(
      0,
      readZipDirectory(hidden, 10)[0].compressedSize + 30 + 'xl/worksheets/sheet9.xml'.length,
    );
    const entries = readZipDirectory(small, 100);
    const shifted = Buffer.concat([local, small]);
    // rewrite the central directory offsets of the real entries by the hidden bytes' length
    const eocd = shifted.length - 22;
    const cd = shifted.readUInt32LE(eocd + 16) + local.length;
    shifted.writeUInt32LE(cd, eocd + 16);
    for (let p = cd, i = 0; i < entries.length; i++) {
      shifted.writeUInt32LE(shifted.readUInt32LE(p + 42) + local.length, p + 42);
      p += 46 + shifted.readUInt16LE(p + 28) + shifted.readUInt16LE(p + 30) + shifted.readUInt16LE(p + 32);
    }
    expect(shifted.includes(Buffer.from('sheet9.xml'))).toBe(true);
    const g = guardWorkbook('hidden.xlsx', shifted, LIMITS);
    expect(g.archive.length).toBeLessThan(small.length + 100);
    expect(g.archive.includes(Buffer.from('sheet9.xml'))).toBe(false);
    const [sheet] = await readXlsxSheets('hidden.xlsx', g.archive, ['Products'], false);
    expect(sheet.rows[1]).toEqual(['P1', 'Milk']);
  });

  it('a damaged entry (CRC) and bytes that are not a workbook are refused, saying why', () => {
    const bad = Buffer.from(small);
    const [e] = readZipDirectory(bad, 100);
    const cdh = bad.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bad.writeUInt32LE((e.crc32 ^ 1) >>> 0, cdh + 16);
    expect(codeOf(() => guardWorkbook('crc.xlsx', bad, LIMITS))).toMatch(
      /^TL_DATA_BAD_WORKBOOK: crc.xlsx cannot be read: the ZIP archive is damaged: .* fails its CRC check$/,
    );
    const ole = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(512)]);
    expect(codeOf(() => guardWorkbook('old.xls', ole, LIMITS))).toMatch(
      /legacy \.xls workbook or a password-protected one/,
    );
    expect(codeOf(() => guardWorkbook('x.xlsx', Buffer.from('name,price\n'), LIMITS))).toMatch(
      /not an \.xlsx workbook/,
    );
    expect(codeOf(() => guardWorkbook('cut.xlsx', small.subarray(0, small.length - 30), LIMITS))).toMatch(
      /^TL_DATA_BAD_WORKBOOK: cut.xlsx cannot be read: the ZIP archive is damaged/,
    );
  });

  it('a file over the size limit is refused before anything else', () => {
    expect(codeOf(() => guardWorkbook('big.xlsx', small, { ...LIMITS, maxBytes: 100 }))).toBe(
      `TL_DATA_FILE_TOO_LARGE: big.xlsx is ${small.length} bytes, more than the limit of 100 (--max-upload-size)`,
    );
  });

  it.skipIf(!haveWriters)('macro-enabled and externally linked workbooks (written by openpyxl) are refused', () => {
    const base = {
      writer: 'openpyxl' as const,
      sheets: [
        {
          name: 'Products',
          cells: rowsToCells([
            [s('product_id'), s('name')],
            [s('P1'), n(1)],
          ]),
        },
      ],
    };
    const plain = pythonWorkbook(base);
    expect(codeOf(() => guardWorkbook('plain.xlsx', plain, LIMITS))).toBe('passed');
    expect(codeOf(() => guardWorkbook('plain.xlsm', plain, LIMITS))).toBe(
      'TL_DATA_MACROS: plain.xlsm is a macro-enabled workbook (its macro-enabled type): save it as a plain .xlsx workbook without macros',
    );
    const vba = pythonWorkbook({ ...base, extra_parts: { 'xl/vbaProject.bin': 'Attribute VB_Name = "Module1"' } });
    expect(codeOf(() => guardWorkbook('shop.xlsx', vba, LIMITS))).toBe(
      'TL_DATA_MACROS: shop.xlsx is a macro-enabled workbook (xl/vbaProject.bin): save it as a plain .xlsx workbook without macros',
    );
    const linked = pythonWorkbook({
      ...base,
      extra_parts: { 'xl/externalLinks/externalLink1.xml': '<externalLink/>' },
    });
    expect(codeOf(() => guardWorkbook('shop.xlsx', linked, LIMITS))).toBe(
      'TL_DATA_EXTERNAL_LINKS: shop.xlsx links to other workbooks or data sources (xl/externalLinks/externalLink1.xml): break the links and save it again',
    );
  });
});

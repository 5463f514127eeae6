/**
 * The central directory of a ZIP archive (an .xlsx file is one), read from the bytes without inflating anything:
 * every entry's name, compression method, flags, CRC, compressed and uncompressed sizes and where its local header
 * is. ZIP64 records are followed. This is what the workbook guard (workbook-guard.ts) judges a file by before any
 * of it is unpacked: the sizes an archive declares are known from its last few kilobytes.
 *
 * Layout (APPNOTE.TXT 6.3): … local headers and data … central directory … [zip64 end record, zip64 locator]
 * end-of-central-directory record (22 bytes + a comment of up to 65,535 bytes).
 */

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate; anything else is refused by the guard. */
  method: number;
  /** General purpose bit flags (bit 0: encrypted, bit 3: sizes in a data descriptor). */
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** A structural problem of the archive; the guard turns it into TL_DATA_BAD_WORKBOOK. */
export class ZipFormatError extends Error {}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDH_SIG = 0x02014b50;
export const LOCAL_HEADER_SIG = 0x04034b50;

/** Reads the central directory. Throws ZipFormatError when the bytes are not a ZIP archive one can trust. */
export function readZipDirectory(buf: Buffer, maxEntries: number): ZipEntry[] {
  const eocd = findEndRecord(buf);
  let count = buf.readUInt16LE(eocd + 10);
  let cdSize = buf.readUInt32LE(eocd + 12);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || buf.readUInt32LE(loc) !== ZIP64_LOCATOR_SIG) throw new ZipFormatError('ZIP64 locator missing');
    const z = num64(buf, loc + 8);
    if (z + 56 > buf.length || buf.readUInt32LE(z) !== ZIP64_EOCD_SIG) throw new ZipFormatError('ZIP64 end missing');
    count = num64(buf, z + 32);
    cdSize = num64(buf, z + 40);
    cdOffset = num64(buf, z + 48);
  }
  if (count > maxEntries) throw new ZipFormatError(`it holds ${count} files, more than ${maxEntries}`);
  if (cdOffset + cdSize > buf.length) throw new ZipFormatError('the central directory lies outside the file');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CDH_SIG) throw new ZipFormatError('bad central directory');
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc32 = buf.readUInt32LE(p + 16);
    let compressedSize = buf.readUInt32LE(p + 20);
    let uncompressedSize = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let localHeaderOffset = buf.readUInt32LE(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > buf.length) throw new ZipFormatError('bad central directory');
    const name = buf.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
    // ZIP64 extended information: the 8-byte values of the fields that hold 0xFFFFFFFF, in this order
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = buf.readUInt16LE(x);
      const size = buf.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let f = x + 4;
        const take = () => {
          if (f + 8 > x + 4 + size) throw new ZipFormatError(`bad ZIP64 field of ${name}`);
          const v = num64(buf, f);
          f += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      x += 4 + size;
    }
    entries.push({ name, method, flags, crc32, compressedSize, uncompressedSize, localHeaderOffset });
    p = end;
  }
  return entries;
}

/** Where an entry's compressed data starts (after its local header, whose name and extra lengths may differ). */
export function entryDataOffset(buf: Buffer, e: ZipEntry): number {
  const h = e.localHeaderOffset;
  if (h + 30 > buf.length || buf.readUInt32LE(h) !== LOCAL_HEADER_SIG) {
    throw new ZipFormatError(`the local header of ${e.name} is missing`);
  }
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
  if (start + e.compressedSize > buf.length) throw new ZipFormatError(`the data of ${e.name} runs past the end`);
  return start;
}

/** A file shorter than the record's 22 bytes has none either: the scan below starts before its first byte. */
function findEndRecord(buf: Buffer): number {
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG && i + 22 + buf.readUInt16LE(i + 20) <= buf.length) return i;
  }
  throw new ZipFormatError('no end-of-central-directory record');
}

/** A little-endian 64-bit unsigned value that must fit a double exactly (sizes and offsets). */
function num64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('a ZIP64 size is out of range');
  return Number(v);
}

/**
 * Unpacks a ZIP archive's entries one at a time with a hard bound, and writes the ones kept into a new, plain
 * archive. The guard (workbook-guard.ts) has already judged the declared sizes; this makes them true:
 *
 * - each entry is inflated with zlib's `maxOutputLength` set to the size its central directory declares, so an
 *   entry that lies about its size stops at that size (a "lying" zip bomb) instead of filling memory, and its
 *   length and CRC-32 must match what was declared;
 * - the new archive holds exactly the entries of the central directory, with the sizes verified here. The workbook
 *   reader streams an archive from its local headers, so handing it the original bytes would let data hidden
 *   between the entries (never listed in the directory) be unpacked too; handing it the rebuilt archive does not.
 *
 * The compressed bytes are copied as they are (nothing is compressed again).
 */
import { inflateRawSync } from 'node:zlib';
import { crc32 } from '@node-rs/crc32';
import { entryDataOffset, type ZipEntry, ZipFormatError } from './zip-directory.js';
import { type PackedEntry, writeZip } from './zip-write.js';

export class ZipSizeError extends Error {
  constructor(
    readonly entry: string,
    readonly declared: number,
  ) {
    super(`${entry} declares ${declared} bytes but unpacks to more`);
  }
}

/**
 * Inflates one entry, never producing more than its declared size. Throws ZipSizeError when it would, and
 * ZipFormatError when the data is corrupt or does not match the declared length or CRC.
 */
export function inflateEntry(buf: Buffer, e: ZipEntry): Buffer {
  const start = entryDataOffset(buf, e);
  const raw = buf.subarray(start, start + e.compressedSize);
  let out: Buffer;
  if (e.method === 0) {
    out = raw;
  } else if (e.uncompressedSize === 0) {
    out = Buffer.alloc(0);
  } else {
    try {
      out = inflateRawSync(raw, { maxOutputLength: e.uncompressedSize });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw new ZipSizeError(e.name, e.uncompressedSize);
      throw new ZipFormatError(`${e.name} is corrupt (${(err as Error).message})`);
    }
  }
  if (out.length !== e.uncompressedSize) {
    if (out.length > e.uncompressedSize) throw new ZipSizeError(e.name, e.uncompressedSize);
    throw new ZipFormatError(`${e.name} unpacks to ${out.length} bytes, not the ${e.uncompressedSize} declared`);
  }
  if (crc32(out) >>> 0 !== e.crc32 >>> 0) throw new ZipFormatError(`${e.name} fails its CRC check`);
  return out;
}

/**
 * Verifies every entry of `entries` (inflateEntry) and returns a new archive of them, plus the unpacked bytes of the
 * entries `keep` asks for (small ones the caller reads itself, such as xl/workbook.xml).
 */
export function verifyAndRepack(
  buf: Buffer,
  entries: readonly ZipEntry[],
  keep: (name: string) => boolean = () => false,
): { archive: Buffer; kept: Map<string, Buffer> } {
  const kept = new Map<string, Buffer>();
  const packed: PackedEntry[] = [];
  for (const e of entries) {
    const data = inflateEntry(buf, e);
    if (keep(e.name)) kept.set(e.name, data);
    const start = entryDataOffset(buf, e);
    packed.push({
      name: e.name,
      method: e.method,
      crc32: e.crc32,
      data: buf.subarray(start, start + e.compressedSize),
      uncompressedSize: e.uncompressedSize,
    });
  }
  return { archive: writeZip(packed), kept };
}

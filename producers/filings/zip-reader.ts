/**
 * Reads the members of a ZIP archive (the SEC's quarterly FSDS zips): stored and deflated members, no encryption.
 * The central directory is read by producers/workbook/zip-directory.ts, the reader the workbook guard uses (ZIP64
 * records followed, every offset checked against the file); an archive it cannot trust names what is wrong.
 */
import { readFile } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { tlError } from '../../core/errors.js';
import { entryDataOffset, readZipDirectory, ZipFormatError } from '../workbook/zip-directory.js';

export interface ZipMember {
  name: string;
  /** Uncompressed size from the central directory. */
  size: number;
  read(): Buffer;
}

/** The members of the archive at `path`, by name (folders left out). */
export async function readZip(path: string): Promise<Map<string, ZipMember>> {
  const buf = await readFile(path);
  const bad = (reason: string) => tlError('TL_DATA_BAD_FILE', { file: path, reason });
  const structural = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ZipFormatError) throw bad(`not a ZIP archive (${e.message})`);
      throw e;
    }
  };
  const members = new Map<string, ZipMember>();
  for (const e of structural(() => readZipDirectory(buf, Number.MAX_SAFE_INTEGER))) {
    const { name, method } = e;
    if (name.endsWith('/')) continue;
    if (e.flags & 1) throw bad(`member ${name} is encrypted`);
    if (method !== 0 && method !== 8) throw bad(`member ${name} uses compression method ${method} (only 0 and 8)`);
    members.set(name, {
      name,
      size: e.uncompressedSize,
      read() {
        const start = structural(() => entryDataOffset(buf, e));
        const raw = buf.subarray(start, start + e.compressedSize);
        const out = method === 0 ? Buffer.from(raw) : inflateRawSync(raw);
        if (out.length !== e.uncompressedSize) {
          throw bad(`member ${name} inflates to ${out.length} bytes, not ${e.uncompressedSize}`);
        }
        return out;
      },
    });
  }
  return members;
}

/**
 * Writing a plain ZIP archive (no ZIP64, no data descriptors, UTF-8 names) from entries whose data is already
 * compressed (or stored). Used to rebuild a guarded workbook (zip-repack.ts) and to write generated workbooks
 * (xlsx-writer.ts).
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '@node-rs/crc32';

export interface PackedEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  crc32: number;
  data: Buffer;
  uncompressedSize: number;
}

/** Deflates `data` into an entry. */
export function deflateEntry(name: string, data: Buffer): PackedEntry {
  return { name, method: 8, crc32: crc32(data) >>> 0, data: deflateRawSync(data), uncompressedSize: data.length };
}

export function writeZip(entries: readonly PackedEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x800, 6); // UTF-8 name, sizes in this header
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc32 >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    const cdh = Buffer.alloc(46);
    cdh.writeUInt32LE(0x02014b50, 0);
    cdh.writeUInt16LE(20, 4);
    cdh.writeUInt16LE(20, 6);
    cdh.writeUInt16LE(0x800, 8);
    cdh.writeUInt16LE(e.method, 10);
    cdh.writeUInt32LE(e.crc32 >>> 0, 16);
    cdh.writeUInt32LE(e.data.length, 20);
    cdh.writeUInt32LE(e.uncompressedSize, 24);
    cdh.writeUInt16LE(name.length, 28);
    cdh.writeUInt32LE(offset, 42);
    parts.push(local, name, e.data);
    central.push(cdh, name);
    offset += 30 + name.length + e.data.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}

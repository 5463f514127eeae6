/**
 * Reads the members of a ZIP archive (the SEC's quarterly FSDS zips) from its central directory: stored and
 * deflated members, no encryption, no ZIP64 (a quarterly file is a few hundred MB at most, under the 4 GiB ZIP64
 * needs). Enough for FSDS and nothing more; an archive outside that names the member and what is missing.
 */
import { readFile } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { tlError } from '../../core/errors.js';

export interface ZipMember {
  name: string;
  /** Uncompressed size from the central directory. */
  size: number;
  read(): Buffer;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The members of the archive at `path`, by name (folders left out). */
export async function readZip(path: string): Promise<Map<string, ZipMember>> {
  const buf = await readFile(path);
  const bad = (reason: string) => tlError('TL_DATA_BAD_FILE', { file: path, reason });
  // the end-of-central-directory record: the last 22 bytes plus a comment of up to 64 KiB
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('not a ZIP archive (no end-of-central-directory record)');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  if (at === 0xffffffff || count === 0xffff) throw bad('ZIP64 archives are not supported');
  const members = new Map<string, ZipMember>();
  for (let n = 0; n < count; n++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) throw bad(`central directory entry ${n} is damaged`);
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    if (flags & 1) throw bad(`member ${name} is encrypted`);
    if (method !== 0 && method !== 8) throw bad(`member ${name} uses compression method ${method} (only 0 and 8)`);
    members.set(name, {
      name,
      size,
      read() {
        if (buf.readUInt32LE(local) !== LOCAL) throw bad(`local header of ${name} is damaged`);
        const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        const raw = buf.subarray(start, start + compressed);
        const out = method === 0 ? Buffer.from(raw) : inflateRawSync(raw);
        if (out.length !== size) throw bad(`member ${name} inflates to ${out.length} bytes, not ${size}`);
        return out;
      },
    });
  }
  return members;
}

/**
 * The stored position of `ticklake cdc`: `<offsets-dir>/offsets.json`, written atomically (temp file, fsync,
 * rename, fsync of the directory) after the broker acknowledged everything before it.
 *
 * - `resume`: where to read the binlog from again: the end of the last transaction whose every message is
 *   acknowledged (so a transaction is never split across a resume point);
 * - `partitions`: for each topic-partition written, the Kafka offset at which messages from `resume` onwards begin.
 *   After a crash, the messages found from there to the end of each partition are the ones published but not yet
 *   covered by `resume`; the restart reads them and does not publish them again (docs/cdc.md, "Exactly once").
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { tlError } from '../../core/errors.js';
import type { BinlogPosition } from './binlog-position.js';

export interface CdcOffsets {
  version: 1;
  /** The server and tables these offsets belong to: refused when they do not match (another server's offsets). */
  server: string;
  resume: BinlogPosition;
  gtid?: string;
  /** 'topic/partition' → first Kafka offset of messages from `resume` on. */
  partitions: Record<string, number>;
  /** When the snapshot ended (epoch ms), and its position. */
  snapshot?: { at: number; position: BinlogPosition; rows: number };
  updatedAt: number;
}

export class OffsetStore {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'offsets.json');
  }

  async load(): Promise<CdcOffsets | undefined> {
    if (!existsSync(this.file)) return undefined;
    const text = await readFile(this.file, 'utf8');
    try {
      const o = JSON.parse(text) as CdcOffsets;
      if (o.version !== 1 || typeof o.resume?.file !== 'string' || typeof o.resume.pos !== 'number') {
        throw new Error('version, resume.file or resume.pos missing');
      }
      o.partitions ??= {};
      return o;
    } catch (e) {
      throw tlError('TL_CDC_OFFSETS', { file: this.file, reason: (e as Error).message });
    }
  }

  async save(o: CdcOffsets): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${JSON.stringify(o, null, 1)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}

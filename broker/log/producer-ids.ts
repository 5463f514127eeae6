/**
 * Producer ids for idempotent producers (InitProducerId), from a counter persisted in
 * `<dataDir>/producer-ids.json`. Ids are reserved in blocks so that the file is written once per block,
 * and every id handed out is above any id handed out before a restart (a crash skips the rest of a block).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

const BLOCK = 1000;

export class ProducerIds {
  private next: number;
  private reservedUpTo: number;

  private constructor(
    private readonly file: string,
    start: number,
  ) {
    this.next = start;
    this.reservedUpTo = start;
  }

  static async open(dataDir: string): Promise<ProducerIds> {
    const file = join(dataDir, 'producer-ids.json');
    let start = 0;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { reservedUpTo?: unknown };
      if (typeof saved.reservedUpTo === 'number' && Number.isSafeInteger(saved.reservedUpTo))
        start = saved.reservedUpTo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new ProducerIds(file, start);
  }

  /** A new producer id (epoch 0 is the caller's). */
  allocate(): number {
    if (this.next >= this.reservedUpTo) {
      this.reservedUpTo = this.next + BLOCK;
      writeFileAtomic(this.file, `${JSON.stringify({ reservedUpTo: this.reservedUpTo })}\n`);
    }
    return this.next++;
  }

  close(): void {}
}

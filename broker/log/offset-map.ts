/**
 * The log cleaner's key → latest offset map, in one fixed buffer (as Kafka's SkimpyOffsetMap): each slot holds
 * the MD5 of a key (16 bytes) and an offset (8 bytes); open addressing with linear probing. Its memory is the
 * buffer, whatever the keys are, so the cleaner's memory does not grow with the log: when the map is full
 * (90 % of its slots), the cleaner compacts up to the last offset it could map and continues in a later pass.
 *
 * Two keys with the same MD5 would be taken as one (a chance of about 2^-128 per pair, the risk Kafka takes).
 */
import { createHash } from 'node:crypto';

const SLOT = 24;
const HASH = 16;
const MAX_LOAD = 0.9;

export class OffsetMap {
  private readonly buf: Buffer;
  readonly slots: number;
  private used = 0;

  constructor(bytes: number) {
    this.slots = Math.max(16, Math.floor(bytes / SLOT));
    this.buf = Buffer.alloc(this.slots * SLOT);
  }

  get size(): number {
    return this.used;
  }

  /** True when another new key may not fit. */
  get full(): boolean {
    return this.used >= Math.floor(this.slots * MAX_LOAD);
  }

  clear(): void {
    this.buf.fill(0);
    this.used = 0;
  }

  static hash(key: Buffer): Buffer {
    return createHash('md5').update(key).digest();
  }

  /** Sets the key's offset (a later put of the same key wins). False when the map is full and the key new. */
  put(hash: Buffer, offset: number): boolean {
    let slot = this.find(hash);
    if (slot < 0) {
      if (this.full) return false;
      slot = -slot - 1;
      hash.copy(this.buf, slot * SLOT, 0, HASH);
      this.used++;
    }
    this.buf.writeDoubleBE(offset + 1, slot * SLOT + HASH);
    return true;
  }

  /** The key's offset, or -1 when it is not in the map. */
  get(hash: Buffer): number {
    const slot = this.find(hash);
    return slot < 0 ? -1 : this.buf.readDoubleBE(slot * SLOT + HASH) - 1;
  }

  /** The key's slot, or -(free slot + 1) where it would go. */
  private find(hash: Buffer): number {
    let slot = hash.readUInt32BE(0) % this.slots;
    for (;;) {
      const at = slot * SLOT;
      if (this.buf.readDoubleBE(at + HASH) === 0) return -slot - 1;
      if (this.buf.compare(hash, 0, HASH, at, at + HASH) === 0) return slot;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
    }
  }
}

/**
 * The cleaner's building blocks on their own: reading keys and tombstones out of a record batch (plain and
 * gzip-compressed, encoded here by hand from the protocol guide), rebuilding a batch that keeps some records,
 * and the fixed-size key → offset map.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { OffsetMap } from '../log/offset-map.js';
import { crc32c } from '../protocol/crc32c.js';
import { checkBatch } from '../protocol/record-batch.js';
import { parseRecords, rebuildBatch, recordsSection } from '../protocol/records.js';

function varint(n: number): number[] {
  let u = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (u >= 0x80) {
    out.push((u & 0x7f) | 0x80);
    u = Math.floor(u / 128);
  }
  out.push(u);
  return out;
}

function field(b: Buffer | null): number[] {
  return b === null ? varint(-1) : [...varint(b.length), ...b];
}

/** A magic-2 batch of keyed records (value null = tombstone), one header each, codec 0 or gzip (1). */
function keyedBatch(records: Array<[string, string | null]>, codec: 0 | 1, baseOffset = 100): Buffer {
  const body = Buffer.concat(
    records.map(([k, v], i) => {
      const rec = Buffer.from([
        0, // attributes
        ...varint(i * 3), // timestamp delta
        ...varint(i), // offset delta
        ...field(Buffer.from(k)),
        ...field(v === null ? null : Buffer.from(v)),
        ...varint(1), // one header
        ...field(Buffer.from('h')),
        ...field(Buffer.from(`hv${i}`)),
      ]);
      return Buffer.concat([Buffer.from(varint(rec.length)), rec]);
    }),
  );
  const section = codec === 1 ? gzipSync(body) : body;
  const b = Buffer.alloc(61 + section.length);
  b.writeBigInt64BE(BigInt(baseOffset), 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt8(2, 16);
  b.writeInt16BE(codec, 21);
  b.writeInt32BE(records.length - 1, 23);
  b.writeBigInt64BE(1_700_000_000_000n, 27);
  b.writeBigInt64BE(1_700_000_000_000n + BigInt(3 * (records.length - 1)), 35);
  b.writeBigInt64BE(-1n, 43);
  b.writeInt16BE(-1, 51);
  b.writeInt32BE(-1, 53);
  b.writeInt32BE(records.length, 57);
  section.copy(b, 61);
  b.writeUInt32BE(crc32c(b, 21, b.length), 17);
  return b;
}

const RECORDS: Array<[string, string | null]> = [
  ['a', 'a1'],
  ['b', 'b1'],
  ['a', null],
  ['c', 'c1'],
  ['b', 'b2'],
];

describe('records of a batch', () => {
  for (const codec of [0, 1] as const) {
    it(`reads keys, offset deltas and tombstones, and rebuilds a batch keeping some (codec ${codec})`, () => {
      const batch = keyedBatch(RECORDS, codec);
      const section = recordsSection(batch, 0, batch.length, 1 << 20);
      const parsed = parseRecords(section, 5);
      expect(parsed.map((r) => [r.key?.toString(), r.offsetDelta, r.tombstone])).toEqual([
        ['a', 0, false],
        ['b', 1, false],
        ['a', 2, true],
        ['c', 3, false],
        ['b', 4, false],
      ]);
      // Keep the latest per key: a (tombstone, delta 2), c (3), b (4).
      const rebuilt = rebuildBatch(batch, 0, section, [parsed[2], parsed[3], parsed[4]]);
      const info = checkBatch(rebuilt, 0);
      expect(typeof info).toBe('object');
      expect(info).toMatchObject({ baseOffset: 100, lastOffsetDelta: 4, recordCount: 3 });
      // A compressed batch comes back gzip-compressed (codec 1), a plain one plain.
      expect(rebuilt.readInt16BE(21) & 7).toBe(codec);
      const again = parseRecords(recordsSection(rebuilt, 0, rebuilt.length, 1 << 20), 3);
      expect(again.map((r) => [r.key?.toString(), r.offsetDelta, r.tombstone])).toEqual([
        ['a', 2, true],
        ['c', 3, false],
        ['b', 4, false],
      ]);
    });
  }

  it('refuses a section that does not hold the count its batch claims, or a record cut short', () => {
    const batch = keyedBatch(RECORDS, 0);
    const section = recordsSection(batch, 0, batch.length, 1 << 20);
    expect(() => parseRecords(section, 6)).toThrow(/holds 5/);
    expect(() => parseRecords(section.subarray(0, section.length - 2), 5)).toThrow();
  });

  it('refuses a decompressed section above the limit (a gzip bomb)', () => {
    const batch = keyedBatch(RECORDS, 1);
    expect(() => recordsSection(batch, 0, batch.length, 10)).toThrow();
  });
});

describe('offset map', () => {
  it('keeps the last offset put for a key, and refuses new keys once 90 % full', () => {
    const m = new OffsetMap(24 * 20); // 20 slots, 18 keys
    const h = (k: string) => OffsetMap.hash(Buffer.from(k));
    expect(m.get(h('x'))).toBe(-1);
    expect(m.put(h('x'), 5)).toBe(true);
    expect(m.put(h('x'), 0)).toBe(true);
    expect(m.get(h('x'))).toBe(0);
    for (let i = 0; i < 17; i++) expect(m.put(h(`k${i}`), 1000 + i)).toBe(true);
    expect(m.full).toBe(true);
    expect(m.put(h('one-more'), 1)).toBe(false);
    expect(m.put(h('k3'), 7)).toBe(true); // an existing key still updates
    for (let i = 0; i < 17; i++) expect(m.get(h(`k${i}`))).toBe(i === 3 ? 7 : 1000 + i);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get(h('k3'))).toBe(-1);
  });
});

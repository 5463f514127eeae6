/**
 * Avro ticks (contracts/tick-avro.ts): the bytes ticklake writes are the Confluent wire format around Avro's binary
 * encoding (checked against an encoding written out by hand in this test from the Avro specification), and reading
 * judges a decoded tick with the same function as JSON, so every invalid tick gets the same reason either way.
 */
import { describe, expect, it } from 'vitest';
import { parseAvroSchema } from '../../registry/avro-schema.js';
import { parseTick, type Tick } from '../tick.js';
import { parseTickAvro, TICK_AVRO_SCHEMA, tickAvroEncoder, tickSubject } from '../tick-avro.js';

const tick: Tick = {
  v: 1,
  symbol: 'AAPL',
  exchange: 'SE1',
  assetClass: 'crypto',
  ts: 1767225600123,
  price: 187.42,
  size: 300,
};

/** Avro's long/int encoding: zigzag, then 7 bits a byte, low first (exact for |n| < 2^53). */
function varlong(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return out;
}
const str = (s: string) => [...varlong(s.length), ...Buffer.from(s)];
const dbl = (x: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return [...b];
};

const ID = 0x01020304;
const types = (id: number) =>
  id === ID ? parseAvroSchema(JSON.stringify(TICK_AVRO_SCHEMA)).type : `unknown schema id ${id} (test)`;

describe('Avro tick messages', () => {
  it('writes magic byte 0, the id big-endian, then the fields in schema order', () => {
    const body = [
      ...varlong(1),
      ...str('AAPL'),
      ...str('SE1'),
      ...varlong(1), // enum index: equity 0, crypto 1
      ...varlong(1767225600123),
      ...dbl(187.42),
      ...varlong(300),
      0, // src: union branch 0, null
      0, // seq: null
    ];
    expect([...tickAvroEncoder(ID)(tick)]).toEqual([0, 1, 2, 3, 4, ...body]);
    // with an identity: branch 1 and the value
    const identified = [...body.slice(0, -2), ...varlong(1), ...str('SE1-0a1b2c3d'), ...varlong(1), ...varlong(48213)];
    expect([...tickAvroEncoder(ID)({ ...tick, src: 'SE1-0a1b2c3d', seq: 48213 })]).toEqual([
      0,
      1,
      2,
      3,
      4,
      ...identified,
    ]);
    expect(tickSubject('ticks')).toBe('ticks-value');
  });

  it('reads back what it writes, and each encoder call returns its own bytes', () => {
    const enc = tickAvroEncoder(ID);
    const a = enc(tick);
    const b = enc({ ...tick, symbol: 'MSFT', price: 1.5 });
    expect(parseTickAvro(a, ID, types)).toEqual({ tick });
    // no identity reads as none (not as nulls), one as the JSON path reads it
    const read = parseTickAvro(a, ID, types) as { tick: Tick };
    expect(['src' in read.tick, 'seq' in read.tick]).toEqual([false, false]);
    const id = { ...tick, src: 'SE1-0a1b2c3d', seq: 48213 };
    expect(parseTickAvro(enc(id), ID, types)).toEqual({ tick: id });
    expect(parseTickAvro(b, ID, types)).toEqual({ tick: { ...tick, symbol: 'MSFT', price: 1.5 } });
  });

  it('rejects an invalid tick with the reason the JSON path gives', () => {
    const enc = tickAvroEncoder(ID);
    const bad: Tick[] = [
      { ...tick, price: -1 },
      { ...tick, price: 0 },
      { ...tick, size: 0 },
      { ...tick, ts: -5 },
      { ...tick, symbol: 'A B' },
      { ...tick, symbol: '' },
      { ...tick, exchange: 'X'.repeat(40) },
      { ...tick, v: 2 as 1 },
    ];
    for (const t of bad) {
      const json = parseTick(JSON.stringify(t));
      expect('error' in json, JSON.stringify(t)).toBe(true);
      expect(parseTickAvro(enc(t), ID, types)).toEqual(json);
    }
  });

  it("reads a tick under another writer's schema: other order, a string asset class, an extra field", () => {
    const theirs = {
      type: 'record',
      name: 'Trade',
      namespace: 'com.example',
      fields: [
        { name: 'symbol', type: 'string' },
        { name: 'price', type: 'double' },
        { name: 'size', type: 'long' },
        { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'exchange', type: 'string' },
        { name: 'assetClass', type: 'string' },
        { name: 'v', type: 'int' },
        { name: 'venueOrderId', type: ['null', 'string'], default: null },
      ],
    };
    const type = parseAvroSchema(JSON.stringify(theirs)).type;
    const frame = (value: object) => Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), type.toBuffer(value)]);
    const own = (id: number) => (id === 9 ? type : 'unknown');
    const got = parseTickAvro(frame({ ...tick, venueOrderId: 'x1' }), 9, own);
    expect(got).toEqual({ tick: { ...tick, venueOrderId: 'x1' } });
    const bond = { ...tick, assetClass: 'bond', venueOrderId: null };
    expect(parseTickAvro(frame(bond), 9, own)).toEqual(parseTick(JSON.stringify(bond)));
  });

  it('says when the id is unknown, or the bytes are not Avro of that schema', () => {
    const bytes = tickAvroEncoder(ID)(tick);
    expect(parseTickAvro(Buffer.from([0, 0, 0, 0, 42, 1, 2]), 42, types)).toEqual({
      error: 'value: unknown schema id 42 (test)',
    });
    const truncated = parseTickAvro(bytes.subarray(0, bytes.length - 3), ID, types);
    expect('error' in truncated && truncated.error).toMatch(/^value: not Avro of schema id 16909060 \(/);
    const longer = parseTickAvro(Buffer.concat([bytes, Buffer.from([7, 7])]), ID, types);
    expect(longer).toEqual({ error: 'value: not Avro of schema id 16909060 (2 bytes after the record)' });
  });
});

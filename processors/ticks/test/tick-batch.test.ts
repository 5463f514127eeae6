import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { encodeTick, parseTick, type Tick } from '../../../contracts/tick.js';
import { type PackInput, packTicks, sliceBatch, type TickBatch, transferList } from '../tick-batch.js';
import { tickAt } from './fixtures.js';

const T = 1_767_225_600_000;
const tick = (over: Partial<Tick> = {}): Tick => ({
  v: 1,
  symbol: 'AAPL',
  exchange: 'SE1',
  assetClass: 'equity',
  ts: T,
  price: 187.42,
  size: 300,
  ...over,
});

/** As kafkajs fetches them: offsets and timestamps as decimal strings, keys and values views into one response. */
function fetched(messages: { offset: number; key: Buffer | string | null; value: Buffer | string | null }[]) {
  const parts: Buffer[] = [];
  for (const m of messages) for (const v of [m.key, m.value]) if (v !== null) parts.push(Buffer.from(v));
  const response = Buffer.concat([Buffer.from('header'), ...parts]);
  let at = 6;
  const view = (v: Buffer | string | null) => {
    if (v === null) return null;
    const n = Buffer.byteLength(v);
    at += n;
    return response.subarray(at - n, at);
  };
  return messages.map((m) => ({
    offset: String(m.offset),
    timestamp: String(T + 1000 + m.offset),
    key: view(m.key),
    value: view(m.value),
  }));
}

const MIX = fetched([
  { offset: 0, key: 'AAPL', value: encodeTick(tick()) },
  { offset: 1, key: null, value: '{"v":1,' }, // not JSON
  { offset: 2, key: 'AAPL', value: encodeTick(tick({ price: -1 })) }, // schema: price
  { offset: 3, key: 'k', value: null }, // tombstone
  { offset: 4, key: '', value: '' },
  { offset: 5, key: null, value: null },
  { offset: 6, key: 'MSFT', value: encodeTick(tick({ symbol: 'MSFT', exchange: 'Börse–Zürich ✓', ts: T + 7 })) },
  { offset: 7, key: 'ÄPPL', value: encodeTick(tick({ symbol: 'ÄPPL' })) }, // multi-byte symbol: not allowed
  { offset: 8, key: 'x', value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, // not UTF-8
  {
    offset: 9,
    key: 'BTC',
    value: `{"size":2,"price":1e2,"ts":${T},"v":1,"symbol":"BTC","exchange":"SE2","assetClass":"crypto","x":[1]}`,
  },
  { offset: 2 ** 52 + 3, key: 'AAPL', value: encodeTick(tick({ ts: 4_102_444_800_000, price: 0.1, size: 2 ** 40 })) },
  { offset: 2 ** 52 + 4, key: 'AAPL', value: encodeTick(tick({ size: 0 })) }, // schema: size > 0
]);

/** Every column of message i against what parseTick says of that message alone (the independent reference). */
function expectSameAsParseTick(b: TickBatch, messages: PackInput[], partition: number): void {
  expect(b.count).toBe(messages.length);
  let r = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    expect(b.partitions[i]).toBe(partition);
    expect(b.offsets[i]).toBe(Number(m.offset));
    expect(b.timestamps[i]).toBe(m.timestamp === undefined ? Number.NaN : Number(m.timestamp));
    const p = parseTick(m.value);
    if ('tick' in p) {
      expect(b.valid[i]).toBe(1);
      expect(tickAt(b, i)).toEqual({
        symbol: p.tick.symbol,
        exchange: p.tick.exchange,
        assetClass: p.tick.assetClass,
        ts: p.tick.ts,
        price: p.tick.price,
        size: p.tick.size,
      });
    } else {
      expect(b.valid[i]).toBe(0);
      const rej = b.rejected[r++];
      expect(rej.index).toBe(i);
      expect(rej.reason).toBe(p.error);
      for (const [got, sent] of [
        [rej.key, m.key],
        [rej.value, m.value],
      ] as const) {
        if (sent === null) expect(got).toBeNull();
        else {
          expect(got).not.toBeNull();
          expect(Buffer.from(got as Uint8Array).equals(Buffer.from(sent))).toBe(true);
          // a copy of its own, not a view that would carry (or transfer) the whole fetch response
          expect((got as Uint8Array).buffer.byteLength).toBe(Buffer.byteLength(sent));
        }
      }
    }
  }
  expect(r).toBe(b.rejected.length);
}

describe('packTicks: messages parsed into columns for the trip between threads', () => {
  it('gives every message what parseTick gives it alone; rejected ones keep their exact bytes and reason', () => {
    const b = packTicks(MIX, 4);
    expectSameAsParseTick(b, MIX, 4);
    expect(b.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 7, 8, 11]);
    expect(b.strings.length).toBeLessThan(12); // a dictionary: each text once
    expect(b.offsets[10]).toBe(2 ** 52 + 3);
    expect(b.size[10]).toBe(2 ** 40);
  });

  it('packs messages given in memory, each with its partition, text or bytes, as the core does', () => {
    const inMemory: PackInput[] = [
      { partition: 2, offset: 0, key: 'AAPL', value: encodeTick(tick()) },
      { partition: 0, offset: 5, key: null, value: 'nope' },
      { partition: 2, offset: 1, key: 'Zürich', value: Buffer.from(encodeTick(tick({ exchange: 'Zürich' }))) },
    ];
    const b = packTicks(inMemory);
    expect([...b.partitions]).toEqual([2, 0, 2]);
    expectSameAsParseTick({ ...b, partitions: new Int32Array(3) }, inMemory, 0);
    expect(b.timestamps.every(Number.isNaN)).toBe(true);
  });

  it('cuts a batch into views of the same columns, the rejected messages re-counted from the cut', () => {
    const b = packTicks(MIX, 1);
    const head = sliceBatch(b, 0, 5);
    const tail = sliceBatch(b, 5, MIX.length);
    expectSameAsParseTick(head, MIX.slice(0, 5), 1);
    expectSameAsParseTick(tail, MIX.slice(5), 1);
    expect(tail.offsets.buffer).toBe(b.offsets.buffer); // views, no copy
  });

  it('moves the columns and the rejected bytes to another thread instead of copying them', async () => {
    const b = packTicks(MIX, 3);
    const arrays = [b.offsets, b.timestamps, b.valid, b.ts, b.price, b.size, b.symbol, b.exchange, b.assetClass];
    const rejectedBytes = b.rejected.flatMap((r) => [r.key, r.value]).filter((v) => v !== null && v.byteLength > 0);
    expect(rejectedBytes.length).toBeGreaterThan(0);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<TickBatch>((r) => port2.once('message', r));
    port1.postMessage(b, transferList(b));
    // detached here: moved
    for (const a of [...arrays, b.partitions]) expect(a.byteLength).toBe(0);
    for (const v of rejectedBytes) expect(v?.byteLength).toBe(0);
    const back = await received;
    port1.close();
    port2.close();
    expectSameAsParseTick(back, MIX, 3);
  });
});

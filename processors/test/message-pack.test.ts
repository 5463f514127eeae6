import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { type FetchedMessage, packBatch, type QueuedMessage, transferList, unpackBatch } from '../message-pack.js';

const msg = (offset: number, key: string | null, value: string | null, timestamp = 1_767_600_000_000 + offset) => ({
  offset: String(offset),
  timestamp: String(timestamp),
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
});

describe('message packing for the consumer thread', () => {
  it('gives back every message as fetched: offsets, timestamps, null and empty keys and values, multi-byte text', () => {
    const fetched: FetchedMessage[] = [
      msg(0, 'AAPL', '{"symbol":"AAPL"}'),
      msg(1, null, 'no key'),
      msg(2, 'k', null),
      msg(3, '', ''),
      msg(4, null, null),
      msg(2 ** 52 + 1, 'big offset', 'ok', 4_102_444_800_000),
      msg(6, 'Zürich', '€ – ✓'),
    ];
    const packed = packBatch(5, fetched);
    const out: QueuedMessage[] = [{ partition: 9, offset: 1, key: null, value: null, timestamp: 0 }];
    expect(unpackBatch(packed, out)).toBe(fetched.length);
    expect(out[0].partition).toBe(9); // appended, nothing before it touched
    const got = out.slice(1).map((m) => ({
      partition: m.partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key === null ? null : m.key.toString(),
      value: m.value === null ? null : m.value.toString(),
    }));
    expect(got).toEqual(
      fetched.map((m) => ({
        partition: 5,
        offset: Number(m.offset),
        timestamp: Number(m.timestamp),
        key: m.key === null ? null : m.key.toString(),
        value: m.value === null ? null : m.value.toString(),
      })),
    );
  });

  it('moves the arrays to another thread instead of copying them', async () => {
    const packed = packBatch(0, [msg(0, 'a', 'b')]);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<typeof packed>((r) => port2.once('message', r));
    port1.postMessage(packed, transferList(packed));
    expect(packed.bytes.byteLength).toBe(0); // detached here: moved
    const back = await received;
    port1.close();
    port2.close();
    const out: QueuedMessage[] = [];
    unpackBatch(back, out);
    expect(String(out[0].value)).toBe('b');
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import type { RunningBroker } from '../index.js';
import { RawClient } from './raw-client.js';

let broker: RunningBroker;

const embedded = useBroker('tl-broker-server', { maxFrameBytes: 1024 * 1024 });
beforeAll(() => {
  broker = embedded.broker;
});

/** Parses an ApiVersions v0-2 body by hand from the protocol guide's grammar. */
function parseV0(frame: Buffer) {
  let o = 0;
  const correlationId = frame.readInt32BE(o);
  o += 4;
  const errorCode = frame.readInt16BE(o);
  o += 2;
  const n = frame.readInt32BE(o);
  o += 4;
  const keys: Array<[number, number, number]> = [];
  for (let i = 0; i < n; i++, o += 6)
    keys.push([frame.readInt16BE(o), frame.readInt16BE(o + 2), frame.readInt16BE(o + 4)]);
  return { correlationId, errorCode, keys, rest: frame.length - o };
}

describe('broker server and ApiVersions', () => {
  it('answers ApiVersions v0 with the ranges of the implemented API modules', async () => {
    const c = await RawClient.connect(broker.port);
    c.request(18, 0, 7, Buffer.alloc(0));
    const v0 = parseV0((await c.response())!);
    expect(v0.correlationId).toBe(7);
    expect(v0.errorCode).toBe(0);
    expect(v0.rest).toBe(0);
    expect(v0.keys).toContainEqual([18, 0, 3]);
    expect(v0.keys.map((k) => k[0])).toEqual(broker.context.registry.ranges().map((r) => r.apiKey));
    c.close();
  });

  it('answers ApiVersions v3 (flexible request header, v0 response header, compact array)', async () => {
    const c = await RawClient.connect(broker.port);
    // client_software_name "t" and version "1" as compact strings, then an empty tag buffer.
    c.request(18, 3, 9, Buffer.from([2, 0x74, 2, 0x31, 0]), true);
    const f = (await c.response())!;
    expect(f.readInt32BE(0)).toBe(9);
    expect(f.readInt16BE(4)).toBe(0); // no tag buffer between correlation id and error code
    const n = f[6] - 1; // compact array length (fewer than 127 entries)
    const ranges = broker.context.registry.ranges();
    expect(n).toBe(ranges.length);
    // Each entry: key, min, max (int16 each) + empty tag buffer = 7 bytes; then throttle int32 and tags.
    const first = { key: f.readInt16BE(7), min: f.readInt16BE(9), max: f.readInt16BE(11), tags: f[13] };
    expect(first).toEqual({ key: ranges[0].apiKey, min: ranges[0].minVersion, max: ranges[0].maxVersion, tags: 0 });
    expect(f.length).toBe(7 + n * 7 + 4 + 1);
    c.close();
  });

  it('answers an unsupported ApiVersions version with error 35 in the v0 format', async () => {
    const c = await RawClient.connect(broker.port);
    c.request(18, 99, 11, Buffer.alloc(0));
    const v = parseV0((await c.response())!);
    expect(v.errorCode).toBe(35);
    expect(v.keys).toContainEqual([18, 0, 3]);
    c.close();
  });

  it('closes only the offending connection on an unknown API key, a bad frame or an oversized frame', async () => {
    const healthy = await RawClient.connect(broker.port);
    const unknown = await RawClient.connect(broker.port);
    unknown.request(4242, 0, 1, Buffer.alloc(0));
    expect(await unknown.waitClosed()).toBe(true);

    const truncated = await RawClient.connect(broker.port);
    truncated.write(Buffer.from([0, 0, 0, 3, 0, 18, 0])); // a 3-byte frame cannot hold a request header
    expect(await truncated.waitClosed()).toBe(true);

    const huge = await RawClient.connect(broker.port);
    huge.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    expect(await huge.waitClosed()).toBe(true);

    const negative = await RawClient.connect(broker.port);
    negative.write(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    expect(await negative.waitClosed()).toBe(true);

    // Regression (found by the fuzz test): a zero-size frame with nothing else buffered crashed the reader.
    const empty = await RawClient.connect(broker.port);
    empty.write(Buffer.from([0, 0, 0, 0]));
    expect(await empty.waitClosed()).toBe(true);

    healthy.request(18, 1, 5, Buffer.alloc(0));
    const v = parseV0((await healthy.response())!.subarray(0));
    expect(v.correlationId).toBe(5);
    healthy.close();
  });

  it('answers pipelined requests in order', async () => {
    const c = await RawClient.connect(broker.port);
    for (let i = 0; i < 50; i++) c.request(18, i % 3, 1000 + i, Buffer.alloc(0));
    for (let i = 0; i < 50; i++) expect((await c.response())!.readInt32BE(0)).toBe(1000 + i);
    c.close();
  });
});

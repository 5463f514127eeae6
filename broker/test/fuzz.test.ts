/**
 * Protocol fuzzing: thousands of mutated real requests (the golden frames captured from kafkajs and kcat),
 * pure random frames and frames cut short by a closing client. The broker must stay up, must reject bad frames
 * through its decoders' bounds checks (no other error logged), and a normal kafkajs client must work afterwards.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import type { RunningBroker } from '../index.js';
import { consumeAll } from './consume-all.js';
import { RawClient } from './raw-client.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const seeds = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.hex'))
  .map((f) => Buffer.from(readFileSync(join(FIXTURES, f), 'utf8').trim(), 'hex'));

/** xorshift32: reproducible runs; the seed is in the test name. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function mutate(frame: Buffer, rand: () => number): Buffer {
  const f = Buffer.from(frame);
  const kind = Math.floor(rand() * 5);
  const pos = () => Math.floor(rand() * f.length);
  switch (kind) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++) f[pos()] = Math.floor(rand() * 256);
      return f;
    case 1: // truncate (keep at least the header so the API's decoder runs)
      return f.subarray(0, Math.min(f.length, 8 + Math.floor(rand() * (f.length - 7))));
    case 2: {
      // write an extreme length or count somewhere past the header
      const at = Math.min(f.length - 4, 10 + Math.floor(rand() * Math.max(1, f.length - 14)));
      if (at >= 0) f.writeInt32BE([0x7fffffff, -2, -1, 0x10000, 0][Math.floor(rand() * 5)], at);
      return f;
    }
    case 3: // another version of the same API
      f.writeInt16BE(Math.floor(rand() * 14), 2);
      return f;
    default: // append junk
      return Buffer.concat([
        f,
        Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 40) }, () => Math.floor(rand() * 256))),
      ]);
  }
}

let broker: RunningBroker;
const errors: unknown[] = [];

const embedded = useBroker('tl-broker-fuzz', { fsync: 'never', maxFrameBytes: 1024 * 1024 });
beforeAll(async () => {
  broker = embedded.broker;
  // Record anything logged at error level: decoder crashes and handler failures are bugs, bad frames are not.
  const log = broker.context.log;
  const original = log.error.bind(log);
  log.error = ((...args: Parameters<typeof original>) => {
    errors.push(args[0]);
    original(...args);
  }) as typeof log.error;
});

function sized(frame: Buffer): Buffer {
  const s = Buffer.alloc(4);
  s.writeInt32BE(frame.length);
  return Buffer.concat([s, frame]);
}

describe('protocol fuzz (seed 20261121)', () => {
  it('survives 4000 mutated, random and cut-off frames; kafkajs works afterwards', async () => {
    expect(seeds.length).toBeGreaterThan(10);
    const rand = rng(20261121);
    let sent = 0;
    for (let conn = 0; conn < 200; conn++) {
      const c = await RawClient.connect(broker.port);
      for (let i = 0; i < 20 && !c.closed; i++) {
        const r = rand();
        let frame: Buffer;
        if (r < 0.75) frame = mutate(seeds[Math.floor(rand() * seeds.length)], rand);
        else frame = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
        c.write(sized(frame));
        sent++;
      }
      if (conn % 4 === 0) {
        // A frame announced longer than what arrives before the client hangs up.
        c.write(Buffer.concat([Buffer.from([0, 0, 1, 0]), seeds[conn % seeds.length].subarray(0, 20)]));
        sent++;
      }
      // Let the broker read what was sent before the client goes away (either side may close first).
      await c.response(2000).catch(() => null);
      c.close();
    }
    expect(sent).toBeGreaterThan(4000);
    expect(errors).toEqual([]);

    const healthy = await RawClient.connect(broker.port);
    healthy.request(18, 0, 42, Buffer.alloc(0));
    expect((await healthy.response())!.readInt32BE(0)).toBe(42);
    healthy.close();

    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'after-fuzz', messages: [{ value: 'still' }, { value: 'alive' }] });
    await producer.disconnect();
    const got = await consumeAll(kafka, 'after-fuzz', 2);
    expect(got.map((m) => m.value).sort()).toEqual(['alive', 'still']);
  });
});

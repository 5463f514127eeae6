/** librdkafka through kcat, a C client written elsewhere: metadata, a zstd round trip, an idempotent producer. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import { requireTool } from '../../test/helpers/tools.js';
import type { RunningBroker } from '../index.js';

const run = promisify(execFile);
const kcat = requireTool('kcat');

let dir: string;
let broker: RunningBroker;

const embedded = useBroker('tl-broker-kcat', { defaultPartitions: 2 });
beforeAll(() => {
  ({ dir, broker } = embedded);
});

async function kc(args: string[]): Promise<string> {
  const { stdout } = await run(kcat!, ['-b', broker.address, '-X', 'log_level=0', ...args], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/** n distinct lines of varying length (a line never contains the delimiter). */
function lines(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => `${tag}-${i}-${(i * 2654435761) % 1000003}-${'z'.repeat(i % 90)}`);
}

function digest(values: string[]): string {
  return createHash('sha256')
    .update([...values].sort().join('\n'))
    .digest('hex');
}

describe.skipIf(!kcat)('kcat (librdkafka 2.0)', () => {
  it('lists brokers and topics with -L', async () => {
    const md = JSON.parse(await kc(['-L', '-J', '-t', 'listed'])) as {
      brokers: Array<{ id: number; name: string }>;
      topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number }> }>;
    };
    expect(md.brokers).toEqual([{ id: 0, name: broker.address }]);
    expect(md.topics[0].topic).toBe('listed');
    expect(md.topics[0].partitions.map((p) => p.partition).sort()).toEqual([0, 1]);
  });

  it('round-trips 100k zstd-compressed messages (-P then -C -e)', async () => {
    const sent = lines(100_000, 'zs');
    const file = join(dir, 'zstd-input.txt');
    await writeFile(file, `${sent.join('\n')}\n`);
    await kc(['-P', '-t', 'zstd-topic', '-z', 'zstd', '-l', file]);
    const out = await kc(['-C', '-t', 'zstd-topic', '-o', 'beginning', '-e', '-f', '%s\n']);
    const got = out.split('\n').slice(0, -1);
    expect(got.length).toBe(sent.length);
    expect(digest(got)).toBe(digest(sent));
    // The batches were stored compressed: the log is far smaller than the payload.
    const logBytes = [0, 1].reduce((n, p) => n + broker.context.topics.partition('zstd-topic', p)!.sizeBytes, 0);
    expect(logBytes).toBeLessThan(sent.join('').length / 3);
  });

  it('stores gzip, snappy and lz4 batches as sent and returns them for kcat to decompress', async () => {
    const codecs = { gzip: 1, snappy: 2, lz4: 3 } as const;
    for (const [codec, id] of Object.entries(codecs)) {
      const sent = lines(3000, codec);
      const file = join(dir, `${codec}-input.txt`);
      await writeFile(file, `${sent.join('\n')}\n`);
      const topic = `codec-${codec}`;
      await kc(['-P', '-t', topic, '-p', '0', '-z', codec, '-l', file]);
      const got = (await kc(['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%s\n'])).split('\n').slice(0, -1);
      expect(digest(got)).toBe(digest(sent));
      // Stored batches still carry the producer's codec in their attributes (never decompressed). librdkafka
      // sends a batch uncompressed when compression does not shrink it (e.g. a first, tiny one), so not all do.
      const stored = (await broker.context.topics.partition(topic, 0)!.read(0, 64 * 1024 * 1024))!;
      const codecsSeen = new Set<number>();
      for (let at = 0; at < stored.length; at += stored.readInt32BE(at + 8) + 12)
        codecsSeen.add(stored.readInt16BE(at + 21) & 7);
      expect(codecsSeen).toContain(id);
    }
  });

  it('accepts an idempotent producer (enable.idempotence=true) and stores each message once', async () => {
    const sent = lines(5000, 'idem');
    const file = join(dir, 'idem-input.txt');
    await writeFile(file, `${sent.join('\n')}\n`);
    await kc(['-P', '-t', 'idem-topic', '-X', 'enable.idempotence=true', '-l', file]);
    const out = await kc(['-C', '-t', 'idem-topic', '-o', 'beginning', '-e', '-f', '%s\n']);
    const got = out.split('\n').slice(0, -1);
    expect(got.length).toBe(sent.length);
    expect(digest(got)).toBe(digest(sent));
    const hw = [0, 1].map((p) => broker.context.topics.highWatermark('idem-topic', p)!);
    expect(hw[0] + hw[1]).toBe(sent.length);
    // The batches carried a producer id from InitProducerId: the broker tracked its sequences.
    expect(broker.context.topics.partition('idem-topic', 0)!.producers.size).toBe(1);
  });
});

/** The durable log on its own: offsets, reads, torn-tail recovery, stale indexes, retention, producer state. */
import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logger } from '../../core/log.js';
import { type LogSettings, PartitionLog } from '../log/partition-log.js';
import { splitBatches } from '../protocol/record-batch.js';
import { buildBatch, readValues } from './batch-builder.js';

const log = logger('test');
let dir: string;
// -1: no retention limit (Kafka's convention).
const settings = { segmentBytes: 64 * 1024 * 1024, retentionBytes: -1, retentionMs: -1 };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-plog-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function open(
  s: Pick<LogSettings, 'segmentBytes' | 'retentionBytes' | 'retentionMs'> = settings,
): Promise<PartitionLog> {
  const full: LogSettings = {
    ...s,
    deleteRetention: true,
    compact: false,
    deleteRetentionMs: 86_400_000,
    minCompactionLagMs: 0,
    minCleanableDirtyRatio: 0.5,
  };
  return PartitionLog.open(dir, 't', 0, full, log);
}

function append(p: PartitionLog, values: string[], opts = {}) {
  const b = buildBatch(values, opts);
  const batches = splitBatches(b);
  if (typeof batches === 'string') throw new Error(batches);
  return p.append(b, batches);
}

async function readAll(p: PartitionLog, from = p.logStartOffset) {
  const out: Array<{ offset: number; value: string }> = [];
  let at = from;
  while (at < p.highWatermark) {
    const data = await p.read(at, 1000);
    if (!data) break;
    const vals = readValues(data).filter((v) => v.offset >= at);
    out.push(...vals);
    at = vals[vals.length - 1].offset + 1;
  }
  return out;
}

const segFile = () =>
  join(
    dir,
    'topics',
    't-0',
    readdirSync(join(dir, 'topics', 't-0'))
      .filter((f) => f.endsWith('.log'))
      .sort()
      .at(-1)!,
  );

describe('partition log', () => {
  it('assigns consecutive offsets and reads whole batches back, at least one above maxBytes', async () => {
    const p = await open();
    expect(append(p, ['a', 'b', 'c'])).toEqual({ errorCode: 0, baseOffset: 0, duplicate: false });
    expect(append(p, ['d'])).toEqual({ errorCode: 0, baseOffset: 3, duplicate: false });
    expect(append(p, ['x'.repeat(5000)])).toMatchObject({ baseOffset: 4 });
    expect(p.highWatermark).toBe(5);
    // Offset 1 lies inside the first batch: the whole batch comes back.
    const first = (await p.read(1, 1))!;
    expect(readValues(first).map((v) => v.offset)).toEqual([0, 1, 2]);
    const big = (await p.read(4, 10))!;
    expect(readValues(big)[0].value).toHaveLength(5000);
    expect(await p.read(5, 1000)).toBeNull();
    await p.close();
  });

  it('serves reads from the in-memory tail exactly as from the file', async () => {
    const live = await open();
    for (let i = 0; i < 40; i++)
      append(
        live,
        Array.from({ length: 1 + (i % 4) }, (_, j) => `t${i}-${j}-${'w'.repeat(i * 5)}`),
      );
    const fromFile = await open(); // a second instance over the same files: empty cache
    for (const maxBytes of [1, 300, 1000, 5000, 1_000_000]) {
      for (let offset = 0; offset < live.highWatermark; offset += 3) {
        const a = (await live.read(offset, maxBytes))!;
        const b = (await fromFile.read(offset, maxBytes))!;
        expect(a.equals(b)).toBe(true);
      }
    }
    await fromFile.close();
    await live.close();
  });

  it('forgets producers whose batches retention deleted, and producers silent for a day', async () => {
    let p = await open({ segmentBytes: 200, retentionBytes: -1, retentionMs: -1 });
    append(p, ['old'], { producerId: 1, producerEpoch: 0, baseSequence: 0 });
    for (let i = 0; i < 5; i++) append(p, [`filler-${i}-${'f'.repeat(150)}`]);
    append(p, ['recent'], { producerId: 2, producerEpoch: 0, baseSequence: 0 });
    expect(p.producers.size).toBe(2);
    await p.close();
    // Retention by size keeps only the newest segments: producer 1's only batch is gone, producer 2's is not.
    p = await open({ segmentBytes: 200, retentionBytes: 300, retentionMs: -1 });
    expect(p.producers.size).toBe(2);
    p.applyRetention();
    expect(p.logStartOffset).toBeGreaterThan(0);
    expect(await p.read(0, 1000)).toBeNull(); // below the log start: neither the file nor the tail cache has it
    expect(p.producers.size).toBe(1);
    expect(append(p, ['again'], { producerId: 1, producerEpoch: 0, baseSequence: 1 })).toEqual({ errorCode: 45 });
    expect(append(p, ['next'], { producerId: 2, producerEpoch: 0, baseSequence: 1 })).toMatchObject({ errorCode: 0 });
    p.applyRetention(Date.now() + 2 * 86_400_000);
    expect(p.producers.size).toBe(0);
    await p.close();
  });

  it('group-commits: concurrent sync() calls share fdatasyncs, and each resolves only after its append is synced', async () => {
    const p = await open();
    append(p, ['first']);
    // Count the fdatasyncs of the active segment (the file descriptor call itself stays real).
    const seg = (p as unknown as { segments: Array<{ sync(): Promise<void> }> }).segments[0];
    const real = seg.sync.bind(seg);
    let calls = 0;
    let synced = 0;
    seg.sync = async () => {
      calls++;
      const upTo = appended;
      await real();
      synced = Math.max(synced, upTo);
    };
    let appended = 1;
    const waits: Array<Promise<void>> = [];
    for (let i = 0; i < 50; i++) {
      append(p, [`m${i}`]);
      appended++;
      const mine = appended;
      waits.push(p.sync().then(() => expect(synced).toBeGreaterThanOrEqual(mine)));
    }
    await Promise.all(waits);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(2); // one in flight for the first caller, one more for everyone after
    await p.close();
  });

  it('recovers from garbage appended to the segment and from a batch cut in the middle', async () => {
    let p = await open();
    for (let i = 0; i < 10; i++) append(p, [`v${i}a`, `v${i}b`]);
    await p.close();
    const file = segFile();
    const good = statSync(file).size;
    appendFileSync(file, Buffer.from('this is not a record batch at all, just junk'));
    p = await open();
    expect(p.highWatermark).toBe(20);
    expect(statSync(file).size).toBe(good);
    expect((await readAll(p)).map((v) => v.value)).toEqual(
      Array.from({ length: 20 }, (_, i) => `v${i >> 1}${'ab'[i % 2]}`),
    );
    await p.close();

    // Cut the last batch in half: the 9 complete batches survive, and appends continue at offset 18.
    truncateSync(file, good - 10);
    p = await open();
    expect(p.highWatermark).toBe(18);
    expect(append(p, ['after'])).toMatchObject({ baseOffset: 18 });
    expect((await readAll(p)).at(-1)).toEqual({ offset: 18, value: 'after' });
    await p.close();
  });

  it('stops at a batch whose CRC does not match', async () => {
    let p = await open();
    for (let i = 0; i < 5; i++) append(p, [`c${i}`]);
    await p.close();
    const file = segFile();
    const bytes = readFileSync(file);
    // Flip one byte inside the 4th batch's records.
    const size = bytes.readInt32BE(8) + 12;
    bytes[size * 3 + 65] ^= 0xff;
    writeFileSync(file, bytes);
    p = await open();
    expect(p.highWatermark).toBe(3);
    await p.close();
  });

  it('rolls segments, rebuilds a stale index, and deletes old segments by size and by age', async () => {
    const small = { segmentBytes: 2000, retentionBytes: -1, retentionMs: -1 };
    let p = await open(small);
    for (let i = 0; i < 60; i++) append(p, [`s${i}-${'q'.repeat(200)}`], { timestamp: 1_700_000_000_000 + i * 1000 });
    await p.close();
    const files = readdirSync(join(dir, 'topics', 't-0'));
    const logs = files.filter((f) => f.endsWith('.log')).sort();
    expect(logs.length).toBeGreaterThan(5);
    expect(logs[1]).toMatch(/^0{19}[1-9]\.log$|^0{18}\d\d\.log$/);
    // A closed segment's index replaced by junk is detected and rebuilt.
    writeFileSync(join(dir, 'topics', 't-0', logs[1].replace('.log', '.index')), Buffer.from([1, 2, 3]));
    p = await open(small);
    expect((await readAll(p)).map((v) => v.offset)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // ListOffsets by time: the first batch with a timestamp at or after the one asked for (closed segments are
    // scanned, having no timestamps in memory after the restart); the log end when none is.
    expect(await p.offsetForTime(1_700_000_000_000 + 41_500)).toBe(42);
    expect(await p.offsetForTime(1_700_000_000_000 + 2_000)).toBe(2);
    expect(await p.offsetForTime(1_800_000_000_000)).toBe(60);
    await p.close();

    p = await open({ ...small, retentionBytes: 4000 });
    expect(p.applyRetention()).toBeGreaterThan(0);
    expect(p.logStartOffset).toBeGreaterThan(0);
    expect(p.sizeBytes).toBeLessThanOrEqual(4000 + 2000);
    const remaining = await readAll(p);
    expect(remaining[0].offset).toBe(p.logStartOffset);
    expect(remaining.at(-1)!.offset).toBe(59);
    await p.close();

    p = await open({ ...small, retentionMs: 60_000 });
    expect(p.applyRetention(Date.now() + 3_600_000)).toBeGreaterThan(0);
    // Everything was older than the retention time, the idle active segment too (rolled, then deleted): one
    // new empty segment is left, starting where the log ended.
    expect(readdirSync(join(dir, 'topics', 't-0')).filter((f) => f.endsWith('.log'))).toEqual([
      '00000000000000000060.log',
    ]);
    expect({ start: p.logStartOffset, end: p.highWatermark }).toEqual({ start: 60, end: 60 });
    await p.close();
  });

  it('tracks producer sequences: duplicate → original offset, gap → 45, old epoch → 47, and after restart', async () => {
    let p = await open({ segmentBytes: 300, retentionBytes: -1, retentionMs: -1 });
    const id = { producerId: 7, producerEpoch: 0 };
    expect(append(p, ['a', 'b'], { ...id, baseSequence: 0 })).toMatchObject({ baseOffset: 0 });
    expect(append(p, ['c'], { ...id, baseSequence: 2 })).toMatchObject({ baseOffset: 2 });
    expect(append(p, ['plain'])).toMatchObject({ baseOffset: 3 });
    expect(append(p, ['d'], { ...id, baseSequence: 3 })).toMatchObject({ baseOffset: 4 });
    // A retry of the second batch: not appended, answered with its original offset.
    expect(append(p, ['c'], { ...id, baseSequence: 2 })).toEqual({ errorCode: 0, baseOffset: 2, duplicate: true });
    expect(append(p, ['e'], { ...id, baseSequence: 9 })).toEqual({ errorCode: 45 });
    expect(append(p, ['f'], { producerId: 8, producerEpoch: 0, baseSequence: 5 })).toEqual({ errorCode: 45 });
    expect(p.highWatermark).toBe(5);
    await p.close();

    // Restart (several segments, state from the roll snapshot plus the active segment's batches).
    p = await open({ segmentBytes: 300, retentionBytes: -1, retentionMs: -1 });
    expect(append(p, ['a', 'b'], { ...id, baseSequence: 0 })).toEqual({ errorCode: 0, baseOffset: 0, duplicate: true });
    expect(append(p, ['d'], { ...id, baseSequence: 3 })).toEqual({ errorCode: 0, baseOffset: 4, duplicate: true });
    expect(append(p, ['e'], { ...id, baseSequence: 4 })).toMatchObject({ baseOffset: 5, duplicate: false });
    expect(append(p, ['z'], { producerId: 7, producerEpoch: 1, baseSequence: 0 })).toMatchObject({ baseOffset: 6 });
    expect(append(p, ['y'], { ...id, baseSequence: 5 })).toEqual({ errorCode: 47 });
    await p.close();
  });
});

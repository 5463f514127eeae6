import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../../core/log.js';
import { GroupLog, type GroupSnapshot, type OffsetEntry } from '../group-log.js';

const log = logger('test');
let root: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-group-log-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const fresh = () => join(root, `d${n++}`);
const entry = (topic: string, partition: number, offset: number, metadata = ''): OffsetEntry => ({
  topic,
  partition,
  offset,
  leaderEpoch: -1,
  metadata,
  commitTimestamp: 1_700_000_000_000,
});

const snapshot = (generationId: number, members: string[]): GroupSnapshot => ({
  groupId: 'g',
  generationId,
  protocolType: 'consumer',
  protocolName: 'range',
  leaderId: members[0] ?? null,
  members: members.map((memberId) => ({
    memberId,
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 3000,
    rebalanceTimeoutMs: 5000,
    metadata: Buffer.from(`meta-${memberId}`),
    assignment: Buffer.from(`asg-${memberId}`),
  })),
});

describe('GroupLog', () => {
  it('keeps the last saved membership of each group, through compaction and reopen', async () => {
    const dir = fresh();
    const a = await GroupLog.open(dir, true, log);
    await a.saveGroup(snapshot(1, ['m1']));
    await a.saveGroup(snapshot(2, ['m1', 'm2']));
    await a.commit('g', [entry('t', 0, 4)]);
    await a.close();
    const b = await GroupLog.open(dir, true, log);
    expect([...b.snapshots()]).toEqual([snapshot(2, ['m1', 'm2'])]);
    await b.saveGroup(snapshot(3, []));
    await b.close();
    const c = await GroupLog.open(dir, true, log);
    expect([...c.snapshots()]).toEqual([snapshot(3, [])]);
    expect(c.get('g', 't', 0)?.offset).toBe(4);
    await c.close();
  });

  it('keeps the latest commit per group and partition across reopen', async () => {
    const dir = fresh();
    const a = await GroupLog.open(dir, true, log);
    await a.commit('g1', [entry('t', 0, 5, 'x'), entry('t', 1, 9)]);
    await a.commit('g1', [entry('t', 0, 6, 'y')]);
    await a.commit('g2', [entry('u', 3, 1)]);
    await a.close();

    const b = await GroupLog.open(dir, true, log);
    expect(b.get('g1', 't', 0)).toEqual({
      offset: 6,
      leaderEpoch: -1,
      metadata: 'y',
      commitTimestamp: 1_700_000_000_000,
    });
    expect(b.get('g1', 't', 1)?.offset).toBe(9);
    expect(b.get('g2', 'u', 3)?.offset).toBe(1);
    expect(b.get('g2', 't', 0)).toBeUndefined();
    expect([...b.offsetGroups()].sort()).toEqual(['g1', 'g2']);
    await b.close();
  });

  it('forgets the offsets of a deleted topic in every group, also after reopen', async () => {
    const dir = fresh();
    const a = await GroupLog.open(dir, true, log);
    await a.commit('g1', [entry('gone', 0, 5), entry('kept', 0, 6)]);
    await a.commit('g2', [entry('gone', 1, 7)]);
    await a.topicDeleted('gone');
    expect([a.get('g1', 'gone', 0), a.get('g1', 'kept', 0)?.offset, a.get('g2', 'gone', 1)]).toEqual([
      undefined,
      6,
      undefined,
    ]);
    expect([...a.offsetGroups()]).toEqual(['g1']);
    await a.close();
    const b = await GroupLog.open(dir, true, log);
    expect([b.get('g1', 'gone', 0), b.get('g1', 'kept', 0)?.offset, b.get('g2', 'gone', 1)]).toEqual([
      undefined,
      6,
      undefined,
    ]);
    await b.close();
  });

  it('recovers from a torn tail: the whole records before it survive, later commits append after them', async () => {
    const dir = fresh();
    const a = await GroupLog.open(dir, true, log);
    await a.commit('g', [entry('t', 0, 1)]);
    await a.commit('g', [entry('t', 1, 2)]);
    await a.close();
    const file = join(dir, 'groups.log');
    const good = await readFile(file);
    // A crash mid-append: the first 11 bytes of a copy of the last record, then garbage on another try.
    await appendFile(file, good.subarray(0, 11));

    const b = await GroupLog.open(dir, true, log);
    expect([b.get('g', 't', 0)?.offset, b.get('g', 't', 1)?.offset]).toEqual([1, 2]);
    await b.commit('g', [entry('t', 2, 3)]);
    await b.close();
    await appendFile(file, Buffer.from('not a record at all'));

    const c = await GroupLog.open(dir, true, log);
    expect([0, 1, 2].map((p) => c.get('g', 't', p)?.offset)).toEqual([1, 2, 3]);
    await c.close();
  });

  it('stops at a record whose CRC does not match', async () => {
    const dir = fresh();
    const a = await GroupLog.open(dir, true, log);
    await a.commit('g', [entry('t', 0, 1)]); // compacted snapshot on open is empty, so this is record 1
    await a.commit('g', [entry('t', 0, 2)]);
    await a.close();
    const file = join(dir, 'groups.log');
    const buf = await readFile(file);
    const first = 8 + buf.readInt32BE(0);
    buf[first + 20] ^= 0xff; // a byte inside the second record's payload
    await writeFile(file, buf);
    const b = await GroupLog.open(dir, true, log);
    expect(b.get('g', 't', 0)?.offset).toBe(1);
    await b.close();
  });

  it('keeps its file bounded by partitions, not by the number of commits', async () => {
    const dir = fresh();
    const s = await GroupLog.open(dir, false, log);
    const meta = 'm'.repeat(100);
    let last = 0;
    for (let round = 0; round < 40; round++) {
      const commits: Promise<void>[] = [];
      for (let i = 0; i < 1000; i++) {
        last = round * 1000 + i;
        commits.push(s.commit('busy', [entry('t', i % 4, last, meta)]));
      }
      await Promise.all(commits);
    }
    // 40k commits of ~140 bytes = ~5.6 MB appended; compaction keeps the file near one record per group.
    expect((await stat(join(dir, 'groups.log'))).size).toBeLessThan(4 * 1024 * 1024);
    await s.close();
    const again = await GroupLog.open(dir, false, log);
    expect([0, 1, 2, 3].map((p) => again.get('busy', 't', p)?.offset)).toEqual([39996, 39997, 39998, 39999]);
    expect((await stat(join(dir, 'groups.log'))).size).toBeLessThan(1000);
    await again.close();
  });
});

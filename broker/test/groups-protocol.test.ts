/**
 * Group coordinator APIs over the wire with hand-built requests (from the protocol guide's grammar, see
 * wire.ts) and field-by-field parsed responses: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, in several versions each.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../index.js';
import { call, type Join, joinBody, parseJoin, parseSync, send, syncBody } from './group-wire.js';
import { RawClient } from './raw-client.js';
import { arr, cat, i8, i32, i64, str } from './wire.js';

let dir: string;
let broker: RunningBroker;
const clients: RawClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-groups-protocol-'));
  broker = await startBroker({ port: 0, dataDir: dir, groupInitialRebalanceDelayMs: 300 });
  expect(await broker.context.topics.create('t4', 4)).toBe(0);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

async function client(): Promise<RawClient> {
  const c = await RawClient.connect(broker.port);
  clients.push(c);
  return c;
}

async function heartbeat(c: RawClient, v: number, group: string, gen: number, member: string): Promise<number> {
  const cur = await call(c, 12, v, cat(str(group), i32(gen), str(member), v >= 3 ? str(null) : Buffer.alloc(0)));
  if (v >= 1) expect(cur.i32()).toBe(0);
  const code = cur.i16();
  expect(cur.left).toBe(0);
  return code;
}
/** OffsetCommit v2: group generation member retention [topic [partition offset metadata]]. */
async function commitV2(
  c: RawClient,
  group: string,
  gen: number,
  member: string,
  parts: Array<[string, number, number, string | null]>,
) {
  const cur = await call(
    c,
    8,
    2,
    cat(
      str(group),
      i32(gen),
      str(member),
      i64(-1),
      arr(parts, ([t, p, o, m]) =>
        cat(
          str(t),
          arr([0], () => cat(i32(p), i64(o), str(m))),
        ),
      ),
    ),
  );
  return cur.arr((x) => ({ topic: x.str(), partitions: x.arr((y) => [y.i32(), y.i16()]) }));
}
async function joinAlone(c: RawClient, group: string, extra: Partial<Join> = {}) {
  const j = parseJoin(
    await call(c, 11, 1, joinBody(1, { group, memberId: '', protocols: [['range', 'm']], ...extra })),
    1,
  );
  expect(j.errorCode).toBe(0);
  const s = parseSync(await call(c, 14, 0, syncBody(0, group, j.generationId, j.memberId, [[j.memberId, 'all']])), 0);
  expect(s).toEqual({ errorCode: 0, assignment: 'all' });
  return j;
}

describe('group coordinator over the wire', () => {
  it('FindCoordinator v0-2 names this broker for groups and refuses transactions', async () => {
    const c = await client();
    const v0 = await call(c, 10, 0, str('g'));
    expect([v0.i16(), v0.i32(), v0.str(), v0.i32(), v0.left]).toEqual([0, 0, '127.0.0.1', broker.port, 0]);
    for (const v of [1, 2]) {
      const r = await call(c, 10, v, cat(str('g'), i8(0)));
      expect([r.i32(), r.i16(), r.str(), r.i32(), r.str(), r.i32(), r.left]).toEqual([
        0,
        0,
        null,
        0,
        '127.0.0.1',
        broker.port,
        0,
      ]);
    }
    const tx = await call(c, 10, 1, cat(str('tx'), i8(1)));
    tx.i32();
    expect(tx.i16()).toBe(15);
  });

  it('JoinGroup v0 alone: generation 1, leader itself with its metadata; Sync, Heartbeat, Describe, Leave', async () => {
    const c = await client();
    const j = parseJoin(
      await call(c, 11, 0, joinBody(0, { group: 'solo', memberId: '', protocols: [['range', 'meta-a']] })),
      0,
    );
    expect(j).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range', leader: j.memberId });
    expect(j.memberId).toMatch(/^raw-test-/);
    expect(j.members).toEqual([{ memberId: j.memberId, instance: undefined, metadata: 'meta-a' }]);
    expect(parseSync(await call(c, 14, 0, syncBody(0, 'solo', 1, j.memberId, [[j.memberId, 'asg']])), 0)).toEqual({
      errorCode: 0,
      assignment: 'asg',
    });
    expect(await heartbeat(c, 0, 'solo', 1, j.memberId)).toBe(0);

    const d = await call(c, 15, 0, arr(['solo'], str));
    const groups = d.arr((x) => ({
      error: x.i16(),
      id: x.str(),
      state: x.str(),
      type: x.str(),
      protocol: x.str(),
      members: x.arr((y) => [y.str(), y.str(), y.str(), y.bytes()?.toString(), y.bytes()?.toString()]),
    }));
    expect(d.left).toBe(0);
    expect(groups).toEqual([
      {
        error: 0,
        id: 'solo',
        state: 'Stable',
        type: 'consumer',
        protocol: 'range',
        members: [[j.memberId, 'raw-test', '/127.0.0.1', 'meta-a', 'asg']],
      },
    ]);

    const l = await call(c, 13, 0, cat(str('solo'), str(j.memberId)));
    expect([l.i16(), l.left]).toEqual([0, 0]);
    const again = await call(c, 13, 1, cat(str('solo'), str(j.memberId)));
    expect([again.i32(), again.i16()]).toEqual([0, 25]);
    const d2 = await call(c, 15, 1, arr(['solo', 'never-seen'], str));
    d2.i32();
    const states = d2.arr((x) => {
      const s = [x.i16(), x.str(), x.str()];
      x.str();
      x.str();
      x.arr(() => 0);
      return s;
    });
    expect(states).toEqual([
      [0, 'solo', 'Empty'],
      [0, 'never-seen', 'Dead'],
    ]);
  });

  it('JoinGroup v4 with an empty member id answers MEMBER_ID_REQUIRED with an id that then joins', async () => {
    const c = await client();
    const first = parseJoin(
      await call(c, 11, 4, joinBody(4, { group: 'kip394', memberId: '', protocols: [['range', 'x']] })),
      4,
    );
    expect(first.errorCode).toBe(79);
    expect(first.memberId).toMatch(/^raw-test-/);
    expect(first.members).toEqual([]);
    const second = parseJoin(
      await call(c, 11, 4, joinBody(4, { group: 'kip394', memberId: first.memberId, protocols: [['range', 'x']] })),
      4,
    );
    expect(second).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, memberId: first.memberId });
    const unknown = parseJoin(
      await call(c, 11, 4, joinBody(4, { group: 'kip394', memberId: 'nobody', protocols: [['range', 'x']] })),
      4,
    );
    expect(unknown.errorCode).toBe(25);
  });

  it('refuses a bad group id, session timeout and an inconsistent protocol', async () => {
    const c = await client();
    const bad = (j: Join) => call(c, 11, 1, joinBody(1, j)).then((r) => parseJoin(r, 1).errorCode);
    expect(await bad({ group: '', memberId: '', protocols: [['range', 'x']] })).toBe(24);
    expect(await bad({ group: 'g-bad', memberId: '', sessionMs: 10, protocols: [['range', 'x']] })).toBe(26);
    await joinAlone(await client(), 'g-proto');
    expect(await bad({ group: 'g-proto', memberId: '', protocols: [['roundrobin', 'x']] })).toBe(23);
    expect(await bad({ group: 'g-proto', memberId: '', protocolType: 'connect', protocols: [['range', 'x']] })).toBe(
      23,
    );
    const s = parseSync(await call(c, 14, 1, syncBody(1, 'no-such-group', 1, 'm', [])), 1);
    expect(s.errorCode).toBe(25);
  });

  it('two members land in one generation, sync the leader assignment, rebalance for a third, commit by generation', async () => {
    const [ca, cb, cc] = [await client(), await client(), await client()];
    const join5 = async (c: RawClient, protocols: Array<[string, string]>, memberId = '') => {
      const p = send(c, 11, 5, joinBody(5, { group: 'pair', memberId, protocols, rebalanceMs: 15_000 }));
      return () => p().then((r) => parseJoin(r, 5));
    };
    // v5: first the member id, then the real join.
    const idA = (
      await (
        await join5(ca, [
          ['sticky', 'a0'],
          ['range', 'a1'],
        ])
      )()
    ).memberId;
    const idB = (await (await join5(cb, [['range', 'b1']]))()).memberId;
    const pa = await join5(
      ca,
      [
        ['sticky', 'a0'],
        ['range', 'a1'],
      ],
      idA,
    );
    const pb = await join5(cb, [['range', 'b1']], idB);
    const [ja, jb] = [await pa(), await pb()];
    expect(ja.generationId).toBe(jb.generationId);
    expect(ja.generationId).toBe(1);
    // 'sticky' is not supported by b, so the common protocol wins; a joined first and leads.
    expect(ja).toMatchObject({ errorCode: 0, protocolName: 'range', leader: idA, memberId: idA });
    expect(jb).toMatchObject({ errorCode: 0, protocolName: 'range', leader: idA, memberId: idB, members: [] });
    expect(ja.members.sort((x, y) => String(x.metadata).localeCompare(String(y.metadata)))).toEqual([
      { memberId: idA, instance: null, metadata: 'a1' },
      { memberId: idB, instance: null, metadata: 'b1' },
    ]);

    // The follower asks first; its answer carries what the leader assigned to it.
    const sb = send(cb, 14, 3, syncBody(3, 'pair', 1, idB, []));
    const sa = send(
      ca,
      14,
      3,
      syncBody(3, 'pair', 1, idA, [
        [idA, 'p0,p1'],
        [idB, 'p2,p3'],
      ]),
    );
    expect(parseSync(await sb(), 3)).toEqual({ errorCode: 0, assignment: 'p2,p3' });
    expect(parseSync(await sa(), 3)).toEqual({ errorCode: 0, assignment: 'p0,p1' });
    expect(await heartbeat(ca, 3, 'pair', 1, idA)).toBe(0);
    expect(await heartbeat(cb, 1, 'pair', 1, idB)).toBe(0);
    expect(await heartbeat(cb, 2, 'pair', 7, idB)).toBe(22);
    expect(await heartbeat(cb, 2, 'pair', 1, 'stranger')).toBe(25);

    const lg = await call(ca, 16, 2, Buffer.alloc(0));
    expect([lg.i32(), lg.i16()]).toEqual([0, 0]);
    expect(lg.arr((x) => [x.str(), x.str()])).toContainEqual(['pair', 'consumer']);

    // Commits: by a member of the current generation; stale generation, unknown member, unknown partition refused.
    expect(await commitV2(ca, 'pair', 1, idA, [['t4', 0, 10, 'a']])).toEqual([{ topic: 't4', partitions: [[0, 0]] }]);
    expect(await commitV2(ca, 'pair', 0, idA, [['t4', 0, 11, 'a']])).toEqual([{ topic: 't4', partitions: [[0, 22]] }]);
    expect(await commitV2(ca, 'pair', 1, 'ghost', [['t4', 0, 11, 'a']])).toEqual([
      { topic: 't4', partitions: [[0, 25]] },
    ]);
    expect(await commitV2(ca, 'pair', -1, '', [['t4', 0, 11, 'a']])).toEqual([{ topic: 't4', partitions: [[0, 25]] }]);
    expect(
      await commitV2(ca, 'pair', 1, idA, [
        ['t4', 9, 11, 'a'],
        ['nope', 0, 1, null],
      ]),
    ).toEqual([
      { topic: 't4', partitions: [[9, 3]] },
      { topic: 'nope', partitions: [[0, 3]] },
    ]);

    // A third member: the others learn of the rebalance from their heartbeats and rejoin.
    const idC = (await (await join5(cc, [['range', 'c1']]))()).memberId;
    const pc = await join5(cc, [['range', 'c1']], idC);
    expect(await heartbeat(ca, 3, 'pair', 1, idA)).toBe(27);
    // Still the current generation while preparing: a commit before rejoining is accepted.
    expect(await commitV2(cb, 'pair', 1, idB, [['t4', 2, 5, null]])).toEqual([{ topic: 't4', partitions: [[2, 0]] }]);
    const pa2 = await join5(ca, [['range', 'a1']], idA);
    expect(await heartbeat(cb, 3, 'pair', 1, idB)).toBe(27);
    const pb2 = await join5(cb, [['range', 'b1']], idB);
    const [ja2, jb2, jc2] = [await pa2(), await pb2(), await pc()];
    for (const j of [ja2, jb2, jc2]) expect(j).toMatchObject({ errorCode: 0, generationId: 2, leader: idA });
    expect(ja2.members.map((m) => m.memberId).sort()).toEqual([idA, idB, idC].sort());
    expect(await heartbeat(cb, 3, 'pair', 1, idB)).toBe(22);
    // Generation 2 is not synced yet: commits get REBALANCE_IN_PROGRESS (whatever their generation, as Kafka).
    expect(await commitV2(cb, 'pair', 2, idB, [['t4', 2, 6, null]])).toEqual([{ topic: 't4', partitions: [[2, 27]] }]);

    // LeaveGroup v3 (batch) of c: the group goes back to preparing a rebalance.
    const sc = send(cc, 14, 2, syncBody(2, 'pair', 2, idC, []));
    const sa2 = send(
      ca,
      14,
      2,
      syncBody(2, 'pair', 2, idA, [
        [idA, 'x'],
        [idB, 'y'],
        [idC, 'z'],
      ]),
    );
    expect(parseSync(await sc(), 2).assignment).toBe('z');
    expect(parseSync(await sa2(), 2).assignment).toBe('x');
    // Stable again: the old generation is refused, the new one accepted.
    expect(await commitV2(cb, 'pair', 1, idB, [['t4', 2, 6, null]])).toEqual([{ topic: 't4', partitions: [[2, 22]] }]);
    expect(await commitV2(cb, 'pair', 2, idB, [['t4', 2, 5, null]])).toEqual([{ topic: 't4', partitions: [[2, 0]] }]);
    const lv = await call(
      cc,
      13,
      3,
      cat(
        str('pair'),
        arr([idC, 'ghost'], (m) => cat(str(m), str(null))),
      ),
    );
    expect([lv.i32(), lv.i16()]).toEqual([0, 0]);
    expect(lv.arr((x) => [x.str(), x.str(), x.i16()])).toEqual([
      [idC, null, 0],
      ['ghost', null, 25],
    ]);
    expect(await heartbeat(ca, 3, 'pair', 2, idA)).toBe(27);
    expect(await heartbeat(cc, 3, 'pair', 2, idC)).toBe(25);

    const f = await call(
      ca,
      9,
      1,
      cat(
        str('pair'),
        arr(['t4'], (t) => cat(str(t), arr([0, 1, 2], i32))),
      ),
    );
    expect(f.arr((x) => [x.str(), x.arr((y) => [y.i32(), y.i64(), y.str(), y.i16()])])).toEqual([
      [
        't4',
        [
          [0, 10, 'a', 0],
          [1, -1, '', 0],
          [2, 5, '', 0],
        ],
      ],
    ]);
  });

  it('evicts a member that stops heartbeating; the other rejoins alone', async () => {
    const [ca, cb] = [await client(), await client()];
    const pa = send(
      ca,
      11,
      1,
      joinBody(1, { group: 'expire', memberId: '', sessionMs: 10_000, protocols: [['range', 'a']] }),
    );
    const pb = send(
      cb,
      11,
      1,
      joinBody(1, { group: 'expire', memberId: '', sessionMs: 400, protocols: [['range', 'b']] }),
    );
    const [ja, jb] = [parseJoin(await pa(), 1), parseJoin(await pb(), 1)];
    expect(ja.generationId).toBe(jb.generationId);
    const leader = ja.leader === ja.memberId ? { c: ca, j: ja } : { c: cb, j: jb };
    const follower = leader.j === ja ? { c: cb, j: jb } : { c: ca, j: ja };
    const sf = send(follower.c, 14, 0, syncBody(0, 'expire', ja.generationId, follower.j.memberId, []));
    const assign: Array<[string, string]> = [
      [ja.memberId, 'A'],
      [jb.memberId, 'B'],
    ];
    await call(leader.c, 14, 0, syncBody(0, 'expire', ja.generationId, leader.j.memberId, assign));
    await sf();

    // Only a heartbeats; b's 400 ms session runs out and the group starts a rebalance.
    let code = 0;
    for (let i = 0; i < 200 && code === 0; i++) {
      code = await heartbeat(ca, 0, 'expire', ja.generationId, ja.memberId);
      if (code === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(code).toBe(27);
    expect(await heartbeat(cb, 0, 'expire', jb.generationId, jb.memberId)).toBe(25);
    const again = parseJoin(
      await call(ca, 11, 1, joinBody(1, { group: 'expire', memberId: ja.memberId, protocols: [['range', 'a']] })),
      1,
    );
    expect(again).toMatchObject({ errorCode: 0, generationId: ja.generationId + 1, leader: ja.memberId });
    expect(again.members).toEqual([{ memberId: ja.memberId, instance: undefined, metadata: 'a' }]);
  });
});

describe('committed offsets across a broker restart', () => {
  it('keeps offsets and metadata (null comes back as ""), v0 simple commits included', async () => {
    const c = await client();
    expect(
      await commitV2(c, 'durable', -1, '', [
        ['t4', 0, 100, null],
        ['t4', 3, 7, 'meta-3'],
      ]),
    ).toEqual([
      { topic: 't4', partitions: [[0, 0]] },
      { topic: 't4', partitions: [[3, 0]] },
    ]);
    // v0: group [topic [partition offset metadata]], no generation.
    const v0 = await call(
      c,
      8,
      0,
      cat(
        str('durable-v0'),
        arr(['t4'], (t) =>
          cat(
            str(t),
            arr([1], (p) => cat(i32(p), i64(42), str('zero'))),
          ),
        ),
      ),
    );
    expect(v0.arr((x) => [x.str(), x.arr((y) => [y.i32(), y.i16()])])).toEqual([['t4', [[1, 0]]]]);

    await broker.close();
    broker = await startBroker({ port: 0, dataDir: dir, groupInitialRebalanceDelayMs: 300 });
    const d = await client();

    // v5 with null topics: every committed offset of the group, with leader epoch -1.
    const all = await call(d, 9, 5, cat(str('durable'), i32(-1)));
    expect(all.i32()).toBe(0);
    const topics = all.arr((x) => [x.str(), x.arr((y) => [y.i32(), y.i64(), y.i32(), y.str(), y.i16()])]);
    expect(all.i16()).toBe(0);
    expect(all.left).toBe(0);
    const t4 = topics.find((t) => t[0] === 't4')?.[1] as unknown[][];
    expect(t4.sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual([
      [0, 100, -1, '', 0],
      [3, 7, -1, 'meta-3', 0],
    ]);
    // v2: explicit partitions, one never committed, then the top-level error code.
    const some = await call(
      d,
      9,
      2,
      cat(
        str('durable-v0'),
        arr(['t4'], (t) => cat(str(t), arr([1, 2], i32))),
      ),
    );
    expect(some.arr((x) => [x.str(), x.arr((y) => [y.i32(), y.i64(), y.str(), y.i16()])])).toEqual([
      [
        't4',
        [
          [1, 42, 'zero', 0],
          [2, -1, '', 0],
        ],
      ],
    ]);
    expect([some.i16(), some.left]).toEqual([0, 0]);
    const lg = await call(d, 16, 0, Buffer.alloc(0));
    expect(lg.i16()).toBe(0);
    expect(lg.arr((x) => [x.str(), x.str()])).toEqual(
      expect.arrayContaining([
        ['durable', ''],
        ['durable-v0', ''],
      ]),
    );
  });
});

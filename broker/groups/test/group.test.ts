/** The group state machine driven directly (real timers, short timeouts): the corners clients rarely reach. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../protocol/error-codes.js';
import { Group } from '../group.js';
import type { JoinReply, JoinRequest, SyncReply } from '../member.js';

const req = (over: Partial<JoinRequest> = {}): JoinRequest => ({
  memberId: '',
  groupInstanceId: null,
  clientId: 'c',
  clientHost: '/127.0.0.1',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 300,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('m') }],
  requireKnownMemberId: false,
  ...over,
});
const join = (g: Group, over: Partial<JoinRequest> = {}) => new Promise<JoinReply>((r) => g.join(req(over), r));
const sync = (g: Group, id: string, gen: number, assign: Array<[string, string]> | null = null) =>
  new Promise<SyncReply>((r) =>
    g.sync(id, gen, assign && new Map(assign.map(([k, v]) => [k, Buffer.from(v)])), (x) => r(x)),
  );

/** Two members in one generation, synced: [leader, follower]. */
async function stablePair(g: Group): Promise<[JoinReply, JoinReply]> {
  const [x, y] = await Promise.all([join(g), join(g)]);
  const [leader, follower] = x.memberId === x.leaderId ? [x, y] : [y, x];
  const fs = sync(g, follower.memberId, follower.generationId);
  await sync(g, leader.memberId, leader.generationId, [
    [leader.memberId, 'L'],
    [follower.memberId, 'F'],
  ]);
  expect((await fs).assignment.toString()).toBe('F');
  expect(g.state).toBe('Stable');
  return [leader, follower];
}

describe('Group', () => {
  it('puts members that join during the initial delay into one generation', async () => {
    const g = new Group('g', 100);
    const [a, b] = await Promise.all([join(g), join(g)]);
    expect([a.generationId, b.generationId]).toEqual([1, 1]);
    expect(a.leaderId).toBe(b.leaderId);
    const leader = a.memberId === a.leaderId ? a : b;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    g.shutdown();
  });

  it('removes a member that keeps heartbeating but does not rejoin within the rebalance timeout', async () => {
    const g = new Group('g', 50);
    const [leader, follower] = await stablePair(g);
    const third = join(g);
    expect(g.heartbeat(follower.memberId, follower.generationId)).toBe(KafkaError.REBALANCE_IN_PROGRESS);
    const again = join(g, { memberId: leader.memberId });
    // The follower only heartbeats; after 300 ms the join completes without it.
    const [l2, t2] = await Promise.all([again, third]);
    expect(l2.generationId).toBe(2);
    expect(l2.members.map((m) => m.memberId).sort()).toEqual([leader.memberId, t2.memberId].sort());
    expect(g.heartbeat(follower.memberId, 2)).toBe(KafkaError.UNKNOWN_MEMBER_ID);
    g.shutdown();
  });

  it('answers a waiting follower with REBALANCE_IN_PROGRESS when the leader never syncs', async () => {
    const g = new Group('g', 50);
    const [x, y] = await Promise.all([join(g), join(g)]);
    const follower = x.memberId === x.leaderId ? y : x;
    const waiting = await sync(g, follower.memberId, follower.generationId);
    expect(waiting).toEqual({ errorCode: KafkaError.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
    // The silent leader was removed; the follower rejoins and leads alone.
    const again = await join(g, { memberId: follower.memberId });
    expect(again).toMatchObject({ errorCode: 0, generationId: 2, leaderId: follower.memberId });
    g.shutdown();
  });

  it('rejects a commit of an old generation and allows admin commits only when empty', async () => {
    const g = new Group('g', 50);
    expect(g.validateCommit('', -1)).toBe(KafkaError.NONE);
    const [leader] = await stablePair(g);
    expect(g.validateCommit(leader.memberId, leader.generationId)).toBe(KafkaError.NONE);
    expect(g.validateCommit(leader.memberId, leader.generationId - 1)).toBe(KafkaError.ILLEGAL_GENERATION);
    expect(g.validateCommit('', -1)).toBe(KafkaError.UNKNOWN_MEMBER_ID);
    g.shutdown();
  });

  it('evicts on session timeout and expires unclaimed MEMBER_ID_REQUIRED ids', async () => {
    const g = new Group('g', 0);
    const pending = await join(g, { requireKnownMemberId: true, sessionTimeoutMs: 150 });
    expect(pending.errorCode).toBe(KafkaError.MEMBER_ID_REQUIRED);
    expect(g.hasPending).toBe(true);
    await sleep(300);
    expect(g.hasPending).toBe(false);
    const late = await join(g, { memberId: pending.memberId });
    expect(late.errorCode).toBe(KafkaError.UNKNOWN_MEMBER_ID);

    const short = await join(g, { sessionTimeoutMs: 150 });
    await sync(g, short.memberId, short.generationId, [[short.memberId, 'x']]);
    expect(g.members.size).toBe(1);
    await sleep(400);
    expect(g.members.size).toBe(0);
    expect(g.state).toBe('Empty');
    g.shutdown();
  });

  it('lets a static member (group.instance.id) take over its old member id, fencing the old one', async () => {
    const g = new Group('g', 0);
    const first = await join(g, { groupInstanceId: 'inst-1' });
    await sync(g, first.memberId, first.generationId, [[first.memberId, 'a']]);
    const second = await join(g, { groupInstanceId: 'inst-1' });
    expect(second.errorCode).toBe(0);
    expect(second.memberId).not.toBe(first.memberId);
    expect(second.members).toEqual([
      { memberId: second.memberId, groupInstanceId: 'inst-1', metadata: Buffer.from('m') },
    ]);
    expect(g.heartbeat(first.memberId, second.generationId)).toBe(KafkaError.UNKNOWN_MEMBER_ID);
    expect(g.leave(first.memberId, 'inst-1')).toBe(KafkaError.FENCED_INSTANCE_ID);
    expect(g.leave(second.memberId, 'inst-1')).toBe(KafkaError.NONE);
    g.shutdown();
  });

  it('comes back from its snapshot Stable: members keep heartbeating and committing, silent ones expire', async () => {
    const g = new Group('g', 50);
    const [leader, follower] = await stablePair(g);
    const saved = g.snapshot();
    g.shutdown();
    // Shorter sessions for the restored copy, so the silent follower expires quickly.
    for (const m of saved.members) m.sessionTimeoutMs = 200;
    const back = Group.restore(saved, 50);
    expect(back.state).toBe('Stable');
    expect(back.leaderId).toBe(leader.memberId);
    expect(back.validateCommit(leader.memberId, leader.generationId)).toBe(KafkaError.NONE);
    expect((await sync(back, follower.memberId, follower.generationId)).assignment.toString()).toBe('F');
    let code = 0;
    for (let i = 0; i < 40 && code === 0; i++) {
      await sleep(50);
      code = back.heartbeat(leader.memberId, leader.generationId);
    }
    expect(code).toBe(KafkaError.REBALANCE_IN_PROGRESS);
    expect(back.members.has(follower.memberId)).toBe(false);
    back.shutdown();
  });

  it('answers parked requests with NOT_COORDINATOR on shutdown', async () => {
    const g = new Group('g', 10_000);
    const parked = join(g);
    g.shutdown();
    expect((await parked).errorCode).toBe(KafkaError.NOT_COORDINATOR);
    expect(g.state).toBe('Dead');
  });
});

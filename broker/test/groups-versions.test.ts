/**
 * Every advertised version of the group APIs (8-16), each request built by hand from the protocol guide's
 * grammar for that version and each response parsed field by field to its last byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../../test/helpers/broker.js';
import type { RunningBroker } from '../index.js';
import { call, joinBody, parseJoin, parseSync, syncBody } from './group-wire.js';
import { RawClient } from './raw-client.js';
import { arr, type Cursor, cat, i8, i32, i64, str } from './wire.js';

let broker: RunningBroker;
let c: RawClient;
let member = '';
let gen = 0;
const NONE = Buffer.alloc(0);

const embedded = useBroker('tl-groups-versions', { groupInitialRebalanceDelayMs: 0 });
beforeAll(async () => {
  broker = embedded.broker;
  expect(await broker.context.topics.create('tv', 8)).toBe(0);
  c = await RawClient.connect(broker.port);
  const j = parseJoin(
    await call(c, 11, 0, joinBody(0, { group: 'sweep', memberId: '', protocols: [['range', 'md']] })),
    0,
  );
  [member, gen] = [j.memberId, j.generationId];
  expect(parseSync(await call(c, 14, 0, syncBody(0, 'sweep', gen, member, [[member, 'asg']])), 0).errorCode).toBe(0);
});
afterAll(async () => {
  c.close();
});

const end = (cur: Cursor) => expect(cur.left).toBe(0);

describe('group APIs, every version', () => {
  it('OffsetCommit v0-7 and OffsetFetch v0-5', async () => {
    for (let v = 0; v <= 7; v++) {
      const part = (p: number) =>
        cat(i32(p), i64(100 + v), v >= 6 ? i32(5) : NONE, v === 1 ? i64(Date.now()) : NONE, str(`v${v}`));
      const head =
        v === 0
          ? str('sweep-simple')
          : cat(str('sweep'), i32(gen), str(member), v >= 7 ? str(null) : NONE, v >= 2 && v <= 4 ? i64(-1) : NONE);
      const r = await call(
        c,
        8,
        v,
        cat(
          head,
          arr(['tv'], (t) => cat(str(t), arr([v], part))),
        ),
      );
      if (v >= 3) expect(r.i32()).toBe(0);
      expect(r.arr((x) => [x.str(), x.arr((y) => [y.i32(), y.i16()])])).toEqual([['tv', [[v, 0]]]]);
      end(r);
    }
    for (let v = 0; v <= 5; v++) {
      const r = await call(
        c,
        9,
        v,
        cat(
          str('sweep'),
          arr(['tv'], (t) => cat(str(t), arr([1, 6, 7], i32))),
        ),
      );
      if (v >= 3) expect(r.i32()).toBe(0);
      const parts = r.arr((x) => [
        x.str(),
        x.arr((y) => [y.i32(), y.i64(), v >= 5 ? y.i32() : null, y.str(), y.i16()]),
      ]);
      if (v >= 2) expect(r.i16()).toBe(0);
      end(r);
      expect(parts).toEqual([
        [
          'tv',
          [
            [1, 101, -1, 'v1', 0],
            [6, 106, 5, 'v6', 0],
            [7, 107, 5, 'v7', 0],
          ].map((p) => (v >= 5 ? p : [p[0], p[1], null, p[3], p[4]])),
        ],
      ]);
    }
    const simple = await call(
      c,
      9,
      1,
      cat(
        str('sweep-simple'),
        arr(['tv'], (t) => cat(str(t), arr([0], i32))),
      ),
    );
    expect(simple.arr((x) => [x.str(), x.arr((y) => [y.i32(), y.i64(), y.str(), y.i16()])])).toEqual([
      ['tv', [[0, 100, 'v0', 0]]],
    ]);
    end(simple);
  });

  it('Heartbeat v0-3, SyncGroup v0-3 (Stable: the current assignment), FindCoordinator v0-2', async () => {
    for (let v = 0; v <= 3; v++) {
      const h = await call(c, 12, v, cat(str('sweep'), i32(gen), str(member), v >= 3 ? str(null) : NONE));
      if (v >= 1) expect(h.i32()).toBe(0);
      expect(h.i16()).toBe(0);
      end(h);
      expect(parseSync(await call(c, 14, v, syncBody(v, 'sweep', gen, member, [])), v)).toEqual({
        errorCode: 0,
        assignment: 'asg',
      });
    }
    for (let v = 0; v <= 2; v++) {
      const f = await call(c, 10, v, cat(str('sweep'), v >= 1 ? i8(0) : NONE));
      const got = v >= 1 ? [f.i32(), f.i16(), f.str()] : [f.i16()];
      expect([...got, f.i32(), f.str(), f.i32()]).toEqual([
        ...(v >= 1 ? [0, 0, null] : [0]),
        0,
        '127.0.0.1',
        broker.port,
      ]);
      end(f);
    }
  });

  it('DescribeGroups v0-4 and ListGroups v0-2', async () => {
    for (let v = 0; v <= 4; v++) {
      const r = await call(c, 15, v, cat(arr(['sweep'], str), v >= 3 ? i8(v === 3 ? 1 : 0) : NONE));
      if (v >= 1) expect(r.i32()).toBe(0);
      const groups = r.arr((x) => ({
        head: [x.i16(), x.str(), x.str(), x.str(), x.str()],
        members: x.arr((y) => [
          y.str(),
          ...(v >= 4 ? [y.str()] : []),
          y.str(),
          y.str(),
          y.bytes()?.toString(),
          y.bytes()?.toString(),
        ]),
        ops: v >= 3 ? x.i32() : undefined,
      }));
      end(r);
      const instance = v >= 4 ? [null] : [];
      expect(groups).toEqual([
        {
          head: [0, 'sweep', 'Stable', 'consumer', 'range'],
          members: [[member, ...instance, 'raw-test', '/127.0.0.1', 'md', 'asg']],
          // v3 asked for the authorized operations (READ|DELETE|DESCRIBE bits), v4 did not (INT32_MIN).
          ops: v === 3 ? (1 << 3) | (1 << 6) | (1 << 8) : v === 4 ? -2147483648 : undefined,
        },
      ]);
    }
    for (let v = 0; v <= 2; v++) {
      const r = await call(c, 16, v, NONE);
      if (v >= 1) expect(r.i32()).toBe(0);
      expect(r.i16()).toBe(0);
      expect(r.arr((x) => [x.str(), x.str()]).sort()).toEqual([
        ['sweep', 'consumer'],
        ['sweep-simple', ''],
      ]);
      end(r);
    }
  });

  it('JoinGroup v0-5 and LeaveGroup v0-3', async () => {
    for (let v = 0; v <= 5; v++) {
      const group = `jv${v}`;
      const body = (memberId: string) => joinBody(v, { group, memberId, protocols: [['range', `m${v}`]] });
      let j = parseJoin(await call(c, 11, v, body('')), v);
      if (v >= 4) {
        expect(j.errorCode).toBe(79);
        j = parseJoin(await call(c, 11, v, body(j.memberId)), v);
      }
      expect(j).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range', leader: j.memberId });
      expect(j.members).toEqual([{ memberId: j.memberId, instance: v >= 5 ? null : undefined, metadata: `m${v}` }]);

      const lv = Math.min(v, 3);
      const leave = await call(
        c,
        13,
        lv,
        lv >= 3
          ? cat(
              str(group),
              arr([j.memberId], (m) => cat(str(m), str(null))),
            )
          : cat(str(group), str(j.memberId)),
      );
      if (lv >= 1) expect(leave.i32()).toBe(0);
      expect(leave.i16()).toBe(0);
      if (lv >= 3) expect(leave.arr((x) => [x.str(), x.str(), x.i16()])).toEqual([[j.memberId, null, 0]]);
      end(leave);
      expect(broker.context.groups.describeGroup(group).state).toBe('Empty');
    }
  });

  it('closes the connection on bytes left after a request body, and only that one', async () => {
    const bad = await RawClient.connect(broker.port);
    bad.request(12, 0, 1, cat(str('sweep'), i32(gen), str(member), i8(0)));
    expect(await bad.waitClosed()).toBe(true);
    const h = await call(c, 12, 0, cat(str('sweep'), i32(gen), str(member)));
    expect(h.i16()).toBe(0);
  });
});

/** Hand-built JoinGroup/SyncGroup requests and parsed responses for the group tests (see wire.ts). */
import { expect } from 'vitest';
import type { RawClient } from './raw-client.js';
import { arr, bytes, Cursor, cat, i32, str } from './wire.js';

let correlation = 1;

export interface Join {
  group: string;
  memberId: string;
  sessionMs?: number;
  rebalanceMs?: number;
  protocolType?: string;
  protocols: Array<[string, string]>;
}
export function joinBody(v: number, j: Join): Buffer {
  return cat(
    str(j.group),
    i32(j.sessionMs ?? 10_000),
    v >= 1 ? i32(j.rebalanceMs ?? 10_000) : Buffer.alloc(0),
    str(j.memberId),
    v >= 5 ? str(null) : Buffer.alloc(0),
    str(j.protocolType ?? 'consumer'),
    arr(j.protocols, ([n, m]) => cat(str(n), bytes(Buffer.from(m)))),
  );
}
export function parseJoin(c: Cursor, v: number) {
  const throttle = v >= 2 ? c.i32() : undefined;
  const res = {
    errorCode: c.i16(),
    generationId: c.i32(),
    protocolName: c.str(),
    leader: c.str(),
    memberId: c.str() as string,
    members: c.arr((x) => {
      const memberId = x.str();
      const instance = v >= 5 ? x.str() : undefined;
      return { memberId, instance, metadata: x.bytes()?.toString() };
    }),
  };
  expect(throttle ?? 0).toBe(0);
  expect(c.left).toBe(0);
  return res;
}
export const syncBody = (v: number, group: string, gen: number, member: string, assign: Array<[string, string]>) =>
  cat(
    str(group),
    i32(gen),
    str(member),
    v >= 3 ? str(null) : Buffer.alloc(0),
    arr(assign, ([m, a]) => cat(str(m), bytes(Buffer.from(a)))),
  );
export function parseSync(c: Cursor, v: number) {
  if (v >= 1) expect(c.i32()).toBe(0);
  const res = { errorCode: c.i16(), assignment: c.bytes()?.toString() };
  expect(c.left).toBe(0);
  return res;
}

/** Sends a request; the returned function awaits its response and checks the correlation id. */
export function send(c: RawClient, apiKey: number, version: number, body: Buffer): () => Promise<Cursor> {
  const id = correlation++;
  c.request(apiKey, version, id, body);
  return async () => {
    const frame = await c.response(20_000);
    if (!frame) throw new Error('connection closed');
    const cur = new Cursor(frame);
    expect(cur.i32()).toBe(id);
    return cur;
  };
}
export const call = (c: RawClient, apiKey: number, version: number, body: Buffer) => send(c, apiKey, version, body)();

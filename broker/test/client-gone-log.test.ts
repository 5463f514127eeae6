/**
 * A Kafka client that goes away mid-request (issue 22's review: "broker connection aborts are logged with HTTP
 * error codes"): the broker used to say only `connection error` with the socket's message, at debug level, and
 * nothing at all for a client that closed with half a request sent. Now it logs what happened — a Kafka client
 * connection reset (or closed) by the client mid-request — with the client's id and address, the errno, how much of
 * the request had arrived and the last API it asked for; a client leaving between requests stays at debug.
 *
 * Over a real `ticklake broker` process logging JSON at info level, with raw sockets (broker/test/raw-client.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, killBrokerProcess, startBrokerProcess } from './broker-process.js';
import { RawClient } from './raw-client.js';

type Line = Record<string, unknown>;

describe('a client going away, in the broker log', () => {
  let dir: string;
  let broker: BrokerProcess;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-client-gone-'));
    broker = await startBrokerProcess(join(dir, 'data'), [], {
      TICKLAKE_LOG_LEVEL: 'info',
      TICKLAKE_LOG_FORMAT: 'json',
    });
    port = Number(broker.address.split(':').pop());
  }, 60_000);

  afterAll(async () => {
    await killBrokerProcess(broker);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A client that asks for ApiVersions (client id `raw-test`), then sends 10 bytes of a 100-byte request. */
  async function halfRequest(): Promise<{ c: RawClient; peer: string }> {
    const c = await RawClient.connect(port);
    c.request(18, 0, 1, Buffer.alloc(0));
    expect(await c.response()).not.toBeNull();
    const size = Buffer.alloc(4);
    size.writeInt32BE(100);
    c.write(Buffer.concat([size, Buffer.alloc(10)]));
    await sleep(200); // the broker has the 14 bytes
    return { c, peer: `127.0.0.1:${c.socket.localPort}` };
  }

  /** The broker's log lines about `peer`, once at least one came (or after 5 s). */
  async function linesAbout(peer: string): Promise<Line[]> {
    const end = Date.now() + 5000;
    for (;;) {
      const lines = broker
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Line)
        .filter((l) => l.peer === peer);
      if (lines.length > 0 || Date.now() > end) return lines;
      await sleep(50);
    }
  }

  it('a reset mid-request: a Kafka client connection reset, with the client id, address and what had arrived', async () => {
    const { c, peer } = await halfRequest();
    c.socket.resetAndDestroy();
    const lines = await linesAbout(peer);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      component: 'broker',
      msg: 'Kafka client connection reset by the client mid-request',
      peer,
      clientId: 'raw-test',
      errno: 'ECONNRESET',
      partialBytes: 10,
      frameBytes: 100,
      unanswered: 0,
      lastApi: 'ApiVersions',
    });
    expect(lines[0]).not.toHaveProperty('status');
  });

  it('a close mid-request: said as a close, not a reset', async () => {
    const { c, peer } = await halfRequest();
    c.socket.end();
    const lines = await linesAbout(peer);
    expect(lines.map((l) => [l.msg, l.clientId, l.errno, l.partialBytes])).toEqual([
      ['Kafka client connection closed by the client mid-request', 'raw-test', 'closed', 10],
    ]);
  });

  it('a client leaving between requests is routine: nothing at info level', async () => {
    const c = await RawClient.connect(port);
    c.request(18, 0, 1, Buffer.alloc(0));
    expect(await c.response()).not.toBeNull();
    const peer = `127.0.0.1:${c.socket.localPort}`;
    c.socket.resetAndDestroy();
    // a client that went away mid-request after it, so that the broker has surely handled this one's reset first
    const { c: later, peer: laterPeer } = await halfRequest();
    later.socket.resetAndDestroy();
    expect(await linesAbout(laterPeer)).toHaveLength(1);
    expect(await linesAbout(peer)).toEqual([]);
  });
});

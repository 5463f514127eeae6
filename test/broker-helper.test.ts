/**
 * test/helpers/broker.ts: the broker is up before the file's own beforeAll, still up in the file's own afterAll, and
 * closed, its directory removed, after every hook of the suite, also when a test failed.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../broker/index.js';
import { useBroker } from './helpers/broker.js';

/** Whether something accepts a TCP connection on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('useBroker', () => {
  let dir: string;
  let broker: RunningBroker;
  // the parent suite's after hooks run after those of the describe below, the helper's included
  afterAll(async () => {
    expect(existsSync(dir)).toBe(false);
    expect(await listening(broker.port)).toBe(false);
  });

  describe('in a describe with hooks of its own', () => {
    const embedded = useBroker('tl-broker-helper', { defaultPartitions: 2 });
    let early: unknown;
    try {
      void embedded.broker;
    } catch (e) {
      early = e;
    }
    beforeAll(() => {
      ({ dir, broker } = embedded);
    });
    // registered after useBroker: with sequence.hooks 'stack' it runs before the helper's afterAll
    afterAll(async () => {
      expect(existsSync(dir)).toBe(true);
      const admin = new Kafka({ brokers: [embedded.address], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const topics = await admin.listTopics();
      await admin.disconnect();
      expect(topics).toContain('made-by-a-test');
    });

    it('is not there while the file is collected', () => {
      expect(String(early)).toMatch(/useBroker\('tl-broker-helper'\): no broker yet/);
    });

    it('starts a broker with the options over <dir>/broker', async () => {
      expect(dir).toMatch(/[/\\]tl-broker-helper-[^/\\]+$/);
      expect(broker.context.config.dataDir).toBe(join(dir, 'broker'));
      expect(broker.context.config.defaultPartitions).toBe(2);
      expect(embedded.address).toBe(`${broker.host}:${broker.port}`);
      expect(await broker.context.topics.create('made-by-a-test', 1)).toBe(0);
      expect(await listening(broker.port)).toBe(true);
    });

    it.fails('a failing test leaves the clean-up to the hooks', () => {
      throw new Error('this test fails on purpose');
    });
  });
});

/**
 * Test helper: an embedded broker (broker/index.ts) in a fresh temp directory for the tests of one file or one
 * `describe`, started before them and closed after them. The set-up that dozens of test files used to write
 * themselves: `mkdtemp(join(tmpdir(), '<prefix>-'))`, `startBroker({ dataDir: join(dir, 'broker'), port: 0, ... })`,
 * then `broker.close()` and `rm(dir, { recursive: true, force: true })`.
 *
 *   const embedded = useBroker('tl-kafka-page', { groupInitialRebalanceDelayMs: 0 });
 *   let broker: RunningBroker;
 *   beforeAll(async () => {
 *     ({ dir, broker } = embedded);
 *     // topics, producers, a processor over join(dir, 'lake') ...
 *   });
 *   afterAll(async () => {
 *     await consumer?.disconnect(); // still has the broker
 *   });
 *
 * `useBroker` registers a `beforeAll` and an `afterAll` on the suite it is called in (the file at top level, else
 * the enclosing `describe`, whose `skipIf` then skips the broker too). The `afterAll` runs whether the tests passed or
 * failed, and also when a `beforeAll` failed (vitest runs the after hooks then too): it closes the broker and removes
 * the directory, the latter even when the close or the start threw.
 *
 * Order: call `useBroker` before registering the file's own hooks in the same suite. Vitest 3 runs `beforeAll` hooks
 * in the order they were registered and, with `sequence.hooks: 'stack'` (its default, not changed in
 * vitest.config.ts), `afterAll` hooks in the reverse order (@vitest/runner: `getSuiteHooks` reverses the after hooks
 * of a suite; a `describe`'s hooks run inside its parent's). So the broker is up before the file's `beforeAll`, and
 * the file's `afterAll` (a consumer to disconnect, a processor or app to close) runs before the broker is closed.
 * The after hooks of a suite run one after the other and stop at the first that throws: a file's own `afterAll`
 * must not throw (`?.`, `.catch(() => {})`), or this one, which runs after it, does not run.
 *
 * The getters throw until the broker has started: read them in a hook or a test, not when the file is collected.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type BrokerOptions, type RunningBroker, startBroker } from '../../broker/index.js';

export interface TestBroker {
  /** The temp directory (`<tmpdir>/<prefix>-XXXXXX`); the broker's data is in `<dir>/broker`, the rest is the test's. */
  readonly dir: string;
  readonly broker: RunningBroker;
  /** `host:port`, for a client's bootstrap list. */
  readonly address: string;
}

/**
 * Starts a broker on port 0 over `<dir>/broker` in `beforeAll` (the other options as given, else the declared
 * defaults), closes it and removes `dir` in `afterAll`. `prefix` names the temp directory, without the dash.
 */
export function useBroker(prefix: string, options: Partial<Omit<BrokerOptions, 'dataDir'>> = {}): TestBroker {
  let dir: string | undefined;
  let broker: RunningBroker | undefined;
  const started = (): RunningBroker => {
    if (!broker) throw new Error(`useBroker('${prefix}'): no broker yet, it starts in the beforeAll of its suite`);
    return broker;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
    broker = await startBroker({ port: 0, ...options, dataDir: join(dir, 'broker') });
  });
  afterAll(async () => {
    try {
      await broker?.close();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });
  return {
    get dir() {
      started();
      return dir as string;
    },
    get broker() {
      return started();
    },
    get address() {
      return started().address;
    },
  };
}

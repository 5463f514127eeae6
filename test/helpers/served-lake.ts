/**
 * A small fixed lake served by the real app on a free port, for the page tests that drive it with Chromium
 * (`browser.ts`) or fetch from it: a LakeFixture written by the test's own writer (`window-lake.ts`,
 * `sample-lake.ts`, api/test/trader-fixture.ts), then `buildApp` over it listening on 127.0.0.1.
 *
 *   let served: ServedLake;
 *   beforeAll(async () => ({ lake, base } = served = await serveLake(writeWindowLake)));
 *   afterAll(() => served?.close());
 */
import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../api/app.js';
import { LakeFixture } from './lake-fixture.js';

export interface ServedLake {
  lake: LakeFixture;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Closes the app, then the lake fixture (its directory removed). */
  close(): Promise<void>;
}

export async function serveLake(
  write: (lake: LakeFixture) => Promise<unknown>,
  options: Omit<AppOptions, 'lakeDir'> = {},
): Promise<ServedLake> {
  const lake = await LakeFixture.create();
  let app: FastifyInstance | undefined;
  try {
    await write(lake);
    app = await buildApp({ ...options, lakeDir: lake.dir });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const started = app;
    return {
      lake,
      app: started,
      base,
      close: async () => {
        await started.close();
        lake.close();
      },
    };
  } catch (e) {
    await app?.close();
    lake.close();
    throw e;
  }
}

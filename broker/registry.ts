/** Loads the API modules of broker/apis/ (files named `NN-name.ts`) and answers which versions are implemented. */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiModule } from './apis/types.js';

export interface ApiRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export class ApiRegistry {
  private readonly byKey = new Map<number, ApiModule>();

  constructor(modules: ApiModule[]) {
    for (const m of modules) {
      if (this.byKey.has(m.apiKey)) throw new Error(`two modules implement API key ${m.apiKey}`);
      if (m.minVersion > m.maxVersion) throw new Error(`${m.name}: minVersion above maxVersion`);
      this.byKey.set(m.apiKey, m);
    }
  }

  get(apiKey: number): ApiModule | undefined {
    return this.byKey.get(apiKey);
  }

  /** What ApiVersions advertises: exactly the modules present, sorted by key. */
  ranges(): ApiRange[] {
    return [...this.byKey.values()]
      .map((m) => ({ apiKey: m.apiKey, minVersion: m.minVersion, maxVersion: m.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}

/** `.ts` in the sources, `.js` in their compiled mirror (cli/compiled.js). */
const API_FILE = /^\d\d-[a-z0-9-]+\.[jt]s$/;

let cached: Promise<ApiRegistry> | undefined;

/** Loads every `broker/apis/NN-*.ts` once per process. */
export function loadRegistry(): Promise<ApiRegistry> {
  cached ??= (async () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'apis');
    const files = readdirSync(dir).filter((f) => API_FILE.test(f));
    const modules: ApiModule[] = [];
    for (const f of files) {
      const mod = (await import(join(dir, f))) as Partial<ApiModule>;
      for (const k of ['apiKey', 'name', 'minVersion', 'maxVersion', 'decode', 'handle', 'encode'] as const) {
        if (mod[k] === undefined) throw new Error(`broker/apis/${f} does not export ${k}`);
      }
      if (Number(f.slice(0, 2)) !== mod.apiKey) throw new Error(`broker/apis/${f} exports apiKey ${mod.apiKey}`);
      modules.push(mod as ApiModule);
    }
    return new ApiRegistry(modules);
  })();
  return cached;
}

// `npm run bench:suite`: the suite as `npm test` runs it, with the per-file CPU recorder (cpu-per-file.ts).
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({ test: { setupFiles: [new URL('./cpu-per-file.ts', import.meta.url).pathname] } }),
);

/**
 * core/kafkajs-pin.ts: both kafkajs patches put their modules in kafkajs's module cache through it before kafkajs
 * loads, so loading it must load nothing of kafkajs, and a module it replaces must be what kafkajs then requires.
 * Each check runs in a fresh process: this test's own process has kafkajs loaded already.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runFresh } from '../../test/helpers/fresh-process.js';
import { KAFKAJS_VERSION, kafkajsDir, kafkajsIsPinned, kafkajsSource } from '../kafkajs-pin.js';

describe('kafkajs-pin: the pinned kafkajs and the one way to replace its modules', () => {
  it('names the installed kafkajs: its version is the lockfile pin, its directory the one node resolves', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    expect(lock.packages['node_modules/kafkajs']?.version).toBe(KAFKAJS_VERSION);
    expect(kafkajsIsPinned).toBe(true);
    const pkg = createRequire(import.meta.url).resolve('kafkajs/package.json');
    expect(`${kafkajsDir}package.json`).toBe(pkg);
    expect(kafkajsSource('producer/groupMessagesPerPartition.js')).toBe(
      join(dirname(pkg), 'src', 'producer', 'groupMessagesPerPartition.js'),
    );
  });

  it('loads nothing of kafkajs, and kafkajs then requires the module put in its place', async () => {
    const code = `
      import { createRequire } from 'node:module';
      import * as pin from './core/kafkajs-pin.ts';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).filter((p) => p.startsWith(pin.kafkajsDir + 'src/')).length;
      const before = loaded();
      const path = pin.kafkajsSource('producer/groupMessagesPerPartition.js');
      const marker = () => ({});
      pin.replaceModule(path, marker);
      const cached = pin.cachedModule(path)?.exports === marker;
      require('kafkajs');
      const used = require(path) === marker;
      process.stdout.write(JSON.stringify({ before, cached, used, after: loaded() > 1 }));
    `;
    const { exit, out, err } = await runFresh(code);
    expect({ exit, err }).toEqual({ exit: 0, err: '' });
    expect(JSON.parse(out)).toEqual({ before: 0, cached: true, used: true, after: true });
  });
});

/**
 * The kafkajs ticklake is written against, and the one way it replaces a kafkajs module: its version (package-lock
 * pins it), where it is installed, and a module put in kafkajs's module cache before kafkajs requires it.
 *
 * Used by both patches, core/kafkajs.ts (the producer's grouping) and processors/kafka/kafkajs-fast-fetch.ts (the
 * consumer's record decoding), and by the code that reaches kafkajs internals (api/kafka/messages.ts,
 * registry/schemas-log.ts). It must not load kafkajs itself: a patch has to be in the cache before kafkajs loads.
 */
import { createRequire, Module } from 'node:module';

const require = createRequire(import.meta.url);

/** The kafkajs version whose internals ticklake replaces and reaches (package-lock pins it). */
export const KAFKAJS_VERSION = '2.2.4';

/** The installed kafkajs's version, read from its package.json (loads nothing of kafkajs). */
export const installedKafkajsVersion = (require('kafkajs/package.json') as { version: string }).version;

/** Whether the installed kafkajs is the pinned one, so its internals are those the patches were written for. */
export const kafkajsIsPinned = installedKafkajsVersion === KAFKAJS_VERSION;

/** The installed kafkajs's directory, ending in a slash. */
export const kafkajsDir = require.resolve('kafkajs/package.json').slice(0, -'package.json'.length);

/** The absolute path of a file of kafkajs's sources, e.g. `producer/groupMessagesPerPartition.js`. */
export function kafkajsSource(file: string): string {
  return require.resolve(`${kafkajsDir}src/${file}`);
}

/** Requires a file of kafkajs's sources (loads that file and what it requires). */
export function requireKafkajsSource<T = unknown>(file: string): T {
  return require(kafkajsSource(file)) as T;
}

/** What the module cache holds for a path, or undefined when nothing has required it in this thread. */
export function cachedModule(path: string): NodeJS.Module | undefined {
  return require.cache[path];
}

/** Puts `exports` in the module cache at `path`, so whatever requires that file later gets them instead. */
export function replaceModule(path: string, exports: unknown): void {
  const m = new Module(path);
  m.filename = path;
  m.loaded = true;
  m.exports = exports;
  require.cache[path] = m;
}

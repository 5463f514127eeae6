#!/usr/bin/env node
// Entry point of the `ticklake` command. Runs the TypeScript sources right after `npm ci`, with no build step:
// compiled once into a cache (cli/compiled.js), or through tsx when that cannot be done.
import './threadpool.js';
import './v8-heap.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledRoot, loadTypeScript } from './compiled.js';

const root = compiledRoot();
await loadTypeScript(root !== undefined);
const { main } = await import(root ? pathToFileURL(join(root, 'cli', 'main.js')).href : './main.js');
process.exitCode = await main(process.argv.slice(2));
// Every command has finished its work and closed what it opened when main returns. Should a handle still hold the
// event loop (a socket or thread a failed component could not close), exit anyway rather than hang with the error
// already printed: a supervisor must see the exit code (docs/processor.md, "Failures").
setTimeout(() => process.exit(), 3000).unref();

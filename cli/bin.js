#!/usr/bin/env node
// Entry point of the `ticklake` command. Loads the TypeScript sources through tsx, so that the CLI
// works right after `npm ci` with no build step.
import './threadpool.js';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
// Every command has finished its work and closed what it opened when main returns. Should a handle still hold the
// event loop (a socket or thread a failed component could not close), exit anyway rather than hang with the error
// already printed: a supervisor must see the exit code (docs/processor.md, "Failures").
setTimeout(() => process.exit(), 3000).unref();

#!/usr/bin/env node
// Entry point of the `ticklake` command. Loads the TypeScript sources through tsx, so that the CLI
// works right after `npm ci` with no build step.
import './threadpool.js';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));

// Entry of the processor's consumer thread (kafka-source.ts): worker threads do not inherit the parent's module
// hooks, so the TypeScript sources are made importable here as in cli/bin.js (cli/compiled.js). This file runs
// from the same place as the module that started the thread: the sources, or their compiled mirror.
import { loadTypeScript } from '../../cli/compiled.js';

await loadTypeScript();
// before kafkajs loads: its fetched records decoded without BigInt per record (kafkajs-fast-fetch.ts)
const { installFastFetch } = await import('./kafkajs-fast-fetch.js');
installFastFetch();
await import('./consumer-thread-main.js');

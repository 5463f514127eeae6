// Entry of the processor's consumer thread (kafka-source.ts): worker threads do not inherit the parent's module
// hooks, so the TypeScript sources are loaded through tsx here as in cli/bin.js.
import { register } from 'tsx/esm/api';

register();
// before kafkajs loads: its fetched records decoded without BigInt per record (kafkajs-fast-fetch.ts)
const { installFastFetch } = await import('./kafkajs-fast-fetch.ts');
installFastFetch();
await import('./consumer-thread-main.ts');

// Entry of the processor's consumer thread (kafka-source.ts): worker threads do not inherit the parent's module
// hooks, so the TypeScript sources are loaded through tsx here as in cli/bin.js.
import { register } from 'tsx/esm/api';

register();
await import('./consumer-thread-main.ts');

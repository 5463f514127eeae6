// Entry point of an API query process (api/pool/query-worker.ts), started by api/pool/query-pool.ts with fork():
// loads the TypeScript sources through tsx, as cli/bin.js does for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./query-worker.ts');

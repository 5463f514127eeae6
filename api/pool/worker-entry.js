// Entry point of an API query process (api/pool/query-worker.ts), started by api/pool/query-pool.ts with fork():
// runs from the same place as the module that forked it, the sources or their compiled mirror (cli/compiled.js).
import { loadTypeScript } from '../../cli/compiled.js';

await loadTypeScript();
await import('./query-worker.js');

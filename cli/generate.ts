/** `ticklake generate bank`: an OLTP simulator writing a bank's users, cards, merchants and transactions to MySQL. */
import { tlError } from '../core/errors.js';
import type { Command } from './command.js';

export const command: Command = {
  name: 'generate',
  summary: 'Simulate an OLTP database: `generate bank` writes users, cards, merchants, transactions, fraud labels',
  usage: '[options] bank',
  description:
    'Runs the bank simulator against --mysql-url: inserts, updates and deletes as a card-issuing bank makes them,\n' +
    'with planted fraud whose labels arrive later; deterministic by --seed. Capture it with `ticklake cdc` (docs/cdc.md).',
  async run(config) {
    const what = config.positional[0];
    if (what !== 'bank') {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: 'generate',
        value: JSON.stringify(what ?? ''),
        reason: 'expected: generate bank',
      });
    }
    const url = config.optStr('mysqlUrl');
    if (!url) throw tlError('TL_CONFIG_MISSING', { setting: '--mysql-url / TICKLAKE_MYSQL_URL' });
    const rate = config.num('produceRate');
    if (rate < 0)
      throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--rate', value: String(rate), reason: 'must be >= 0' });
    const { runBank } = await import('../producers/bank/bank-run.js');
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const { ops } = await runBank({
        url,
        seed: config.str('seed'),
        rate,
        count: config.optNum('produceCount'),
        signal: abort.signal,
      });
      process.stderr.write(`generate bank: ${ops} operations\n`);
      return 0;
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
  },
};

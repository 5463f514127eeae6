/**
 * `ticklake generate bank`: an OLTP simulator writing a bank's users, cards, merchants and transactions to MySQL.
 * `ticklake generate retail --seed N --out FILE.xlsx [--lines N] [--as-of YYYY-MM-DD]`: a shop's sales workbook
 * with a case planted for every rule of the retail analytics and checks (producers/workbook/retail-generator.ts,
 * docs/retail.md).
 */
import type { Config } from '../core/config.js';
import { tlError } from '../core/errors.js';
import type { Command } from './command.js';

export const command: Command = {
  name: 'generate',
  summary: 'Generate test data: `generate bank` simulates a bank in MySQL, `generate retail` writes a sales workbook',
  usage: '[options] bank|retail',
  description:
    'bank: runs the bank simulator against --mysql-url: inserts, updates and deletes as a card-issuing bank makes\n' +
    'them, with planted fraud whose labels arrive later; deterministic by --seed. Capture it with `ticklake cdc`\n' +
    '(docs/cdc.md).\n' +
    'retail: writes --out, an .xlsx workbook (Products, Clients, Invoices) deterministic by --seed, --lines and\n' +
    '--as-of, with an expiring product, dead stock, a client crossing 10,000, a buy-price change mid-period,\n' +
    'multi-line invoices and one case for every check; upload it with `ticklake upload` or on #/upload (docs/retail.md).',
  async run(config) {
    const what = config.positional[0];
    if (what === 'retail') return generateRetailWorkbook(config);
    if (what !== 'bank') {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: 'generate',
        value: JSON.stringify(what ?? ''),
        reason: 'expected: generate bank, or generate retail',
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

async function generateRetailWorkbook(config: Config): Promise<number> {
  const out = config.optStr('out');
  if (!out) throw tlError('TL_CONFIG_MISSING', { setting: '--out FILE.xlsx' });
  const lines = config.num('generateLines');
  if (lines < 10) {
    throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--lines', value: String(lines), reason: 'at least 10' });
  }
  const asOf = config.optStr('asOf') ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
    throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--as-of', value: JSON.stringify(asOf), reason: 'use YYYY-MM-DD' });
  }
  const { writeFile } = await import('node:fs/promises');
  const { generateRetail } = await import('../producers/workbook/retail-generator.js');
  const { writeXlsx } = await import('../producers/workbook/xlsx-writer.js');
  const sheets = generateRetail({ seed: config.str('seed'), lines, asOf });
  await writeFile(out, writeXlsx(sheets));
  const count = (name: string) => (sheets.find((s) => s.name === name)?.rows.length ?? 1) - 1;
  process.stderr.write(
    `generate retail: ${out} (${count('Products') - 2} product rows, ${count('Clients')} clients, ${count('Invoices')} invoice lines, as of ${asOf})\n`,
  );
  return 0;
}

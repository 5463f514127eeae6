/**
 * `ticklake generate retail --seed N --out FILE.xlsx [--lines N] [--as-of YYYY-MM-DD]`: a shop's sales workbook
 * with a case planted for every rule of the retail analytics and checks (producers/workbook/retail-generator.ts,
 * docs/retail.md).
 */
import { tlError } from '../core/errors.js';
import type { Command } from './command.js';

export const command: Command = {
  name: 'generate',
  summary: 'Generate test data: `generate retail` writes a sales workbook with planted cases (docs/retail.md)',
  usage: '[options] retail',
  description:
    'retail: an .xlsx workbook (Products, Clients, Invoices) deterministic by --seed, --lines and --as-of, with an\n' +
    'expiring product, dead stock, a client crossing 10,000, a buy-price change mid-period, multi-line invoices\n' +
    'and one case for every check; upload it with `ticklake upload` or on the #/upload page.',
  async run(config) {
    const what = config.positional[0];
    if (what !== 'retail') {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: 'generate',
        value: JSON.stringify(what ?? ''),
        reason: 'expected: generate retail',
      });
    }
    const out = config.optStr('out');
    if (!out) throw tlError('TL_CONFIG_MISSING', { setting: '--out FILE.xlsx' });
    const lines = config.num('generateLines');
    if (lines < 10) {
      throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--lines', value: String(lines), reason: 'at least 10' });
    }
    const asOf = config.optStr('asOf') ?? new Date().toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '--as-of',
        value: JSON.stringify(asOf),
        reason: 'use YYYY-MM-DD',
      });
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
  },
};

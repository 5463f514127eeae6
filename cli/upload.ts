/**
 * `ticklake upload FILE [FILE ...] [--dry-run] [--skip-bad-rows] [--full-replace]`: a sales workbook (.xlsx) or
 * its sheets as CSV files, checked row by row and published to the retail topics (docs/retail.md). Exit 0 when
 * published (or a dry run found no error), 1 when it found errors or refused the file.
 */
import type { Command } from './command.js';

export const command: Command = {
  name: 'upload',
  summary: 'Upload a sales workbook (.xlsx, or CSV files): every row checked, then published to Kafka',
  usage: '[options] FILE [FILE ...]',
  description:
    'FILE is an .xlsx workbook with sheets Products, Clients and Invoices, or CSV files named after them\n' +
    '(products.csv, clients.csv, invoices.csv). Errors name Sheet!Cell and the rule; with errors nothing is\n' +
    'published unless --skip-bad-rows. Uploading the same workbook again changes nothing (docs/retail.md).',
  async run(config) {
    const { readFile, stat } = await import('node:fs/promises');
    const { tlError } = await import('../core/errors.js');
    const { checkFileSize } = await import('../producers/workbook/workbook-guard.js');
    const { refusedError, runUpload } = await import('../producers/workbook/upload.js');
    const { reportText } = await import('../producers/workbook/report-text.js');
    const files = config.positional;
    if (files.length === 0) throw tlError('TL_CONFIG_MISSING', { setting: 'FILE (the workbook to upload)' });
    // table or json: the declared choices of --format for upload (core/config.ts)
    const mode = config.choice('outputFormat');
    const limits = { maxBytes: config.num('maxUploadSize'), maxUnpacked: config.num('maxUnpackedSize') };
    const asOf = config.optStr('asOf');
    if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '--as-of',
        value: JSON.stringify(asOf),
        reason: 'use YYYY-MM-DD',
      });
    }
    const data = [];
    for (const f of files) {
      checkFileSize(f, (await stat(f)).size, limits); // before reading it into memory
      data.push({ name: f, data: await readFile(f) });
    }
    const { existsSync } = await import('node:fs');
    const lakeDir = config.str('lakeDir');
    const lake = existsSync(lakeDir)
      ? await (await import('../lake/session.js')).LakeSession.open({
          lakeDir,
          confined: false,
          memoryLimit: '256MB',
          tables: await (await import('../processors/tables/lake-tables.js')).declaredLakeTables([]),
        })
      : undefined;
    try {
      const report = await runUpload(data, {
        limits,
        dryRun: config.bool('dryRun'),
        skipBadRows: config.bool('skipBadRows'),
        fullReplace: config.bool('fullReplace'),
        brokers: config.list('brokers'),
        lake,
        asOf,
      });
      process.stdout.write(`${mode === 'json' ? JSON.stringify(report, null, 2) : reportText(report)}\n`);
      if (report.status === 'refused') throw refusedError(report);
      return report.errors.length > 0 && report.status === 'dry-run' ? 1 : 0;
    } finally {
      lake?.close();
    }
  },
};

import { tlError } from '../core/errors.js';
import type { Command } from './command.js';

export const command: Command = {
  name: 'compact',
  summary: 'Merge the small Parquet files of the lake (closed dates; with --open-dates also the open one)',
  usage:
    '[--lake-dir DIR] [--table TABLE] [--grace 1h] [--open-dates [--settle 2m] [--max-file-size 16MiB] [--min-files 8]]',
  description:
    'A date is closed once it has ended (UTC) plus --grace; by default only closed dates are touched, each merged\n' +
    'into one file. --open-dates compacts every date by size tiers: files older than --settle and smaller than\n' +
    '--max-file-size are merged once --min-files of one size tier exist; closed dates get their small files merged.\n' +
    'Either way it can run beside a processor: query results do not change, a crash at any point leaves no row\n' +
    'visible twice, and the next run finishes an interrupted merge (docs/lake.md).',
  async run(config) {
    const { compactLake } = await import('../lake/compact.js');
    const { LAKE_TABLES } = await import('../lake/tables.js');
    const table = config.optStr('table');
    if (table !== undefined && !LAKE_TABLES.some((t) => t.name === table)) {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '--table',
        value: JSON.stringify(table),
        reason: `not a lake table; one of ${LAKE_TABLES.map((t) => t.name).join(', ')}`,
      });
    }
    const minFiles = config.num('compactMinFiles');
    if (!Number.isInteger(minFiles) || minFiles < 2) {
      throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--min-files', value: String(minFiles), reason: 'at least 2' });
    }
    const { lakeDirOf } = await import('./start/run-file.js');
    const started = Date.now();
    const res = await compactLake({
      lakeDir: lakeDirOf(config),
      table,
      graceMs: config.num('compactGrace'),
      openDates: config.bool('compactOpenDates'),
      tiers: {
        settleMs: config.num('compactSettle'),
        maxFileBytes: config.num('compactMaxFileSize'),
        minFiles,
      },
    });
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `compacted ${res.partitions} partition(s): ${res.filesBefore} file(s) -> ${res.filesAfter}, ${res.rows} row(s)` +
        `${res.recovered ? `, finished ${res.recovered} interrupted merge(s)` : ''}` +
        `${res.redeliveredRemoved ? `, removed ${res.redeliveredRemoved} re-delivered duplicate(s)` : ''}` +
        `${res.tempFilesRemoved ? `, removed ${res.tempFilesRemoved} stale temp file(s)` : ''} in ${secs}s\n`,
    );
    return 0;
  },
};

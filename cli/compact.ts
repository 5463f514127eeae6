import { tlError } from '../core/errors.js';
import type { Command } from './command.js';

export const command: Command = {
  name: 'compact',
  summary: 'Merge the small Parquet files of closed dates into one file per partition',
  usage: '[--lake-dir DIR] [--table TABLE] [--grace 1h]',
  description:
    'A date is closed once it has ended (UTC) plus --grace; only closed dates are touched, so it can run beside a\n' +
    'processor. Query results do not change; a crash at any point leaves no row visible twice, and the next run\n' +
    'finishes an interrupted merge (docs/lake.md).',
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
    const started = Date.now();
    const res = await compactLake({
      lakeDir: config.str('lakeDir'),
      table,
      graceMs: config.num('compactGrace'),
    });
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `compacted ${res.partitions} partition(s): ${res.filesBefore} file(s) -> ${res.filesAfter}, ${res.rows} row(s)` +
        `${res.recovered ? `, finished ${res.recovered} interrupted merge(s)` : ''}` +
        `${res.tempFilesRemoved ? `, removed ${res.tempFilesRemoved} stale temp file(s)` : ''} in ${secs}s\n`,
    );
    return 0;
  },
};

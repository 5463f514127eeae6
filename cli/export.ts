/**
 * `ticklake export --table T --format jsonl|parquet --partition-by col[,col] --out DIR [--gzip]`: any table or
 * view of the lake as Hive-partitioned files (lake/export.ts).
 */
import type { Command } from './command.js';

export const command: Command = {
  name: 'export',
  summary: 'Write a lake table or view as Hive-partitioned JSONL (optionally gzipped) or Parquet files',
  usage: '--table <name> --out <dir> [--format jsonl|parquet] [--partition-by col[,col]] [--gzip]',
  description:
    'Layout: <out>/<col>=<value>/part-0.jsonl[.gz] (or .parquet); the partition columns are in the path only.\n' +
    'Any name `ticklake sql` reads works: a lake table, a declared keyed table, its _history view, a derived view.',
  async run(config) {
    const { tlError } = await import('../core/errors.js');
    const { LakeSession } = await import('../lake/session.js');
    const { exportTable } = await import('../lake/export.js');
    const { declaredLakeTables } = await import('../processors/tables/lake-tables.js');
    const table = config.optStr('exportTable');
    const out = config.optStr('outDir');
    if (!table) throw tlError('TL_CONFIG_MISSING', { setting: '--table' });
    if (!out) throw tlError('TL_CONFIG_MISSING', { setting: '--out' });
    const tables = await declaredLakeTables(config.list('sqlDir'));
    const session = await LakeSession.open({ lakeDir: config.str('lakeDir'), confined: false, tables });
    try {
      const r = await exportTable(session, {
        table,
        out,
        format: config.choice('exportFormat'),
        partitionBy: config.list('partitionBy'),
        gzip: config.bool('gzip'),
      });
      process.stdout.write(`${table}: ${r.rows} rows in ${r.files.length} files under ${out}\n`);
      return 0;
    } finally {
      session.close();
    }
  },
};

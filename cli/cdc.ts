/** `ticklake cdc`: change data capture from a MySQL/MariaDB binlog to Kafka in Debezium's format (docs/cdc.md). */
import { tlError } from '../core/errors.js';
import type { Command } from './command.js';

export const command: Command = {
  name: 'cdc',
  summary: 'Change data capture: MySQL/MariaDB binlog rows to Kafka as Debezium change events',
  description:
    'Checks the server (binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL, privileges), snapshots\n' +
    'the tables without a lock when no position is stored, then streams every row change to <prefix>.<db>.<table>,\n' +
    'exactly once across crashes. --print-sources writes the lake source declarations instead (docs/cdc.md).',
  async run(config) {
    const mysqlUrl = config.optStr('mysqlUrl');
    if (!mysqlUrl) throw tlError('TL_CONFIG_MISSING', { setting: '--mysql-url / TICKLAKE_MYSQL_URL' });
    const snapshot = config.choice('cdcSnapshot');
    if (config.bool('printSources')) {
      const { printSources } = await import('../producers/cdc/print-sources-run.js');
      return printSources({
        mysqlUrl,
        tables: config.list('cdcTables'),
        prefix: config.str('topicPrefix'),
        dir: config.str('sourcesDir'),
      });
    }
    const { runCdc } = await import('../producers/cdc/cdc-run.js');
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      return await runCdc({
        mysqlUrl,
        brokers: config.list('brokers'),
        tables: config.list('cdcTables'),
        snapshot,
        topicPrefix: config.str('topicPrefix'),
        offsetsDir: config.str('offsetsDir'),
        serverId: config.num('cdcServerId'),
        schemas: config.bool('cdcSchemas'),
        stopWhenIdleMs: config.optNum('cdcStopAfterIdle'),
        signal: abort.signal,
      });
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
  },
};

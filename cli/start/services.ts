/**
 * The services `ticklake start` runs on: Kafka (a cluster given with --brokers, or the embedded broker under
 * <data>/broker) and MySQL (a server given with --mysql-url, a private mariadbd under <data>/mysql, or none). Each
 * registers its closer; each returns the line the start banner shows for it.
 */
import { join } from 'node:path';
import type { FsyncPolicy } from '../../broker/context.js';
import type { Config } from '../../core/config.js';
import { tlError } from '../../core/errors.js';
import type { MetricsRegistry } from '../../metrics/registry.js';

export type Closer = { name: string; close: () => Promise<unknown> };

/** Kafka: the given cluster, or the embedded broker (its metrics registered). */
export async function startKafka(
  config: Config,
  o: { dataDir: string; metrics: MetricsRegistry; closers: Closer[] },
): Promise<{ brokers: string[]; kafkaLine: string }> {
  const { dataDir, metrics, closers } = o;
  let brokers = config.list('brokers');
  let kafkaLine: string;
  if (brokers.length === 0) {
    const fsync = config.choice('fsync');
    const { startBroker } = await import('../../broker/index.js');
    const broker = await startBroker({
      dataDir: join(dataDir, 'broker'),
      host: '127.0.0.1',
      port: config.num('embeddedBrokerPort'),
      fsync: fsync as FsyncPolicy,
      defaultPartitions: config.num('defaultPartitions'),
      retentionBytes: config.num('retentionBytes'),
      retentionMs: config.num('retentionMs'),
      groupInitialRebalanceDelayMs: 0,
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        throw tlError('TL_CONFIG_BAD_VALUE', {
          setting: '--broker-port',
          value: String(config.num('embeddedBrokerPort')),
          reason: 'the port is in use (another broker?); pick another or 0 for a free one',
        });
      throw e;
    });
    closers.push({ name: 'broker', close: () => broker.close() });
    const { brokerMetrics } = await import('../../metrics/broker-metrics.js');
    brokerMetrics(metrics, broker.context);
    brokers = [broker.address];
    kafkaLine = `${broker.address} (embedded; try: kcat -b ${broker.address} -L)`;
  } else kafkaLine = `${brokers.join(',')} (external cluster)`;
  return { brokers, kafkaLine };
}

/** MySQL: the given server, a private mariadbd (with a binlog for --with bank), or off. */
export async function startMysql(
  config: Config,
  o: { dataDir: string; withBank: boolean; closers: Closer[] },
): Promise<{ mysqlUrl: string | undefined; privateMysql: { up(): boolean } | undefined; mysqlLine: string }> {
  const { dataDir, withBank, closers } = o;
  let mysqlUrl = config.optStr('mysqlUrl');
  let privateMysql: { up(): boolean } | undefined;
  let mysqlLine: string;
  if (mysqlUrl) mysqlLine = `${mysqlUrl.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@')} (TICKLAKE_MYSQL_URL)`;
  else {
    const { findMariadb, startPrivateMysql } = await import('../../processors/sinks/private-mysql.js');
    const bins = findMariadb();
    if (!config.bool('privateMysql')) {
      mysqlLine = 'off (--no-private-mysql); set TICKLAKE_MYSQL_URL=mysql://user:pass@host:3306/db to use a server';
    } else if (bins) {
      const my = await startPrivateMysql(join(dataDir, 'mysql'), bins, { binlog: withBank });
      closers.push({ name: 'mysql', close: () => my.close() });
      privateMysql = my;
      mysqlUrl = my.url;
      mysqlLine = `${my.url.replace(/:[^:@/]+@/, ':***@')} (private mariadbd under ${join(dataDir, 'mysql')})`;
    } else {
      mysqlLine =
        'off: no mariadbd/mysqld found; install mariadb-server (apt-get install mariadb-server) or set TICKLAKE_MYSQL_URL=mysql://user:pass@host:3306/db';
    }
  }
  return { mysqlUrl, privateMysql, mysqlLine };
}

/**
 * `ticklake start --with bank`: the bank simulator writing database `bank` on the MySQL of start (the private
 * mariadbd, run with the row-based binlog for this), and `ticklake cdc` capturing it into the topics
 * bank.bank.<table>, both in-process and restarted after a failure (supervise.ts); #/cdc shows the capture
 * (docs/cdc.md).
 */
import { join } from 'node:path';
import { tlError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { supervise } from './supervise.js';

export async function startBankWorkload(o: {
  mysqlUrl: string | undefined;
  brokers: string[];
  dataDir: string;
  seed: string;
  /** Called when the simulator or the capture failed and is restarted (supervise.ts). */
  onRestart?: (name: string, e: unknown) => void;
}) {
  if (!o.mysqlUrl) {
    throw tlError('TL_CONFIG_BAD_VALUE', {
      setting: '--with',
      value: 'bank',
      reason: 'needs MySQL: a private mariadbd or --mysql-url',
    });
  }
  // the bank database next to start's own; the private server's root (local, no password) may create it and read
  // the binlog; with --mysql-url the given user needs those rights (docs/cdc.md)
  const u = new URL(o.mysqlUrl);
  if (u.hostname === '127.0.0.1' && u.username === 'ticklake') {
    u.username = 'root';
    u.password = '';
  }
  u.pathname = '/bank';
  const url = u.toString();
  const { runBank } = await import('../../producers/bank/bank-run.js');
  const { runCdc } = await import('../../producers/cdc/cdc-run.js');
  const bankStop = new AbortController();
  const cdcStop = new AbortController();
  // the tables first (and a first population), so that cdc has them to snapshot; not retried: a server that
  // refuses this (rights, no binlog) is a setting to mend, said at start
  await runBank({ url, seed: o.seed, rate: 0, count: 1 });
  const bank = supervise('the bank simulator', (signal) => runBank({ url, seed: o.seed, rate: 20, signal }), {
    signal: bankStop.signal,
    log: logger('bank'),
    onRestart: o.onRestart,
  });
  const cdc = supervise(
    'ticklake cdc',
    (signal) =>
      runCdc({
        mysqlUrl: url,
        brokers: o.brokers,
        tables: [],
        snapshot: 'initial',
        topicPrefix: 'bank',
        offsetsDir: join(o.dataDir, 'cdc'),
        serverId: 5400,
        schemas: true,
        signal,
      }),
    { signal: cdcStop.signal, log: logger('cdc'), onRestart: o.onRestart },
  );
  return {
    done: Promise.all([bank, cdc]),
    closeBank: async () => {
      bankStop.abort();
      await bank.catch(() => {});
    },
    closeCdc: async () => {
      cdcStop.abort();
      await cdc.catch(() => {});
    },
  };
}

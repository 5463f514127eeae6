/**
 * What the single-instance processor's loop (processor.ts) runs on, opened in order: the state database, the lake's
 * single-writer lease, MySQL, Kafka (the consumer thread, the producer, the admin client), the core, the delivery
 * and its own connection. Everything opened is registered in `closers` as it is opened, so a start that fails
 * half-way closes what it opened (last first), and the run's end closes the rest the same way.
 */

import type { PortfolioSeeds } from '../../contracts/portfolio-seeds.js';
import { settingDefault } from '../../core/config.js';
import type { DuckDBConnection } from '../../core/duckdb.js';
import type { Logger } from '../../core/log.js';
import { KafkaSource } from '../kafka/kafka-source.js';
import { writerId } from '../partitions/commit-log.js';
import { claimSingleWriter, stateInUse } from '../partitions/lake-guard.js';
import { Delivery } from '../sinks/delivery.js';
import { LazyMysql } from '../sinks/lazy-mysql.js';
import type { WindowSpec } from '../time/windows.js';
import { CLOSES_TOPIC } from '../valuations/closes.js';
import { Closers } from './closers.js';
import { ProcessorCore } from './core.js';
import type { ProcessorOptions } from './processor.js';
import { createSchema, openState, type StateDb } from './state.js';

const OUTPUT_TOPICS = { anomalies: 'anomalies', valuations: 'valuations', dlq: 'ticks.dlq' };

export interface OpenedProcessor {
  /** Closes everything below, last opened first. */
  closers: Closers;
  state: StateDb;
  mysql: LazyMysql | undefined;
  core: ProcessorCore;
  source: KafkaSource;
  /** Each partition's high watermark as the processor started. */
  highs: Map<number, number>;
  delivery: Delivery;
  /** The delivery's own connection: the loop replaces it when it reopens the state; the closer closes the current one. */
  deliveryConn: DuckDBConnection;
}

/** What startProcessor resolved from its options before opening anything. */
export interface OpenContext {
  log: Logger;
  clock: () => number;
  topic: string;
  windows: WindowSpec[];
  batchMessages: number;
  seeds: PortfolioSeeds;
}

/**
 * Opens everything, delivers what a crash left committed but undelivered, and joins the consumer group last (the
 * seeks on assignment need the state's offsets). Throws after closing what it opened.
 */
export async function openProcessor(opts: ProcessorOptions, cx: OpenContext): Promise<OpenedProcessor> {
  const { log, clock, topic } = cx;
  const closers = new Closers(log);
  let core: ProcessorCore | undefined;
  try {
    const state = await openState(opts.stateDir).catch((e) => {
      throw stateInUse(e, opts.stateDir);
    });
    closers.add('state', async () => {
      await state.conn.run('CHECKPOINT').catch(() => {});
      state.conn.closeSync();
    });
    // one uncoordinated writer per lake and topic (lake-guard.ts); released when the run ends
    const lease = await claimSingleWriter({
      lakeDir: opts.lakeDir,
      topic,
      stateDir: opts.stateDir,
      writer: writerId(),
    });
    closers.add('lake lease', () => lease.release());
    await createSchema(state.conn);
    let mysql: LazyMysql | undefined;
    if (opts.mysqlUrl) {
      const my = new LazyMysql(opts.mysqlUrl, cx.seeds, log, opts.mysqlTimeoutMs);
      mysql = my;
      closers.add('mysql', () => my.close());
      await my.warmUp();
    } else log.info('no --mysql-url: the MySQL sink is off');

    const source = new KafkaSource({
      brokers: opts.brokers,
      topic,
      group: opts.group ?? settingDefault('group'),
      startOffsets: () => core?.offsets() ?? new Map(),
      log,
      queueLimit: cx.batchMessages * 2,
      sessionTimeoutMs: opts.sessionTimeoutMs,
    });
    // the consumer thread, the producer and the admin client: a start that fails after this must stop them
    closers.add('kafka', () => source.stop());
    const topics = opts.publishCloses ? { ...OUTPUT_TOPICS, closes: CLOSES_TOPIC } : OUTPUT_TOPICS;
    await source.connect(Object.values(topics), { [CLOSES_TOPIC]: { numPartitions: 1 } });
    const highs = await source.partitionHighs();
    const c = await ProcessorCore.open({
      state,
      lakeDir: opts.lakeDir,
      windows: cx.windows,
      latenessMs: opts.latenessMs ?? settingDefault('lateness'),
      topic,
      partitionCount: highs.size,
      portfolios: cx.seeds.portfolios,
      holdings: cx.seeds.holdings,
      thresholds: opts.thresholds,
      bounds: opts.bounds,
      publishCloses: opts.publishCloses,
      clock,
    });
    core = c;
    closers.add('core', async () => {
      await c.settled();
      c.close();
    });
    // delivery has its own connection: it runs one batch behind, while the next batch is processed (processor.ts)
    const deliveryConn = await state.instance.connect();
    const delivery = new Delivery({
      conn: deliveryConn,
      lakeDir: opts.lakeDir,
      mysql,
      publisher: source,
      topics,
      log,
      clock,
    });
    const opened: OpenedProcessor = { closers, state, mysql, core: c, source, highs, delivery, deliveryConn };
    closers.add('delivery', () => opened.deliveryConn.closeSync());
    // a crash may have left committed batches undelivered: deliver them first
    await delivery.deliverAll(true);
    // only now join the group: the seeks on assignment need the state's offsets
    await source.start();
    return opened;
  } catch (e) {
    await closers.closeAll();
    throw e;
  }
}

/**
 * `ticklake start`: the whole pipeline in one process, data under one directory (docs/deploy.md):
 *
 *   <data>/broker     embedded Kafka-protocol broker (unless --brokers points at a real cluster)
 *   <data>/exchanges  one checkpoint per simulated exchange (event clock, prices, random streams)
 *   <data>/state      processor state (open windows, offsets, outbox)
 *   <data>/lake       Parquet lake, read by the API and the dashboard
 *   <data>/mysql      private mariadbd (unless --mysql-url; none when no mariadbd/mysqld is installed)
 *   <data>/ticklake.json  where this start runs (pid, Kafka, API, lake), for the other commands (run-file.ts)
 *   <data>/history.json   the history made on the first start (history/backfill.ts)
 *
 * Start order: broker → MySQL → history (first start only) → exchanges (each its own kafkajs producer; the event
 * clock starts once all are connected) → processor → API. Stop order (Ctrl-C or SIGTERM): exchanges flush and
 * checkpoint → processor finishes its batch, delivers and commits → API → MySQL → broker. A second Ctrl-C exits at
 * once.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../core/config.js';
import { tlError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { lockDataDir } from './data-dir-lock.js';
import { makeHistory } from './history.js';
import { writeRunFile } from './run-file.js';
import { type Closer, startKafka, startMysql } from './services.js';
import { type MysqlState, StatusReporter } from './status.js';

/** Producers first (flushed and checkpointed), then the processor drains what it took, then the rest. */
const STOP_ORDER = [
  'scheduler',
  'compactor',
  'bank',
  'cdc',
  'exchanges',
  'processor',
  'tables processor',
  'api',
  'registry',
  'mysql',
  'broker',
];

/** Ticks per simulation step (sum of the symbols' trade probabilities) → event time per step for `rate` ticks/s. */
export function stepIntervalMs(activities: number[], rate: number): number {
  if (!(rate > 0))
    throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--rate', value: String(rate), reason: 'must be > 0 for start' });
  const perStep = activities.reduce((a, b) => a + b, 0);
  return Math.max(1, Math.round((perStep * 1000) / rate));
}

export async function runStart(config: Config): Promise<number> {
  const log = logger('start');
  // the processor's kafkajs producer would print a one-time notice about kafkajs 2.0's partitioner
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const out = process.stdout;
  const dataDir = resolve(config.str('dataDir'));
  if (config.bool('schedule')) {
    // before anything starts: a scheduled job needing a window --windows does not make would store empty results
    const { checkScheduledWindows } = await import('../../scheduler/window-check.js');
    checkScheduledWindows(config.list('sqlDir'), config.list('windows'));
  }
  await mkdir(dataDir, { recursive: true });
  const lakeDir = join(dataDir, 'lake');
  const { record, killed, unlock } = await lockDataDir(dataDir, lakeDir);
  // the API opens its lake session before the processor has written (and so created) anything
  await mkdir(lakeDir, { recursive: true });
  const closers: Closer[] = [];
  const say = (line: string) => {
    status?.clear();
    out.write(`${line}\n`);
  };
  let status: StatusReporter | undefined;
  let timer: NodeJS.Timeout | undefined;

  let stopRequested: (why: string) => void = () => {};
  const stopped = new Promise<string>((r) => {
    stopRequested = r;
  });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1 || stopping) {
      process.stderr.write('\nticklake start: stopping now (second signal)\n');
      process.exit(130);
    }
    stopRequested(sig);
  };
  let stopping = false;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let failure: unknown;
  // every component's numbers at GET /metrics (metrics/, docs/metrics.md)
  const { MetricsRegistry } = await import('../../metrics/registry.js');
  const metrics = new MetricsRegistry();
  (await import('../../metrics/duckdb-metrics.js')).duckdbMetrics(metrics);
  (await import('../../metrics/thread-metrics.js')).threadMetrics(metrics);

  try {
    // Kafka: a real cluster, or the embedded broker
    const { brokers, kafkaLine } = await startKafka(config, { dataDir, metrics, closers });
    // MySQL: given URL, private mariadbd, or off
    const withBank = config.list('with').includes('bank');
    const { mysqlUrl, privateMysql, mysqlLine } = await startMysql(config, { dataDir, withBank, closers });

    // the simulated exchanges, on one event clock
    const { loadUniverse, DEFAULT_UNIVERSE_FILE } = await import('../../producers/universe.js');
    const { resumeEventTime } = await import('../../producers/live-exchange.js');
    const { startLiveMarket } = await import('../../producers/live-market.js');
    const universe = await loadUniverse(config.optStr('universe') ?? DEFAULT_UNIVERSE_FILE);
    const interval = stepIntervalMs(
      universe.exchanges.flatMap((x) => x.symbols.map((s) => s.activity)),
      config.num('produceRate'),
    );
    const cpDir = join(dataDir, 'exchanges');
    const ids = universe.exchanges.map((x) => x.id);
    const topic = config.str('topic');
    // the schema registry (served by the API at /registry); with --format avro the exchanges register the tick
    // schema through it and send Avro (docs/registry.md)
    const { openRegistry, mountRegistry, REGISTRY_PREFIX } = await import('../../registry/server.js');
    const registry = openRegistry({ brokers, log: logger('registry') });
    closers.push({ name: 'registry', close: () => registry.close() });
    const { openTickEncoding } = await import('../../producers/tick-encoding.js');
    const format = config.choice('messageFormat');
    const { encode } = await openTickEncoding({ format, topic, brokers, registry });
    const historyLine = await makeHistory(config, {
      dataDir,
      lakeDir,
      cpDir,
      ids,
      universe,
      interval,
      brokers,
      topic,
      encode,
      say,
    });
    const anchorEvent = await resumeEventTime(cpDir, ids, interval);
    // every exchange connected before the clock starts (producers/live-market.ts: none runs ahead of another)
    const market = await startLiveMarket({
      exchanges: universe.exchanges,
      anchorEvent,
      brokers,
      topic,
      seed: config.str('seed'),
      tickIntervalMs: interval,
      checkpointDir: cpDir,
      // generous: on a busy laptop the first connection can take a while
      retries: 10,
      encode,
    });
    const exchanges = market.exchanges;
    closers.push({ name: 'exchanges', close: () => market.close() });
    for (const ex of exchanges) {
      ex.done.catch((e) => {
        failure ??= e;
        stopRequested(`exchange ${ex.exchange} failed: ${(e as Error).message}`);
      });
    }

    // the processor; after a kill it joins its consumer group only once the killed run's member has timed out
    if (killed !== undefined)
      say(
        `ticklake start: the previous run (pid ${killed}) did not stop cleanly (killed?): waiting for its Kafka ` +
          `consumer session to expire (up to 30 s) before the processor rejoins the group and the API starts ...`,
      );
    const { startProcessor } = await import('../../processors/ticks/processor.js');
    const { processorOptions, tablesOptions } = await import('../../processors/options.js');
    let onBatch: ((b: { seconds: number; messages: number }) => void) | undefined;
    const proc = await startProcessor({
      ...processorOptions(config, { brokers, lakeDir, stateDir: join(dataDir, 'state'), mysqlUrl }),
      onBatch: (b) => onBatch?.(b),
    });
    const { processorMetrics } = await import('../../metrics/processor-metrics.js');
    onBatch = processorMetrics(metrics, {
      stats: () => proc.stats(),
      topic,
      mysql: mysqlUrl !== undefined,
      mysqlServerUp: () => privateMysql?.up() ?? true,
    }).onBatch;
    proc.done.catch((e) => {
      failure ??= e;
      stopRequested(`processor failed: ${(e as Error).message}`);
    });
    closers.push({ name: 'processor', close: () => proc.close() });
    // the keyed-table engine, beside the tick engine, for the declared sources other than ticks
    const { startTablesProcessor } = await import('../../processors/tables/processor.js');
    const tablesOpts = tablesOptions(config, { brokers, lakeDir, stateDir: join(dataDir, 'state'), mysqlUrl });
    // --with bank: the bank's sources and jobs too (sql/bank, docs/cdc.md)
    if (withBank)
      tablesOpts.sqlDirs = [...(tablesOpts.sqlDirs ?? []), fileURLToPath(new URL('../../sql/bank/', import.meta.url))];
    const tablesProc = await startTablesProcessor(tablesOpts);
    if (tablesProc) {
      tablesProc.done.catch((e) => {
        failure ??= e;
        stopRequested(`tables processor failed: ${(e as Error).message}`);
      });
      closers.push({ name: 'tables processor', close: () => tablesProc.close() });
      const { tablesMetrics } = await import('../../metrics/tables-metrics.js');
      tablesMetrics(metrics, () => tablesProc.stats());
    }

    let lastFailures = 0;
    let mysqlState: MysqlState = mysqlUrl ? 'up' : 'off';
    const refreshMysql = (): MysqlState => {
      if (!mysqlUrl) return 'off';
      const s = proc.stats();
      const failing = s.mysqlFailures > lastFailures;
      lastFailures = s.mysqlFailures;
      mysqlState = privateMysql && !privateMysql.up() ? 'down' : failing ? 'failing' : 'up';
      return mysqlState;
    };

    // the scheduler (docs/scheduler.md): opened before the API, whose lake session then sees its tables
    const { lakeMetrics } = await import('../../metrics/lake-metrics.js');
    lakeMetrics(metrics, lakeDir);
    let scheduler: import('../../scheduler/scheduler.js').Scheduler | undefined;
    if (config.bool('schedule')) {
      const { openScheduler } = await import('../../scheduler/open.js');
      const { schedulerMetrics } = await import('../../metrics/scheduler-metrics.js');
      let mysqlStore: import('../../scheduler/mysql-store.js').MysqlStore | undefined;
      const sm = schedulerMetrics(metrics, () => scheduler, { mysql: () => mysqlStore });
      const opened = await openScheduler({
        lakeDir,
        sqlDirs: config.list('sqlDir'),
        mysqlUrl,
        catchUp: config.num('catchUp'),
        delayMs: config.num('runDelay'),
        leaseMs: config.num('runLease'),
        memoryLimit: `${config.num('memoryLimit')}B`,
        log: logger('scheduler'),
        lenient: true,
        onRun: sm.onRun,
      });
      scheduler = opened.scheduler;
      mysqlStore = opened.mysql;
      closers.push({ name: 'scheduler', close: () => opened.close() });
    }

    // the API and dashboard
    const { buildApp } = await import('../../api/app.js');
    const { deliveredTables } = await import('../../processors/tables/lake-tables.js');
    const { apiOptions } = await import('../serve.js');
    const app = await buildApp({
      lakeDir,
      tables: tablesProc ? deliveredTables(tablesProc.catalog) : [],
      logger: false,
      ...apiOptions(config),
      windows: config.list('windows'),
      uploads: {
        brokers,
        token: config.optStr('uploadToken'),
        maxBytes: config.num('maxUploadSize'),
        maxUnpacked: config.num('maxUnpackedSize'),
      },
      metrics,
      scheduler,
      kafka: { brokers },
      cdcDir: withBank ? join(dataDir, 'cdc') : undefined,
      // pipeline health of the dashboard: the processor's stats, the exchanges' clock, the MySQL state
      health: () => {
        const p = proc.stats();
        const times = exchanges.map((e) => e.eventTime()).filter((t): t is number => t !== null);
        return {
          ticks: p.ticks,
          consumerLag: p.lag,
          watermark: p.watermark,
          maxEventTime: times.length ? Math.max(...times) : null,
          dlq: p.rejected,
          late: p.late,
          lakeFiles: p.lakeFiles,
          mysql: mysqlState === 'failing' ? 'down' : mysqlState,
        };
      },
    });
    closers.push({ name: 'api', close: () => app.close() });
    await mountRegistry(app, registry);
    if (withBank) {
      const { startBankWorkload } = await import('./bank.js');
      const bank = await startBankWorkload({ mysqlUrl, brokers, dataDir, seed: config.str('seed') });
      closers.push({ name: 'bank', close: bank.closeBank }, { name: 'cdc', close: bank.closeCdc });
      bank.done.catch((e) => {
        failure ??= e;
        stopRequested(`bank workload failed: ${(e as Error).message}`);
      });
    }
    await app.listen({ host: config.str('apiHost'), port: config.num('apiPort') }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        throw tlError('TL_CONFIG_BAD_VALUE', {
          setting: '--port',
          value: String(config.num('apiPort')),
          reason: 'the port is in use (another ticklake start or serve?); pick another or 0 for a free one',
        });
      throw e;
    });
    if (config.list('with').includes('retail')) {
      // a generated sales workbook for #/retail (docs/retail.md), in the background
      const { loadRetailWorkbook } = await import('./retail.js');
      loadRetailWorkbook({ brokers, lake: app.lake, seed: config.str('seed'), log }).catch((e) =>
        log.warn({ err: (e as Error).message }, '--with retail: the workbook was not loaded'),
      );
    }
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.num('apiPort');
    const base = `http://${config.str('apiHost')}:${port}`;
    // recorded before the banner: a command run as soon as the URLs show finds the broker and API in the run file
    await writeRunFile(dataDir, { ...record, brokers, topic, api: base });

    say(
      [
        `ticklake is running (data in ${dataDir}; Ctrl-C stops)`,
        `  dashboard  ${base}/`,
        `  API docs   ${base}/docs`,
        `  Kafka      ${kafkaLine}`,
        `  MySQL      ${mysqlLine}`,
        `  registry   ${base}${REGISTRY_PREFIX} (schema registry; ticks sent as ${format})`,
        `  market     ${universe.exchanges.length} exchanges, ${ids.join(', ')}; ~${config.num('produceRate')} ticks/s, event time from ${new Date(market.clock.now()).toISOString()}`,
        `  history    ${historyLine}`,
        `ticklake urls: dashboard=${base}/ docs=${base}/docs kafka=${brokers.join(',')}`,
      ].join('\n'),
    );

    status = new StatusReporter(process.stderr);
    let ticks = 0;
    timer = setInterval(() => {
      if (++ticks % 10 === 0) log.debug({ memory: process.memoryUsage() }, 'memory');
      // the watermark, for replay's check of late files (run-file.ts)
      if (ticks % 2 === 0)
        void writeRunFile(dataDir, {
          ...record,
          brokers,
          topic,
          api: base,
          watermark: proc.stats().watermark,
          updatedAt: Date.now(),
        }).catch(() => {});
      status?.update({
        produced: exchanges.reduce((a, e) => a + e.sent(), 0),
        eventNow: market.clock.now(),
        processor: proc.stats(),
        mysql: refreshMysql(),
      });
    }, 1000);

    // the lake's small files, today's included, merged in the background (lake/compact-runner.ts); started after
    // the processor has opened its state, which removes the tick files of a batch that never committed
    const compactEvery = config.num('compactEvery');
    if (compactEvery > 0) {
      const { startLakeCompactor } = await import('../../lake/compact-runner.js');
      const compactor = startLakeCompactor({
        lakeDir,
        intervalMs: compactEvery,
        settleMs: config.num('compactSettle'),
        minFiles: config.num('compactMinFiles'),
        logger: logger('compact'),
      });
      closers.push({ name: 'compactor', close: () => compactor.close() });
      const { compactorMetrics } = await import('../../metrics/lake-metrics.js');
      compactorMetrics(metrics, () => compactor.stats());
    }
    scheduler?.start();

    const why = await stopped;
    stopping = true;
    clearInterval(timer);
    say(`ticklake start: stopping (${why})`);
  } catch (e) {
    failure ??= e;
  } finally {
    stopping = true;
    if (timer) clearInterval(timer);
    closers.sort((a, b) => STOP_ORDER.indexOf(a.name) - STOP_ORDER.indexOf(b.name));
    for (const c of closers) {
      try {
        await c.close();
      } catch (e) {
        if (!failure) log.error({ err: (e as Error).message }, `stopping ${c.name}`);
      }
    }
    await unlock();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (failure) throw failure;
  say('ticklake start: stopped cleanly; the next start resumes from here');
  return 0;
}

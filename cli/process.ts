import type { Config } from '../core/config.js';
import type { Command } from './command.js';

export const command: Command = {
  name: 'process',
  summary: 'Run the processors: every declared source (ticks and keyed tables) from Kafka to the lake and MySQL',
  description:
    'Consumes every source declared in sql/sources (and --sql-dir): the ticks topic through the tick engine\n' +
    '(bars, anomalies, valuations: docs/processor.md) and keyed tables and streams through the keyed-table engine\n' +
    '(change logs, jobs: docs/tables.md); --sources selects. Writes the Parquet lake and, with --mysql-url, MySQL.\n' +
    'Progress on stderr when it is a TTY; one summary line at exit. SIGINT/SIGTERM finish the current batch,\n' +
    'deliver it and commit before exiting.',
  async run(config) {
    if (config.choice('stage') === 'valuations') return runValuationStage(config);
    const { startProcessor } = await import('../processors/ticks/processor.js');
    const { startTablesProcessor } = await import('../processors/tables/processor.js');
    const { processorOptions, runsTicks, tablesOptions } = await import('../processors/options.js');
    const { brokersOf, lakeDirOf } = await import('./start/run-file.js');
    const { brokers, note } = brokersOf(config);
    if (note) process.stderr.write(`ticklake process: ${note}\n`);
    const tty = process.stderr.isTTY === true;
    const place = {
      brokers,
      lakeDir: lakeDirOf(config),
      stateDir: config.str('stateDir'),
      mysqlUrl: config.optStr('mysqlUrl'),
    };
    let lastConsumed = 0;
    let onBatch: ((b: { seconds: number; messages: number }) => void) | undefined;
    let lastTables = 0;
    // A signal while the engines start must not kill the process: the tick engine consumes and archives while the
    // keyed-table engine is still starting, and without a handler SIGTERM's default action ended it mid-batch
    // (exactly-once.test.ts's SIGTERM case, under load). Remembered here, it stops both once they exist (below).
    let signalled = false;
    const early = () => {
      signalled = true;
    };
    const offEarly = () => {
      process.off('SIGINT', early);
      process.off('SIGTERM', early);
    };
    process.once('SIGINT', early);
    process.once('SIGTERM', early);
    const ticks = runsTicks(config)
      ? await startProcessor({
          ...processorOptions(config, place),
          onBatch: (b) => onBatch?.(b),
          onProgress: tty
            ? (s) => {
                const rate = s.consumed - lastConsumed;
                lastConsumed = s.consumed;
                const wm = s.watermark === null ? '-' : new Date(s.watermark).toISOString();
                process.stderr.write(
                  `\r\x1b[Kconsumed ${s.consumed} (${rate}/s)  lag ${s.lag}  watermark ${wm}  bars ${s.bars}`,
                );
              }
            : undefined,
        })
      : undefined;
    // The tick engine may fail (MySQL refusing rows, a full disk) while the keyed-table engine still starts: its
    // `done` is awaited below, but a rejection with no handler attached yet crashed the process with a stack trace
    // instead of the error line and exit code (fatal-exit.test.ts, once the second start took longer).
    ticks?.done.catch(() => {});
    // a keyed-table engine that refuses to start (e.g. TL_LAKE_NOT_EMPTY) stops the tick engine it started beside
    const tables = await startTablesProcessor({
      ...tablesOptions(config, place),
      onProgress:
        tty && !ticks
          ? (s) => {
              process.stderr.write(
                `\r\x1b[Kconsumed ${s.consumed} (${s.consumed - lastTables}/s)  lag ${s.lag}  changes ${s.changes}`,
              );
              lastTables = s.consumed;
            }
          : undefined,
    }).catch(async (e) => {
      offEarly();
      await ticks?.close().catch(() => {});
      throw e;
    });
    if (!ticks && !tables) {
      offEarly();
      process.stderr.write('no source to process: sql/sources declares none (or --sources selected none)\n');
      return 1;
    }
    // Started after the processors have opened their state (and removed orphan tick files of an uncommitted batch).
    const compactEvery = config.num('compactEvery');
    const compactor =
      compactEvery > 0
        ? (await import('../lake/compact-runner.js')).startLakeCompactor({
            lakeDir: place.lakeDir,
            intervalMs: compactEvery,
            settleMs: config.num('compactSettle'),
            minFiles: config.num('compactMinFiles'),
          })
        : undefined;
    // --metrics-port: GET /metrics for Prometheus (docs/metrics.md)
    let metricsServer: { close(): Promise<void> } | undefined;
    const metricsPort = config.num('metricsPort');
    if (metricsPort > 0) {
      const { MetricsRegistry } = await import('../metrics/registry.js');
      const { processorMetrics } = await import('../metrics/processor-metrics.js');
      const { compactorMetrics, lakeMetrics } = await import('../metrics/lake-metrics.js');
      const { serveMetrics } = await import('../metrics/http-endpoint.js');
      const m = new MetricsRegistry();
      (await import('../metrics/duckdb-metrics.js')).duckdbMetrics(m);
      (await import('../metrics/thread-metrics.js')).threadMetrics(m);
      if (ticks) {
        onBatch = processorMetrics(m, {
          stats: () => ticks.stats(),
          topic: config.str('topic'),
          mysql: config.optStr('mysqlUrl') !== undefined,
        }).onBatch;
      }
      if (tables) {
        const { tablesMetrics } = await import('../metrics/tables-metrics.js');
        tablesMetrics(m, () => tables.stats());
      }
      lakeMetrics(m, lakeDirOf(config));
      if (compactor) compactorMetrics(m, () => compactor.stats());
      metricsServer = await serveMetrics(m, metricsPort);
    }
    const stop = () => {
      void ticks?.close();
      void tables?.close();
    };
    offEarly();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (signalled) stop();
    try {
      // one engine failing stops the other (and the command fails)
      const settled = await Promise.allSettled([
        ticks?.done.catch((e) => {
          void tables?.close();
          throw e;
        }),
        tables?.done.catch((e) => {
          void ticks?.close();
          throw e;
        }),
      ]);
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const lines: string[] = [];
      const s = settled[0].status === 'fulfilled' ? settled[0].value : undefined;
      if (s) {
        const secs = ((s.finishedAt ?? Date.now()) - s.startedAt) / 1000;
        lines.push(
          `processed ${s.consumed} messages in ${secs.toFixed(1)} s: ${s.ticks} ticks, ` +
            `${s.rejected} rejected, ${s.late} late, ${s.bars} bars, ${s.anomalies} anomalies, ` +
            `${s.valuations} valuations`,
        );
      }
      const t = settled[1].status === 'fulfilled' ? settled[1].value : undefined;
      if (t) {
        lines.push(
          `tables: ${t.consumed} messages into ${tables?.catalog.sources.length} sources and ` +
            `${tables?.catalog.jobs.length} jobs: ${t.changes} changes, ${t.rejected} rejected, ${t.late} late`,
        );
      }
      process.stderr.write(`${tty ? '\r\x1b[K' : ''}${lines.join('\n')}\n`);
      return 0;
    } finally {
      await compactor?.close();
      await metricsServer?.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};

/** `--stage valuations`: the valuation stage alone, fed by the closes topic (processors/valuations/). */
async function runValuationStage(config: Config): Promise<number> {
  const { startValuationStage } = await import('../processors/valuations/valuation-processor.js');
  const stage = await startValuationStage({
    brokers: config.list('brokers'),
    group: `${config.str('group')}-valuations`,
    lakeDir: config.str('lakeDir'),
    stateDir: config.str('stateDir'),
    mysqlUrl: config.optStr('mysqlUrl'),
    untilIdle: config.has('untilIdle') ? config.bool('untilIdle') : false,
    sessionTimeoutMs: config.num('sessionTimeout'),
  });
  const stop = () => void stage.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const s = await stage.done;
    process.stderr.write(
      `valuations: ${s.consumed} messages (${s.closes} closes, ${s.marks} marks, ${s.invalid} invalid) in ` +
        `${s.batches} batches: ${s.valuations} valuations\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

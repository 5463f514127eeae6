import type { Command } from './command.js';

export const command: Command = {
  name: 'process',
  summary: 'Run the windowing processor: ticks from Kafka to bars, anomalies and valuations in the lake and MySQL',
  description:
    'Consumes the ticks topic, computes the stream SQL of sql/streams per window (docs/processor.md), writes the\nParquet lake and, with --mysql-url, MySQL. Progress on stderr when it is a TTY; one summary line at exit.\nSIGINT/SIGTERM finish the current batch, deliver it and commit before exiting.',
  async run(config) {
    const { startProcessor } = await import('../processors/ticks/processor.js');
    const { processorOptions } = await import('../processors/options.js');
    const { brokersOf, lakeDirOf } = await import('./start/run-file.js');
    const { brokers, note } = brokersOf(config);
    if (note) process.stderr.write(`ticklake process: ${note}\n`);
    const lakeDir = lakeDirOf(config);
    const tty = process.stderr.isTTY === true;
    let lastConsumed = 0;
    const proc = await startProcessor({
      ...processorOptions(config, {
        brokers,
        lakeDir,
        stateDir: config.str('stateDir'),
        mysqlUrl: config.optStr('mysqlUrl'),
      }),
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
    });
    // Started after the processor has opened its state (and removed orphan tick files of an uncommitted batch).
    const compactEvery = config.num('compactEvery');
    const compactor =
      compactEvery > 0
        ? (await import('../lake/compact-runner.js')).startLakeCompactor({
            lakeDir,
            intervalMs: compactEvery,
            settleMs: config.num('compactSettle'),
            minFiles: config.num('compactMinFiles'),
          })
        : undefined;
    const stop = () => {
      void proc.close();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const s = await proc.done;
      const secs = ((s.finishedAt ?? Date.now()) - s.startedAt) / 1000;
      process.stderr.write(
        `${tty ? '\r\x1b[K' : ''}processed ${s.consumed} messages in ${secs.toFixed(1)} s: ${s.ticks} ticks, ` +
          `${s.rejected} rejected, ${s.late} late, ${s.bars} bars, ${s.anomalies} anomalies, ` +
          `${s.valuations} valuations\n`,
      );
      return 0;
    } finally {
      await compactor?.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};

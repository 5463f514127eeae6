/**
 * `ticklake import --file trades.csv`: recorded trades into the lake as history — ticks, bars of every window and
 * anomalies, computed as a batch with the processor's stream SQL (history/import.ts). The way to bring your own
 * historical data: `ticklake replay` publishes to Kafka as a live feed, where ticks older than the running
 * pipeline's watermark are late by design.
 */
import type { Command } from './command.js';

export const command: Command = {
  name: 'import',
  summary: 'Import recorded trades (CSV, JSON Lines, Parquet) into the lake as history: ticks, bars, anomalies',
  usage: '--file trades.csv [--lake-dir DIR | --data-dir DIR] [--windows 10s,1m,1h,1d]',
  description:
    'Columns as for replay: ts|timestamp|time|datetime|date, symbol|ticker, price|close|last, optional\n' +
    'size|volume|qty (1 when absent; fractions such as 0.015 are fine), exchange, asset_class. Bad rows are reported\n' +
    'as FILE:LINE: reason and skipped; the exit code is 1 when any were, unless --skip-bad. A symbol-day the lake\n' +
    'already has bars of is skipped (named), so importing twice adds nothing twice. The lake is --lake-dir, else the\n' +
    'one of the ticklake start in --data-dir (it may be running: files appear whole). docs/history.md',
  async run(config) {
    const { importFile } = await import('../history/import.js');
    const { parseWindows } = await import('../processors/time/windows.js');
    const { lakeDirOf } = await import('./start/run-file.js');
    const { tlError } = await import('../core/errors.js');
    const lakeDir = lakeDirOf(config);
    let reported = 0;
    const file = config.str('replayFile');
    const s = await importFile({
      file,
      lakeDir,
      windows: parseWindows(config.list('windows')),
      defaults: { exchange: config.str('exchange'), assetClass: config.str('replayAssetClass') },
      thresholds: {
        spike: config.num('spikeThreshold'),
        critical: config.num('criticalThreshold'),
        volumeSpikeFactor: config.num('volumeSpikeFactor'),
      },
      onBad: (b) => {
        if (++reported <= 100)
          process.stderr.write(`${tlError('TL_DATA_BAD_ROW', { file, line: b.line, reason: b.reason }).message}\n`);
      },
    });
    if (reported > 100) process.stderr.write(`... and ${reported - 100} more bad rows\n`);
    const span =
      s.firstTs === null
        ? ''
        : `, ${new Date(s.firstTs).toISOString()} .. ${new Date(s.lastTs as number).toISOString()}`;
    if (s.skippedTicks > 0)
      process.stderr.write(
        `import: skipped ${s.skippedTicks} tick(s) of ${s.skippedDays.length} symbol-day(s) the lake already has bars of: ` +
          `${s.skippedDays.slice(0, 10).join(', ')}${s.skippedDays.length > 10 ? ', ...' : ''}\n`,
      );
    process.stdout.write(
      `import: ${s.ticks} ticks of ${s.symbols.length} symbol(s) (${s.symbols.slice(0, 8).join(', ')}` +
        `${s.symbols.length > 8 ? ', ...' : ''}) from ${file}${span}: ${s.bars} bars, ${s.anomalies} anomalies, ` +
        `${s.files} files into ${lakeDir} in ${s.seconds.toFixed(1)} s; ${s.bad} bad rows skipped\n`,
    );
    return s.bad > 0 && !config.bool('skipBad') ? 1 : 0;
  },
};

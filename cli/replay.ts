/**
 * `ticklake replay --file trades.csv|.jsonl|.parquet`: publish recorded trades to Kafka in event-time order, as a
 * feed. To the Kafka of the ticklake start recorded in --data-dir unless --brokers says otherwise; a file whose ticks
 * that running start has already passed (older than its watermark) would all go to late_ticks, so it is refused with
 * the way to import history instead (`ticklake import`), unless --allow-late.
 */
import type { Command } from './command.js';

const day = (ms: number) => new Date(ms).toISOString();

export const command: Command = {
  name: 'replay',
  summary: 'Publish recorded trades (CSV, JSON Lines, Parquet) to Kafka in event-time order, as a live feed',
  description:
    'Columns are found by header name: ts|timestamp|time|datetime|date, symbol|ticker, price|close|last,\n' +
    'optional size|volume|qty (1 when absent; fractions such as 0.015 are fine), exchange, asset_class. Timestamps are\n' +
    'ISO 8601 (UTC unless a zone is given) or epoch s/ms/us/ns. Bad rows are reported as FILE:LINE: reason and skipped;\n' +
    'the exit code is 1 when any were skipped, unless --skip-bad. Sample: producers/samples/eustockmarkets.csv.\n' +
    'History (event times the running pipeline has passed) is imported, not replayed: ticklake import --file FILE.',
  async run(config) {
    const { runReplay, parseSpeed } = await import('../producers/replay-run.js');
    const { brokersOf, findStart } = await import('./start/run-file.js');
    const speed = parseSpeed(config.str('replaySpeed'));
    const { brokers, note } = brokersOf(config);
    if (note) process.stderr.write(`ticklake replay: to the ${note}\n`);
    const file = config.str('replayFile');
    const topic = config.str('topic');
    // the pipeline this replay feeds, when it is the recorded start: its watermark says what would be late
    const target = findStart(config);
    const pipeline =
      target?.running && target.run.brokers?.join(',') === brokers.join(',') && target.run.topic === topic
        ? target.run
        : undefined;
    const { openTickEncoding } = await import('../producers/tick-encoding.js');
    const format = config.choice('messageFormat');
    const encoding = await openTickEncoding({
      format,
      topic: config.str('topic'),
      brokers,
      registryUrl: config.optStr('registryUrl'),
    });
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const summary = await runReplay({
        file,
        brokers,
        topic,
        speed,
        batchSize: config.num('batchSize'),
        retries: config.num('sendRetries'),
        defaults: { exchange: config.str('exchange'), assetClass: config.str('replayAssetClass') },
        signal: abort.signal,
        refuse: (scan) => {
          const wm = pipeline?.watermark;
          if (typeof wm !== 'number' || scan.firstTs === null || scan.firstTs >= wm) return undefined;
          const all = (scan.lastTs as number) < wm;
          const what = all
            ? `every tick of ${file} (${day(scan.firstTs)} .. ${day(scan.lastTs as number)}) is older`
            : `the ticks of ${file} from ${day(scan.firstTs)} until then (of ${day(scan.firstTs)} .. ${day(scan.lastTs as number)}) are older`;
          const warning =
            `the ticklake start running in ${pipeline?.dataDir} (pid ${pipeline?.pid}) is at event time ${day(wm)}; ` +
            `${what}, so the processor would put ${all ? 'all of them' : 'those'} in late_ticks and make no bar of ` +
            `them. History goes into the lake with: npx ticklake import --file ${file} (--allow-late sends anyway)`;
          if (!config.bool('allowLate')) return warning;
          process.stderr.write(`ticklake replay: WARNING: ${warning}\n`);
          return undefined;
        },
        encode: encoding.encode,
      });
      return summary.bad > 0 && !config.bool('skipBad') ? 1 : 0;
    } catch (e) {
      if ((e as Error).name?.startsWith('KafkaJS')) return 1;
      throw e;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};

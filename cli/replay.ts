/** `ticklake replay --file trades.csv|.jsonl|.parquet`: publish recorded trades in event-time order. */
import type { Command } from './command.js';

export const command: Command = {
  name: 'replay',
  summary: 'Publish recorded trades (CSV, JSON Lines, Parquet) to Kafka in event-time order',
  description:
    'Columns are found by header name: ts|timestamp|time|datetime|date, symbol|ticker, price|close|last,\n' +
    'optional size|volume|qty (1 when absent), exchange, asset_class. Timestamps are ISO 8601 (UTC unless a zone\n' +
    'is given) or epoch s/ms/us/ns. Bad rows are reported as FILE:LINE: reason and skipped; the exit code is 1 when\n' +
    'any were skipped, unless --skip-bad. Sample: producers/samples/eustockmarkets.csv.',
  async run(config) {
    const { runReplay, parseSpeed } = await import('../producers/replay-run.js');
    const speed = parseSpeed(config.str('replaySpeed'));
    const { openTickEncoding, parseTickFormat } = await import('../producers/tick-encoding.js');
    const format = parseTickFormat(config.str('messageFormat'));
    const encoding = await openTickEncoding({
      format,
      topic: config.str('topic'),
      brokers: config.list('brokers'),
      registryUrl: config.optStr('registryUrl'),
    });
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const summary = await runReplay({
        file: config.str('replayFile'),
        brokers: config.list('brokers'),
        topic: config.str('topic'),
        speed,
        batchSize: config.num('batchSize'),
        retries: config.num('sendRetries'),
        defaults: { exchange: config.str('exchange'), assetClass: config.str('replayAssetClass') },
        signal: abort.signal,
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

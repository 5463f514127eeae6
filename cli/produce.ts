/**
 * `ticklake produce`: simulated exchanges publishing ticks to Kafka. Each exchange can run as its own process
 * (`--exchange SE1`) or all in one (the default).
 */
import type { Config, StringSettingName } from '../core/config.js';
import { tlError } from '../core/errors.js';
import type { Command } from './command.js';

/** An ISO date/time or epoch ms from a setting, or a config error naming the flag. */
async function timeSetting(config: Config, name: StringSettingName, flag: string): Promise<number | undefined> {
  const text = config.optStr(name);
  if (text === undefined) return undefined;
  const { parseEventTime } = await import('../producers/event-time.js');
  const ms = parseEventTime(text);
  if (ms === null)
    throw tlError('TL_CONFIG_BAD_VALUE', {
      setting: flag,
      value: JSON.stringify(text),
      reason: 'expected an ISO date/time (2026-01-05T09:30:00Z) or epoch milliseconds',
    });
  return ms;
}

export const command: Command = {
  name: 'produce',
  summary: 'Simulated exchanges: publish price ticks to Kafka (GBM, mean-reverting, jump models)',
  description:
    'Event time starts at --start and advances by --tick-interval per step (or one weekday per step with --daily),\n' +
    'independent of wall time. The same --seed, universe, --start and interval give byte-identical messages.\n' +
    'Prints progress on a terminal and one summary line at the end; exits 1 when the broker keeps failing.',
  async run(config) {
    const { loadUniverse, selectSymbols, DEFAULT_UNIVERSE_FILE } = await import('../producers/universe.js');
    const { runProduce } = await import('../producers/produce-run.js');
    const { todayUtc } = await import('../producers/event-time.js');

    const universe = await loadUniverse(config.optStr('universe') ?? DEFAULT_UNIVERSE_FILE);
    const exchange = config.optStr('exchange');
    const symbols = selectSymbols(universe, exchange);
    const start = (await timeSetting(config, 'produceStart', '--start')) ?? todayUtc();
    let end = await timeSetting(config, 'produceEnd', '--end');
    const duration = config.optNum('produceDuration');
    if (duration !== undefined) end = Math.min(end ?? Number.POSITIVE_INFINITY, start + duration);
    const count = config.optNum('produceCount');
    if (count !== undefined && count < 0)
      throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--count', value: String(count), reason: 'must be >= 0' });
    const rate = config.num('produceRate');
    if (rate < 0)
      throw tlError('TL_CONFIG_BAD_VALUE', { setting: '--rate', value: String(rate), reason: 'must be >= 0' });
    const batchSize = config.num('batchSize');
    if (batchSize < 1)
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '--batch-size',
        value: String(batchSize),
        reason: 'must be >= 1',
      });

    const { brokersOf } = await import('./start/run-file.js');
    const { brokers, note } = brokersOf(config);
    if (note) process.stderr.write(`ticklake produce: ${note}\n`);
    const { openTickEncoding } = await import('../producers/tick-encoding.js');
    const format = config.choice('messageFormat');
    const { encode } = await openTickEncoding({
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
      if (config.bool('live')) {
        const { runLiveProduce } = await import('../producers/live-produce.js');
        return await runLiveProduce({
          brokers,
          topic: config.str('topic'),
          exchanges: universe.exchanges.filter((x) => exchange === undefined || x.id === exchange),
          seed: config.str('seed'),
          tickIntervalMs: config.num('tickInterval'),
          dataDir: config.str('dataDir'),
          batchSize,
          retries: config.num('sendRetries'),
          signal: abort.signal,
          encode,
        });
      }
      await runProduce({
        brokers,
        topic: config.str('topic'),
        symbols,
        sim: {
          seed: config.str('seed'),
          start,
          tickIntervalMs: config.num('tickInterval'),
          daily: config.bool('daily'),
          end,
        },
        count,
        rate,
        batchSize,
        retries: config.num('sendRetries'),
        signal: abort.signal,
        encode,
        label: `produce ${exchange ?? universe.exchanges.map((x) => x.id).join('+')}`,
      });
      return 0;
    } catch (e) {
      // the summary line is already out; a KafkaJS error is an operational failure, not a usage error
      if ((e as Error).name?.startsWith('KafkaJS')) return 1;
      throw e;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};

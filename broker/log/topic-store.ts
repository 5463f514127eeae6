/** Topics and partitions of the broker, backed by the durable log under `<dataDir>/topics`. */
import type { Logger } from '../../core/log.js';
import type { BrokerConfig } from '../context.js';

export class TopicStore {
  private constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
  ) {}

  static async open(config: BrokerConfig, log: Logger): Promise<TopicStore> {
    return new TopicStore(config, log);
  }

  async close(): Promise<void> {}
}

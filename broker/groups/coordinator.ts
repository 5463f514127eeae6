/** Consumer groups: membership, rebalances, generations, and committed offsets under `<dataDir>/groups`. */
import type { Logger } from '../../core/log.js';
import type { BrokerConfig } from '../context.js';
import type { TopicStore } from '../log/topic-store.js';

export class GroupCoordinator {
  private constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
    readonly topics: TopicStore,
  ) {}

  static async open(config: BrokerConfig, log: Logger, topics: TopicStore): Promise<GroupCoordinator> {
    return new GroupCoordinator(config, log, topics);
  }

  async close(): Promise<void> {}
}

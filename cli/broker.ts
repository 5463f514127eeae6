import type { Command } from './command.js';

export const command: Command = {
  name: 'broker',
  summary: 'Run the embedded Kafka-protocol broker in the foreground',
  description:
    'A single-node broker that speaks the Kafka wire protocol (kafkajs, kcat, kafka-python connect unchanged).\nPrints "broker listening on HOST:PORT" when ready; stops cleanly on SIGINT or SIGTERM.',
  async run(config) {
    const { startBroker } = await import('../broker/index.js');
    const broker = await startBroker({
      host: config.str('brokerHost'),
      port: config.num('brokerPort'),
      dataDir: config.str('brokerDataDir'),
      fsync: config.choice('fsync'),
      defaultPartitions: config.num('defaultPartitions'),
      autoCreateTopics: config.bool('autoCreateTopics'),
      retentionBytes: config.num('retentionBytes'),
      retentionMs: config.num('retentionMs'),
      segmentBytes: config.num('segmentBytes'),
      maxFrameBytes: config.num('maxFrameBytes'),
      maxInflightBytes: config.num('maxInflightBytes'),
      connectionsMaxIdleMs: config.num('connectionsMaxIdleMs'),
      cleanerIntervalMs: config.num('cleanerIntervalMs'),
      cleanerBufferBytes: config.num('cleanerBufferBytes'),
      tailCacheBytes: config.num('tailCacheBytes'),
      deleteRetentionMs: config.num('deleteRetentionMs'),
      groupInitialRebalanceDelayMs: config.num('groupInitialRebalanceDelayMs'),
    });
    process.stdout.write(`broker listening on ${broker.address}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await broker.close();
    return 0;
  },
};

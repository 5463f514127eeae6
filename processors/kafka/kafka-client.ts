/**
 * The processor's kafkajs client settings, one place for both of its clients: the main thread's (producer, admin;
 * kafka-source.ts) and the consumer thread's (consumer-thread-main.ts). kafkajs logs go to `log` at warn and above.
 */
import { Kafka, logLevel } from '../../core/kafkajs.js';

export type KafkaLog = (level: 'error' | 'warn', obj: Record<string, unknown>, msg: string) => void;

export function processorKafka(brokers: string[], clientId: string, log: KafkaLog): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 100 },
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      log(entry.level <= logLevel.ERROR ? 'error' : 'warn', { kafkajs: entry.namespace, ...rest }, message);
    },
  });
}

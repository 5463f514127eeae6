/**
 * Settings of the commands that talk to a Kafka broker: where it is, which topic, how messages are encoded
 * and the schema registry (docs/registry.md).
 */
import { declare } from '../setting.js';

/** The commands that run Kafka clients (producers and consumers). */
const KAFKA_CLIENTS: readonly string[] = ['produce', 'replay', 'process', 'start'];

/** Kafka clients. */
export const KAFKA_CLIENT_SETTINGS = declare([
  {
    name: 'brokers',
    flag: '--brokers',
    env: 'TICKLAKE_BROKERS',
    type: 'list',
    help: 'Kafka bootstrap servers HOST:PORT[,HOST:PORT]',
    commandHelp: {
      start: 'Kafka bootstrap servers HOST:PORT[,HOST:PORT] of a real cluster, instead of the embedded broker',
      serve:
        'Kafka bootstrap servers HOST:PORT[,HOST:PORT] where the schema registry keeps _schemas (no registry without it), the cluster the #/kafka page shows and where uploads are published',
      upload: 'Kafka bootstrap servers HOST:PORT[,HOST:PORT] where the rows are published',
    },
    commandDefaults: {
      produce: '127.0.0.1:9092',
      replay: '127.0.0.1:9092',
      process: '127.0.0.1:9092',
      cdc: '127.0.0.1:9092',
      registry: '127.0.0.1:9092',
      upload: '127.0.0.1:9092',
      filings: '127.0.0.1:9092',
    },
    commands: [...KAFKA_CLIENTS, 'registry', 'serve', 'cdc', 'upload', 'filings'],
  },
  {
    name: 'topic',
    flag: '--topic',
    env: 'TICKLAKE_TOPIC',
    type: 'string',
    default: 'ticks',
    help: 'Topic of price ticks',
    commands: KAFKA_CLIENTS,
  },
]);

/** Message encoding and the schema registry (docs/registry.md). */
export const ENCODING_SETTINGS = declare([
  {
    name: 'messageFormat',
    flag: '--format',
    env: 'TICKLAKE_MESSAGE_FORMAT',
    type: 'string',
    choices: ['json', 'avro'],
    default: 'json',
    help: 'Encoding of the ticks sent: json, or avro (Confluent wire format, the tick schema registered in the schema registry; docs/registry.md)',
    commands: ['produce', 'replay', 'start'],
  },
  {
    name: 'registryUrl',
    flag: '--registry-url',
    env: 'TICKLAKE_REGISTRY_URL',
    type: 'string',
    help: 'With --format avro: a Confluent-compatible schema registry to register the tick schema with (default: ticklake registers it itself, in the _schemas topic on --brokers)',
    commands: ['produce', 'replay'],
  },
  {
    name: 'registryHost',
    flag: '--host',
    env: 'TICKLAKE_REGISTRY_HOST',
    type: 'string',
    default: '127.0.0.1',
    help: 'Address the schema registry listens on',
    commands: ['registry'],
  },
  {
    name: 'registryPort',
    flag: '--port',
    env: 'TICKLAKE_REGISTRY_PORT',
    type: 'int',
    default: '8081',
    help: 'Port of the schema registry (0 picks a free port)',
    commands: ['registry'],
  },
]);

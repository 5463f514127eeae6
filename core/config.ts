/**
 * Every setting ticklake reads, declared once: name, CLI flag, `TICKLAKE_*` env var, type, default, help.
 * CLI parsing, each command's `--help`, and the README's configuration table are derived from this list
 * (`ticklake gen-docs` rewrites the README section; a test fails when it is stale).
 *
 * Precedence: command-line flag > environment variable > per-command default > default.
 */
import { ASSET_CLASSES } from '../contracts/asset-classes.js';
import { tlError } from './errors.js';

export type SettingType = 'string' | 'int' | 'number' | 'bool' | 'duration' | 'size' | 'list';
export type SettingValue = string | number | boolean | string[] | undefined;

export interface Setting {
  /** camelCase key used in code. */
  readonly name: string;
  /** Long flag, e.g. `--lake-dir`. Two settings may share a flag only if no command uses both. */
  readonly flag: string;
  /** Environment variable, `TICKLAKE_*`. */
  readonly env: string;
  readonly type: SettingType;
  /**
   * The only values a `string` setting (or each item of a `list` setting) may take, declared here once: another value
   * is refused at parsing with an error naming the flag or env var, the value and these choices; the docs list them.
   */
  readonly choices?: readonly string[];
  /** Narrower choices for particular commands (a subset of `choices`). */
  readonly commandChoices?: Readonly<Record<string, readonly string[]>>;
  /**
   * A `list` setting whose every flag occurrence is one item, never split on commas (`--param name=value`, where the
   * value may hold commas); its environment variable holds one item per line.
   */
  readonly repeatable?: boolean;
  /** Default as it would be typed on the command line (durations like `5s`, sizes like `1GiB`). */
  readonly default?: string;
  /** Overrides of the default for particular commands. */
  readonly commandDefaults?: Readonly<Record<string, string>>;
  /** What the setting does, for every command that has no text of its own in `commandHelp`. */
  readonly help: string;
  /**
   * Per-command help, where the setting means something particular to one command: `ticklake <command> --help` shows
   * only its own text (never another command's), the README table shows them all.
   */
  readonly commandHelp?: Readonly<Record<string, string>>;
  /** Subcommands that accept the setting. */
  readonly commands: readonly string[];
}

/**
 * Keeps the literal names, types and choices of the declarations (a `const` type parameter), so that the names
 * code may ask `Config` for are checked by tsc (`SettingName`, `NumberSettingName`, …) while each entry is still
 * checked against `Setting`.
 */
function declare<const T extends readonly Setting[]>(settings: T): T {
  return settings;
}

const KAFKA_CLIENTS: readonly string[] = ['produce', 'replay', 'process', 'start'];

/** Sales workbook uploads and the retail analytics (docs/retail.md). */
const RETAIL_SETTINGS = declare([
  {
    name: 'uploadToken',
    flag: '--upload-token',
    env: 'TICKLAKE_UPLOAD_TOKEN',
    type: 'string',
    help: 'When set, POST /api/uploads needs Authorization: Bearer <token> (separate from --token: the accountant uploads, the administrator queries)',
    commands: ['serve', 'start'],
  },
  {
    name: 'maxUploadSize',
    flag: '--max-upload-size',
    env: 'TICKLAKE_MAX_UPLOAD_SIZE',
    type: 'size',
    default: '64MiB',
    help: 'Largest workbook or CSV file an upload accepts',
    commands: ['upload', 'serve', 'start'],
  },
  {
    name: 'maxUnpackedSize',
    flag: '--max-unpacked-size',
    env: 'TICKLAKE_MAX_UNPACKED_SIZE',
    type: 'size',
    default: '256MiB',
    help: "Largest total size a workbook's parts may unpack to; larger ones (zip bombs) are refused from the ZIP directory, before unpacking",
    commands: ['upload', 'serve', 'start'],
  },
  {
    name: 'dryRun',
    flag: '--dry-run',
    env: 'TICKLAKE_UPLOAD_DRY_RUN',
    type: 'bool',
    default: 'false',
    help: 'Check every row and report every error and warning; publish nothing',
    commands: ['upload'],
  },
  {
    name: 'skipBadRows',
    flag: '--skip-bad-rows',
    env: 'TICKLAKE_UPLOAD_SKIP_BAD_ROWS',
    type: 'bool',
    default: 'false',
    help: 'Publish the good rows of an upload that has errors, leaving the bad rows out (without it, nothing is published)',
    commands: ['upload'],
  },
  {
    name: 'fullReplace',
    flag: '--full-replace',
    env: 'TICKLAKE_UPLOAD_FULL_REPLACE',
    type: 'bool',
    default: 'false',
    help: 'The upload is the whole list: products and clients in the lake that its Products or Clients sheet leaves out are deleted',
    commands: ['upload'],
  },
  {
    name: 'asOf',
    flag: '--as-of',
    env: 'TICKLAKE_AS_OF',
    type: 'string',
    help: 'The day (YYYY-MM-DD) stock at risk is measured from (default: today, UTC)',
    commandHelp: { generate: "The workbook's today (YYYY-MM-DD; default: today, UTC)" },
    commands: ['upload', 'generate'],
  },
  {
    name: 'out',
    flag: '--out',
    env: 'TICKLAKE_GENERATE_OUT',
    type: 'string',
    help: 'generate retail: the .xlsx file to write',
    commands: ['generate'],
  },
  {
    name: 'generateLines',
    flag: '--lines',
    env: 'TICKLAKE_GENERATE_LINES',
    type: 'int',
    default: '2000',
    help: 'generate retail: invoice lines in the workbook (planted cases included)',
    commands: ['generate'],
  },
]);

/** `ticklake cdc` (docs/cdc.md). */
const CDC_SETTINGS = declare([
  {
    name: 'cdcTables',
    flag: '--tables',
    env: 'TICKLAKE_CDC_TABLES',
    type: 'list',
    help: 'Tables captured, db.table[,db.table] (default: every table of the --mysql-url database)',
    commands: ['cdc'],
  },
  {
    name: 'cdcSnapshot',
    flag: '--snapshot',
    env: 'TICKLAKE_CDC_SNAPSHOT',
    type: 'string',
    choices: ['initial', 'never', 'only'],
    default: 'initial',
    help: 'initial: snapshot the tables when no offsets are stored, then stream; never: stream from the current binlog end; only: snapshot and exit',
    commands: ['cdc'],
  },
  {
    name: 'topicPrefix',
    flag: '--topic-prefix',
    env: 'TICKLAKE_CDC_TOPIC_PREFIX',
    type: 'string',
    default: 'mysql',
    help: "Topics are <prefix>.<db>.<table> (Debezium's topic.prefix); also source.name in the events",
    commands: ['cdc'],
  },
  {
    name: 'offsetsDir',
    flag: '--offsets-dir',
    env: 'TICKLAKE_CDC_OFFSETS_DIR',
    type: 'string',
    default: './data/cdc',
    help: 'Directory of the stored binlog position (offsets.json) and status.json; delete offsets.json to snapshot again',
    commandHelp: { serve: 'Directory of the ticklake cdc whose status.json the #/cdc page shows' },
    commands: ['cdc', 'serve'],
  },
  {
    name: 'cdcServerId',
    flag: '--server-id',
    env: 'TICKLAKE_CDC_SERVER_ID',
    type: 'int',
    default: '5400',
    help: 'Replica server id the binlog reader registers with (unique among the replicas of the server)',
    commands: ['cdc'],
  },
  {
    name: 'cdcSchemas',
    flag: '--schemas',
    env: 'TICKLAKE_CDC_SCHEMAS',
    type: 'bool',
    default: 'true',
    help: "Write the JSON converter's schema envelope {schema, payload} (schemas.enable); off: bare payloads, decimals as strings",
    commands: ['cdc'],
  },
  {
    name: 'printSources',
    flag: '--print-sources',
    env: 'TICKLAKE_CDC_PRINT_SOURCES',
    type: 'bool',
    default: 'false',
    help: 'Write a sql/sources/<table>.sql declaration per captured table into --sources-dir and exit',
    commands: ['cdc'],
  },
  {
    name: 'sourcesDir',
    flag: '--sources-dir',
    env: 'TICKLAKE_CDC_SOURCES_DIR',
    type: 'string',
    default: './sql/sources',
    help: 'Where --print-sources writes the declarations (- prints them to stdout)',
    commands: ['cdc'],
  },
  {
    name: 'cdcStopAfterIdle',
    flag: '--stop-when-idle',
    env: 'TICKLAKE_CDC_STOP_WHEN_IDLE',
    type: 'duration',
    help: 'Stop after the binlog has had nothing new for this long (tests, one-off catch-up); default: run until stopped',
    commands: ['cdc'],
  },
]);

const DECLARED = declare([
  // general
  {
    name: 'dataDir',
    flag: '--data-dir',
    env: 'TICKLAKE_DATA_DIR',
    type: 'string',
    default: './data',
    help: 'Where ticklake start keeps its data; its run file (ticklake.json) names the lake unless --lake-dir is given',
    commandHelp: {
      start:
        'Root of all local data: broker log, exchange checkpoints, processor state, lake, private MySQL, and the run file ticklake.json that tells the other commands where this start runs',
      produce:
        'Where ticklake start keeps its data, whose run file gives the Kafka address unless --brokers is given; with --live the exchanges keep their checkpoints under <data-dir>/exchanges',
      replay: 'Where ticklake start keeps its data; its run file gives the Kafka address unless --brokers is given',
      process:
        'Where ticklake start keeps its data; its run file gives the Kafka address and the lake unless --brokers / --lake-dir are given',
    },
    commands: [
      'start',
      'produce',
      'replay',
      'process',
      'sql',
      'report',
      'shell',
      'check',
      'views',
      'serve',
      'compact',
      'import',
      'run',
    ],
  },
  {
    name: 'logLevel',
    flag: '--log-level',
    env: 'TICKLAKE_LOG_LEVEL',
    type: 'string',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    commandDefaults: { start: 'warn' },
    help: 'Log level (with text logs the default is warn)',
    commands: ['*'],
  },
  {
    name: 'logFormat',
    flag: '--log-format',
    env: 'TICKLAKE_LOG_FORMAT',
    type: 'string',
    choices: ['auto', 'text', 'json'],
    default: 'auto',
    help: 'Logs on stderr as text (human lines) or json (one pino object per line); auto: text on a terminal, else json',
    commands: ['*'],
  },

  // embedded broker
  {
    name: 'brokerHost',
    flag: '--host',
    env: 'TICKLAKE_BROKER_HOST',
    type: 'string',
    default: '127.0.0.1',
    help: 'Address the embedded broker listens on and advertises',
    commands: ['broker'],
  },
  {
    name: 'brokerPort',
    flag: '--port',
    env: 'TICKLAKE_BROKER_PORT',
    type: 'int',
    default: '9092',
    help: 'Port of the embedded broker (0 picks a free port)',
    commands: ['broker'],
  },
  {
    name: 'brokerDataDir',
    flag: '--data-dir',
    env: 'TICKLAKE_BROKER_DATA_DIR',
    type: 'string',
    default: './data/broker',
    help: 'Directory of the broker log (segments, offsets, group state)',
    commands: ['broker'],
  },
  {
    name: 'fsync',
    flag: '--fsync',
    env: 'TICKLAKE_FSYNC',
    type: 'string',
    choices: ['acks-all', 'always', 'never'],
    default: 'acks-all',
    help: 'When the broker fsyncs the log: acks-all (before acknowledging acks=-1), always, or never',
    commands: ['broker', 'start'],
  },
  {
    name: 'defaultPartitions',
    flag: '--default-partitions',
    env: 'TICKLAKE_DEFAULT_PARTITIONS',
    type: 'int',
    default: '3',
    help: 'Partition count of topics created automatically',
    commands: ['broker', 'start'],
  },
  {
    name: 'autoCreateTopics',
    flag: '--auto-create-topics',
    env: 'TICKLAKE_AUTO_CREATE_TOPICS',
    type: 'bool',
    default: 'true',
    help: 'Create a topic when a client asks for metadata of an unknown one',
    commands: ['broker'],
  },
  {
    name: 'retentionBytes',
    flag: '--retention-bytes',
    env: 'TICKLAKE_RETENTION_BYTES',
    type: 'size',
    default: '1GiB',
    commandDefaults: { start: '256MiB' },
    help: 'Per-partition log size above which the oldest segments are deleted (0 = unlimited)',
    commands: ['broker', 'start'],
  },
  {
    name: 'retentionMs',
    flag: '--retention',
    env: 'TICKLAKE_RETENTION',
    type: 'duration',
    default: '7d',
    commandDefaults: { start: '2d' },
    help: 'Age after which whole log segments are deleted (0 = forever)',
    commands: ['broker', 'start'],
  },
  {
    name: 'with',
    flag: '--with',
    env: 'TICKLAKE_WITH',
    type: 'list',
    choices: ['bank', 'retail'],
    help: 'Extra workloads: bank = the bank simulator on the private MySQL (binlog on, database bank) captured by ticklake cdc into topics bank.bank.<table> (docs/cdc.md); retail = upload a generated sales workbook at start, so #/retail is not empty (docs/retail.md)',
    commands: ['start'],
  },
  {
    name: 'privateMysql',
    flag: '--private-mysql',
    env: 'TICKLAKE_PRIVATE_MYSQL',
    type: 'bool',
    default: 'true',
    help: 'Without --mysql-url, run a private mariadbd/mysqld under <data-dir>/mysql when one is installed',
    commands: ['start'],
  },
  {
    name: 'history',
    flag: '--history',
    env: 'TICKLAKE_HISTORY',
    type: 'duration',
    default: '2y',
    help: 'Daily history of the simulated market made on the first start of a data dir, so that every report has data (0 = none; docs/history.md)',
    commands: ['start'],
  },
  {
    name: 'historyIntraday',
    flag: '--history-intraday',
    env: 'TICKLAKE_HISTORY_INTRADAY',
    type: 'duration',
    default: '1d',
    help: 'On the first start, intraday history (a step a minute) from 00:00 UTC this long ago until the live market begins (0 = none)',
    commands: ['start'],
  },
  {
    name: 'embeddedBrokerPort',
    flag: '--broker-port',
    env: 'TICKLAKE_EMBEDDED_BROKER_PORT',
    type: 'int',
    default: '9092',
    help: 'Port of the embedded broker of start (0 picks a free port); unused with --brokers',
    commands: ['start'],
  },
  {
    name: 'segmentBytes',
    flag: '--segment-bytes',
    env: 'TICKLAKE_SEGMENT_BYTES',
    type: 'size',
    default: '64MiB',
    help: 'Size at which a partition rolls to a new log segment',
    commands: ['broker'],
  },
  {
    name: 'maxFrameBytes',
    flag: '--max-frame-bytes',
    env: 'TICKLAKE_MAX_FRAME_BYTES',
    type: 'size',
    default: '100MiB',
    help: 'Largest request frame the broker accepts; larger ones close the connection',
    commands: ['broker'],
  },
  {
    name: 'groupInitialRebalanceDelayMs',
    flag: '--group-initial-rebalance-delay',
    env: 'TICKLAKE_GROUP_INITIAL_REBALANCE_DELAY',
    type: 'duration',
    default: '1s',
    help: 'How long the first rebalance of an empty consumer group waits for more members to join',
    commands: ['broker'],
  },
  {
    name: 'maxInflightBytes',
    flag: '--max-inflight-bytes',
    env: 'TICKLAKE_MAX_INFLIGHT_BYTES',
    type: 'size',
    default: '256MiB',
    help: 'Request bytes all broker connections together may hold (at least --max-frame-bytes); others wait',
    commands: ['broker'],
  },
  {
    name: 'connectionsMaxIdleMs',
    flag: '--connections-max-idle',
    env: 'TICKLAKE_CONNECTIONS_MAX_IDLE',
    type: 'duration',
    default: '10m',
    help: 'Close a broker connection after this long without requests or traffic (0 = never)',
    commands: ['broker'],
  },
  {
    name: 'cleanerIntervalMs',
    flag: '--cleaner-interval',
    env: 'TICKLAKE_CLEANER_INTERVAL',
    type: 'duration',
    default: '15s',
    help: 'How often the log cleaner looks for compacted topics to clean (0 = off)',
    commands: ['broker'],
  },
  {
    name: 'cleanerBufferBytes',
    flag: '--cleaner-buffer',
    env: 'TICKLAKE_CLEANER_BUFFER',
    type: 'size',
    default: '32MiB',
    help: 'Memory of the log cleaner key map (24 bytes a key; more keys take several passes)',
    commands: ['broker'],
  },
  {
    name: 'deleteRetentionMs',
    flag: '--delete-retention',
    env: 'TICKLAKE_DELETE_RETENTION',
    type: 'duration',
    default: '1d',
    help: 'Default delete.retention.ms: how long tombstones of compacted topics stay readable',
    commands: ['broker'],
  },

  // Kafka clients
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

  // message encoding and the schema registry (docs/registry.md)
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

  // producers (simulated exchanges) and replay
  {
    name: 'universe',
    flag: '--universe',
    env: 'TICKLAKE_UNIVERSE',
    type: 'string',
    help: 'Universe file: exchanges, symbols, price models (default: the bundled producers/universe.json)',
    commands: ['produce', 'start'],
  },
  {
    name: 'exchange',
    flag: '--exchange',
    env: 'TICKLAKE_EXCHANGE',
    type: 'string',
    commandDefaults: { replay: 'REPLAY', import: 'REPLAY' },
    help: 'Exchange (venue)',
    commandHelp: {
      produce: 'Only this exchange of the universe (default: all of them)',
      replay: 'Venue of rows without an exchange column',
      import: 'Venue of rows without an exchange column',
    },
    commands: ['produce', 'replay', 'import'],
  },
  {
    name: 'seed',
    flag: '--seed',
    env: 'TICKLAKE_SEED',
    type: 'string',
    default: '1',
    help: 'Random seed; the same seed, universe, start and interval give byte-identical messages',
    commandHelp: { generate: 'Random seed; the same seed gives the same database operations' },
    commands: ['produce', 'start', 'generate'],
  },
  {
    name: 'produceCount',
    flag: '--count',
    env: 'TICKLAKE_PRODUCE_COUNT',
    type: 'int',
    help: 'Stop after this many messages (default: no limit)',
    commandHelp: { generate: 'Stop after this many database operations (default: no limit)' },
    commands: ['produce', 'generate'],
  },
  {
    name: 'produceDuration',
    flag: '--duration',
    env: 'TICKLAKE_PRODUCE_DURATION',
    type: 'duration',
    help: 'Stop when event time reaches --start plus this span (e.g. 1h, 30d)',
    commands: ['produce'],
  },
  {
    name: 'produceEnd',
    flag: '--end',
    env: 'TICKLAKE_PRODUCE_END',
    type: 'string',
    help: 'Stop before this event time (ISO date or epoch ms), e.g. with --daily',
    commands: ['produce'],
  },
  {
    name: 'produceRate',
    flag: '--rate',
    env: 'TICKLAKE_PRODUCE_RATE',
    type: 'number',
    default: '0',
    commandDefaults: { start: '100', generate: '20' },
    help: 'Most messages per second of wall time (0 = as fast as possible)',
    commandHelp: {
      start: 'Ticks per second of all exchanges together',
      generate: 'Database operations per second',
    },
    commands: ['produce', 'start', 'generate'],
  },
  {
    name: 'produceStart',
    flag: '--start',
    env: 'TICKLAKE_PRODUCE_START',
    type: 'string',
    help: 'Event time of the first tick, ISO or epoch ms (default: today 00:00 UTC)',
    commands: ['produce'],
  },
  {
    name: 'tickInterval',
    flag: '--tick-interval',
    env: 'TICKLAKE_TICK_INTERVAL',
    type: 'duration',
    default: '250ms',
    help: 'Event time between simulation steps (every symbol may trade once per step)',
    commands: ['produce'],
  },
  {
    name: 'live',
    flag: '--live',
    env: 'TICKLAKE_LIVE',
    type: 'bool',
    default: 'false',
    help: 'Live feed: event time follows the wall clock, state checkpointed under --data-dir/exchanges (docker-compose)',
    commands: ['produce'],
  },
  {
    name: 'daily',
    flag: '--daily',
    env: 'TICKLAKE_DAILY',
    type: 'bool',
    default: 'false',
    help: 'Daily closes: one step per weekday at 00:00 UTC, for long histories',
    commands: ['produce'],
  },
  {
    name: 'batchSize',
    flag: '--batch-size',
    env: 'TICKLAKE_BATCH_SIZE',
    type: 'int',
    default: '1000',
    help: 'Messages per Kafka produce request',
    commands: ['produce', 'replay'],
  },
  {
    name: 'sendRetries',
    flag: '--send-retries',
    env: 'TICKLAKE_SEND_RETRIES',
    type: 'int',
    default: '5',
    help: 'Retries of a failed produce request before giving up with a non-zero exit',
    commands: ['produce', 'replay'],
  },
  {
    name: 'replayFile',
    flag: '--file',
    env: 'TICKLAKE_REPLAY_FILE',
    type: 'string',
    help: 'Recorded trades to replay: .csv, .jsonl or .parquet',
    commandHelp: { import: 'Recorded trades to import: .csv, .jsonl or .parquet' },
    commands: ['replay', 'import'],
  },
  {
    name: 'replaySpeed',
    flag: '--speed',
    env: 'TICKLAKE_REPLAY_SPEED',
    type: 'string',
    default: 'max',
    help: 'Replay speed: 1 = original timing, 10 = ten times faster, max = no waiting',
    commands: ['replay'],
  },
  {
    name: 'skipBad',
    flag: '--skip-bad',
    env: 'TICKLAKE_SKIP_BAD',
    type: 'bool',
    default: 'false',
    help: 'Exit 0 even when bad rows were reported and skipped',
    commands: ['replay', 'import'],
  },
  {
    name: 'allowLate',
    flag: '--allow-late',
    env: 'TICKLAKE_REPLAY_ALLOW_LATE',
    type: 'bool',
    default: 'false',
    help: 'Send even when the running ticklake start has passed the file’s event times (those ticks go to late_ticks; use ticklake import for history)',
    commands: ['replay'],
  },
  {
    name: 'replayAssetClass',
    flag: '--asset-class',
    env: 'TICKLAKE_REPLAY_ASSET_CLASS',
    type: 'string',
    choices: ASSET_CLASSES,
    default: 'equity',
    help: 'Asset class of rows without an asset_class column',
    commands: ['replay', 'import'],
  },

  // analytics: lake session, HTTP API, shell and one-shot SQL commands
  {
    name: 'lakeDir',
    flag: '--lake-dir',
    env: 'TICKLAKE_LAKE_DIR',
    type: 'string',
    default: './data/lake',
    help: 'Directory of the Parquet lake (docs/lake.md)',
    commands: [
      'serve',
      'shell',
      'sql',
      'report',
      'check',
      'views',
      'process',
      'compact',
      'purge',
      'import',
      'run',
      'upload',
      'export',
    ],
  },
  {
    name: 'apiHost',
    flag: '--host',
    env: 'TICKLAKE_API_HOST',
    type: 'string',
    default: '127.0.0.1',
    help: 'Address the HTTP API listens on',
    commands: ['serve', 'start'],
  },
  {
    name: 'apiPort',
    flag: '--port',
    env: 'TICKLAKE_API_PORT',
    type: 'int',
    default: '8080',
    help: 'Port of the HTTP API (0 picks a free port)',
    commands: ['serve', 'start'],
  },
  {
    name: 'apiToken',
    flag: '--token',
    env: 'TICKLAKE_API_TOKEN',
    type: 'string',
    help: 'When set, POST /api/query needs the header Authorization: Bearer <token>',
    commands: ['serve', 'start'],
  },
  {
    name: 'queryTimeout',
    flag: '--query-timeout',
    env: 'TICKLAKE_QUERY_TIMEOUT',
    type: 'duration',
    default: '30s',
    help: 'Time limit of one API query, report or check, from its arrival (waiting included); then 408 and the query is stopped',
    commands: ['serve', 'start'],
  },
  {
    name: 'maxRows',
    flag: '--max-rows',
    env: 'TICKLAKE_MAX_ROWS',
    type: 'int',
    default: '100000',
    help: 'Most rows one API result returns; a longer result is cut and flagged truncated',
    commands: ['serve', 'start'],
  },
  {
    name: 'maxQueries',
    flag: '--max-queries',
    env: 'TICKLAKE_MAX_QUERIES',
    type: 'int',
    default: '4',
    help: 'API queries, reports and checks running at once, each in its own query process',
    commands: ['serve', 'start'],
  },
  {
    name: 'maxQueued',
    flag: '--max-queued',
    env: 'TICKLAKE_MAX_QUEUED',
    type: 'int',
    default: '32',
    help: 'API requests waiting for a query process; more are answered 503 TL_API_BUSY with Retry-After',
    commands: ['serve', 'start'],
  },
  {
    name: 'memoryLimit',
    flag: '--memory-limit',
    env: 'TICKLAKE_MEMORY_LIMIT',
    type: 'size',
    default: '1GB',
    commandDefaults: { start: '512MB', run: '512MB' },
    help: "DuckDB's memory limit",
    commandHelp: {
      serve:
        "Memory of the API's query processes together (the largest query is stopped above it), and the scheduler's DuckDB limit",
      start:
        "Memory of the API's query processes together (the largest query is stopped above it), and the scheduler's DuckDB limit",
    },
    commands: ['serve', 'shell', 'sql', 'report', 'check', 'start', 'run'],
  },
  {
    name: 'queryMemoryLimit',
    flag: '--query-memory-limit',
    env: 'TICKLAKE_QUERY_MEMORY_LIMIT',
    type: 'size',
    default: '512MB',
    commandDefaults: { start: '256MB' },
    help: 'Memory of one API query process; a query needing more fails with TL_SQL_MEMORY (DuckDB gets 60% of it)',
    commands: ['serve', 'start'],
  },
  {
    name: 'tempLimit',
    flag: '--temp-limit',
    env: 'TICKLAKE_TEMP_LIMIT',
    type: 'size',
    default: '4GB',
    commandDefaults: { start: '1GB' },
    help: "Temporary disk space (spills, Parquet exports) of the API's queries together; the largest is stopped above it",
    commands: ['serve', 'start'],
  },
  {
    name: 'queryTempLimit',
    flag: '--query-temp-limit',
    env: 'TICKLAKE_QUERY_TEMP_LIMIT',
    type: 'size',
    default: '1GB',
    commandDefaults: { start: '512MB' },
    help: 'Temporary disk space of one API query; a query needing more fails with TL_SQL_TEMP_SPACE',
    commands: ['serve', 'start'],
  },
  {
    name: 'sqlDir',
    flag: '--sql-dir',
    env: 'TICKLAKE_SQL_DIR',
    type: 'list',
    help: 'Your own SQL directory laid out like sql/ (sources/, jobs/, views/, reports/, checks/); its files add to the bundled ones and replace those of the same name; repeat the flag for more (docs/tables.md)',
    commands: ['process', 'start', 'serve', 'shell', 'sql', 'report', 'check', 'views', 'purge', 'run', 'export'],
  },
  {
    name: 'outputFormat',
    flag: '--format',
    env: 'TICKLAKE_FORMAT',
    type: 'string',
    choices: ['table', 'csv', 'json'],
    commandChoices: { upload: ['table', 'json'] },
    default: 'table',
    help: 'Output format',
    commands: ['sql', 'report', 'check', 'upload'],
  },
  {
    name: 'sqlParams',
    flag: '--param',
    env: 'TICKLAKE_PARAMS',
    type: 'list',
    repeatable: true,
    help: 'Report or check parameter name=value, one per flag (the value is everything after the first =, commas included); repeat the flag for more. TICKLAKE_PARAMS: one name=value per line',
    commands: ['report', 'check'],
  },
  {
    name: 'historyFile',
    flag: '--history-file',
    env: 'TICKLAKE_HISTORY_FILE',
    type: 'string',
    default: '~/.ticklake_history',
    help: 'Where the interactive shell keeps its command history',
    commands: ['shell'],
  },
  {
    name: 'viewsPrint',
    flag: '--print',
    env: 'TICKLAKE_VIEWS_PRINT',
    type: 'bool',
    default: 'false',
    help: 'Print the view definitions as plain SQL for the duckdb CLI',
    commands: ['views'],
  },

  // export of lake tables (docs/fundamentals.md, "Export")
  {
    name: 'exportTable',
    flag: '--table',
    env: 'TICKLAKE_EXPORT_TABLE',
    type: 'string',
    help: 'Table or view to export (any name ticklake sql can read)',
    commands: ['export'],
  },
  {
    name: 'exportFormat',
    flag: '--format',
    env: 'TICKLAKE_EXPORT_FORMAT',
    type: 'string',
    choices: ['jsonl', 'parquet'],
    default: 'jsonl',
    help: 'Export file format',
    commands: ['export'],
  },
  {
    name: 'partitionBy',
    flag: '--partition-by',
    env: 'TICKLAKE_PARTITION_BY',
    type: 'list',
    help: 'Columns of the Hive partition folders (col=value/...), in order; none for one folder',
    commands: ['export'],
  },
  {
    name: 'outDir',
    flag: '--out',
    env: 'TICKLAKE_OUT',
    type: 'string',
    help: 'Output directory of the export (must be empty or absent)',
    commands: ['export'],
  },
  {
    name: 'gzip',
    flag: '--gzip',
    env: 'TICKLAKE_GZIP',
    type: 'bool',
    default: 'false',
    help: 'export --format jsonl: gzip each file (.jsonl.gz)',
    commands: ['export'],
  },

  // lake compaction
  {
    name: 'table',
    flag: '--table',
    env: 'TICKLAKE_COMPACT_TABLE',
    type: 'string',
    help: 'Lake table to compact (ticks, bars, anomalies, valuations, late_ticks, rejected); all when omitted',
    commands: ['compact'],
  },
  {
    name: 'compactGrace',
    flag: '--grace',
    env: 'TICKLAKE_COMPACT_GRACE',
    type: 'duration',
    default: '1h',
    help: 'How long after a UTC date ends before compaction treats its partitions as closed',
    commands: ['compact'],
  },
  {
    name: 'compactOpenDates',
    flag: '--open-dates',
    env: 'TICKLAKE_COMPACT_OPEN_DATES',
    type: 'bool',
    default: 'false',
    help: 'Also compact open dates by size tiers: settled small files merged in groups, large files left (docs/lake.md)',
    commands: ['compact'],
  },
  {
    name: 'compactSettle',
    flag: '--settle',
    env: 'TICKLAKE_COMPACT_SETTLE',
    type: 'duration',
    default: '2m',
    help: 'How old (by mtime) a file must be before it is merged',
    commandHelp: {
      compact: 'With --open-dates: how old (by mtime) a file must be before it is merged',
      process: 'How old (by mtime) a lake file must be before the background compaction merges it',
      start: 'How old (by mtime) a lake file must be before the background compaction merges it',
    },
    commands: ['compact', 'process', 'start'],
  },
  {
    name: 'compactMaxFileSize',
    flag: '--max-file-size',
    env: 'TICKLAKE_COMPACT_MAX_FILE_SIZE',
    type: 'size',
    default: '16MiB',
    help: 'With --open-dates: files this big are left alone, and a merge reads at most this much',
    commands: ['compact'],
  },
  {
    name: 'compactMinFiles',
    flag: '--min-files',
    env: 'TICKLAKE_COMPACT_MIN_FILES',
    type: 'int',
    default: '8',
    help: 'Files of one size tier merged together (at least 2)',
    commandHelp: {
      compact: 'With --open-dates: files of one size tier merged together (at least 2)',
      process: 'Lake files of one size tier the background compaction merges together (at least 2)',
      start: 'Lake files of one size tier the background compaction merges together (at least 2)',
    },
    commands: ['compact', 'process', 'start'],
  },

  // windowing processor (docs/processor.md)
  {
    name: 'stateDir',
    flag: '--state-dir',
    env: 'TICKLAKE_STATE_DIR',
    type: 'string',
    default: './data/state',
    help: 'Directory of the processor state database (open windows, offsets, outbox)',
    commands: ['process', 'purge'],
  },
  {
    name: 'mysqlUrl',
    flag: '--mysql-url',
    env: 'TICKLAKE_MYSQL_URL',
    type: 'string',
    help: 'MySQL sink mysql://user:pass@host:port/db; without it the sink is off',
    commandHelp: {
      start: 'MySQL sink mysql://user:pass@host:port/db; without it a private mariadbd when one is installed, else off',
      serve: 'MySQL server where scheduled runs are copied (mysql://user:pass@host:port/db); none without it',
      run: 'MySQL server where scheduled runs are copied (mysql://user:pass@host:port/db); none without it',
      cdc: 'The MySQL server whose binlog is captured (mysql://user:pass@host:port/db)',
      generate: 'The bank database written (mysql://user:pass@host:port/db)',
    },
    commands: ['process', 'start', 'serve', 'run', 'cdc', 'generate'],
  },
  ...CDC_SETTINGS,
  {
    name: 'mysqlTimeout',
    flag: '--mysql-timeout',
    env: 'TICKLAKE_MYSQL_TIMEOUT',
    type: 'duration',
    default: '10s',
    help: 'Longest one MySQL call may take; past it the server counts as down (logged) and its rows wait and retry while the lake goes on',
    commands: ['process', 'start'],
  },
  {
    name: 'sources',
    flag: '--sources',
    env: 'TICKLAKE_SOURCES',
    type: 'list',
    help: 'Only these declared sources (sql/sources/*.sql by name, e.g. ticks,products) and the jobs reading only them; default every one',
    commands: ['process', 'start'],
  },
  {
    name: 'publishCloses',
    flag: '--publish-closes',
    env: 'TICKLAKE_PUBLISH_CLOSES',
    type: 'bool',
    default: 'false',
    help: 'Also publish every bar close and the partition watermarks to the closes topic, for a separate valuation stage (ticklake process in its valuations stage, docs/scaling.md)',
    commands: ['process', 'start'],
  },
  {
    name: 'scaleOut',
    flag: '--scale-out',
    env: 'TICKLAKE_SCALE_OUT',
    type: 'bool',
    default: 'false',
    help: 'Run the tick engine as one of several instances of its consumer group on one lake: each processes only its partitions, hands their state over through the partition commit log, and is fenced when it lost them; valuations come from the valuation stage (with --publish-closes; docs/scaling.md)',
    commands: ['process'],
  },
  {
    name: 'stage',
    flag: '--stage',
    env: 'TICKLAKE_STAGE',
    type: 'string',
    choices: ['all', 'valuations'],
    default: 'all',
    help: 'all: the engines of every declared source (valuations in the tick engine); valuations: only the valuation stage, fed by the closes topic (own --state-dir and group, docs/scaling.md)',
    commands: ['process'],
  },
  {
    name: 'group',
    flag: '--group',
    env: 'TICKLAKE_GROUP',
    type: 'string',
    default: 'ticklake-processor',
    help: 'Kafka consumer group of the tick engine; the keyed-table engine joins <group>-tables',
    commands: ['process', 'start'],
  },
  {
    name: 'windows',
    flag: '--windows',
    env: 'TICKLAKE_WINDOWS',
    type: 'list',
    default: '1m,1d',
    commandDefaults: { start: '10s,1m,1h,1d', import: '10s,1m,1h,1d' },
    help: 'Tumbling window sizes, each dividing a day (e.g. 1m,15m,1h,1d)',
    commands: ['process', 'start', 'import'],
  },
  {
    name: 'lateness',
    flag: '--lateness',
    env: 'TICKLAKE_LATENESS',
    type: 'duration',
    default: '5s',
    commandDefaults: { start: '2s' },
    help: 'Allowed lateness: watermark = max event time seen on a partition minus this',
    commands: ['process', 'start'],
  },
  {
    name: 'maxAhead',
    flag: '--max-ahead',
    env: 'TICKLAKE_MAX_AHEAD',
    type: 'duration',
    default: '1d',
    commandDefaults: { start: '1h' },
    help: 'Watermark guard: a tick whose event time is further ahead of its Kafka timestamp (or of the clock, when earlier) is dead-lettered, not counted (0 = no bound)',
    commands: ['process', 'start'],
  },
  {
    name: 'minPrice',
    flag: '--min-price',
    env: 'TICKLAKE_MIN_PRICE',
    type: 'number',
    default: '1e-12',
    help: 'Lowest tick price counted; lower ones are dead-lettered (at least 1e-100)',
    commands: ['process', 'start'],
  },
  {
    name: 'maxPrice',
    flag: '--max-price',
    env: 'TICKLAKE_MAX_PRICE',
    type: 'number',
    default: '1e12',
    help: 'Highest tick price counted; higher ones are dead-lettered (at most 1e100)',
    commands: ['process', 'start'],
  },
  {
    name: 'maxSize',
    flag: '--max-size',
    env: 'TICKLAKE_MAX_SIZE',
    type: 'number',
    default: '1e12',
    help: 'Largest tick size counted; larger ones are dead-lettered (at most 1e15)',
    commands: ['process', 'start'],
  },
  {
    name: 'idleTimeout',
    flag: '--idle-timeout',
    env: 'TICKLAKE_IDLE_TIMEOUT',
    type: 'duration',
    default: '30s',
    help: 'A partition with nothing left to read and no message for this long stops holding valuations back (0: never)',
    commandHelp: {
      process:
        'A partition with nothing left to read and no message for this long stops holding valuations back (0: never; not with --until-idle)',
    },
    commands: ['process', 'start'],
  },
  {
    name: 'sessionTimeout',
    flag: '--session-timeout',
    env: 'TICKLAKE_SESSION_TIMEOUT',
    type: 'duration',
    default: '30s',
    help: 'How long the consumer group waits for a silent processor before giving its partitions to another (failover time after a crash; shorter also moves partitions away from a merely slow one, docs/scaling.md)',
    commands: ['process', 'start'],
  },
  {
    name: 'untilIdle',
    flag: '--until-idle',
    env: 'TICKLAKE_UNTIL_IDLE',
    type: 'bool',
    default: 'false',
    help: 'Stop once the topic is drained, after closing every open window',
    commands: ['process'],
  },
  {
    name: 'spikeThreshold',
    flag: '--spike-threshold',
    env: 'TICKLAKE_SPIKE_THRESHOLD',
    type: 'number',
    default: '0.03',
    help: 'Tick-to-tick move (fraction) above which a SPIKE or FLASH_CRASH anomaly is raised',
    commands: ['process', 'start', 'import'],
  },
  {
    name: 'criticalThreshold',
    flag: '--critical-threshold',
    env: 'TICKLAKE_CRITICAL_THRESHOLD',
    type: 'number',
    default: '0.08',
    help: 'Tick-to-tick move (fraction) above which the anomaly is CRITICAL',
    commands: ['process', 'start', 'import'],
  },
  {
    name: 'volumeSpikeFactor',
    flag: '--volume-spike-factor',
    env: 'TICKLAKE_VOLUME_SPIKE_FACTOR',
    type: 'number',
    default: '5',
    help: 'A bar whose volume exceeds this multiple of the mean of the previous 20 bars is a VOLUME_SPIKE',
    commands: ['process', 'start', 'import'],
  },
  {
    name: 'maxBatch',
    flag: '--max-batch',
    env: 'TICKLAKE_MAX_BATCH',
    type: 'int',
    default: '50000',
    help: 'Most messages one processing batch (one state transaction) takes',
    commands: ['process', 'start'],
  },
  {
    name: 'batchInterval',
    flag: '--batch-interval',
    env: 'TICKLAKE_BATCH_INTERVAL',
    type: 'duration',
    default: '0',
    commandDefaults: { start: '2s' },
    help: 'Least time between processing batches: fewer, larger lake files at the cost of freshness',
    commands: ['process', 'start'],
  },
  {
    name: 'compactEvery',
    flag: '--compact-every',
    env: 'TICKLAKE_COMPACT_EVERY',
    type: 'duration',
    default: '30s',
    help: "How often the lake's small files are merged in the background, today's included (0 = never; docs/lake.md)",
    commands: ['process', 'start'],
  },
  ...RETAIL_SETTINGS,

  // scheduler (docs/scheduler.md) and metrics (docs/metrics.md)
  {
    name: 'schedule',
    flag: '--schedule',
    env: 'TICKLAKE_SCHEDULE',
    type: 'bool',
    default: 'true',
    help: 'Run the scheduler: SQL files with a "-- schedule:" line run on it, results and runs recorded in the lake (docs/scheduler.md)',
    commands: ['start', 'serve'],
  },
  {
    name: 'catchUp',
    flag: '--catch-up',
    env: 'TICKLAKE_CATCH_UP',
    type: 'int',
    default: '24',
    help: 'After downtime, most missed intervals per scheduled job that still run; older ones are recorded as skipped',
    commands: ['start', 'serve', 'run'],
  },
  {
    name: 'runDelay',
    flag: '--run-delay',
    env: 'TICKLAKE_RUN_DELAY',
    type: 'duration',
    default: '1m',
    help: 'How long after a data interval ends its scheduled runs start, so that late ticks are in the lake first',
    commands: ['start', 'serve', 'run'],
  },
  {
    name: 'runLease',
    flag: '--run-lease',
    env: 'TICKLAKE_RUN_LEASE',
    type: 'duration',
    default: '1m',
    help: 'A scheduled run whose scheduler stopped renewing its claim for this long is taken over (a dead process on the same host at once)',
    commands: ['start', 'serve', 'run'],
  },
  {
    name: 'once',
    flag: '--once',
    env: 'TICKLAKE_RUN_ONCE',
    type: 'bool',
    default: 'false',
    help: 'Run what is due now and exit (for cron or CI) instead of scheduling until stopped',
    commands: ['run'],
  },
  {
    name: 'at',
    flag: '--at',
    env: 'TICKLAKE_RUN_AT',
    type: 'string',
    help: 'Run what is due at this time (ISO, UTC, or epoch ms) instead of now; implies --once',
    commands: ['run'],
  },
  {
    name: 'metricsPort',
    flag: '--metrics-port',
    env: 'TICKLAKE_METRICS_PORT',
    type: 'int',
    default: '0',
    help: 'Serve Prometheus metrics at http://<host>:<port>/metrics (0 = off; serve and start have /metrics on the API port)',
    commands: ['process'],
  },
]);

/** Every declared setting. */
export const SETTINGS: readonly Setting[] = DECLARED;

type Declared = (typeof DECLARED)[number];
type NameOfType<T extends SettingType> = Extract<Declared, { readonly type: T }>['name'];
/** The name of a declared setting: `Config`'s accessors take nothing else, so tsc refuses a misspelt one. */
export type SettingName = Declared['name'];
/** Settings read as numbers (`int`, `number`, and durations and sizes, converted to ms and bytes). */
export type NumberSettingName = NameOfType<'int' | 'number' | 'duration' | 'size'>;
export type StringSettingName = NameOfType<'string'>;
export type BoolSettingName = NameOfType<'bool'>;
export type ListSettingName = NameOfType<'list'>;
/** String settings with declared choices. */
export type ChoiceSettingName = Extract<
  Declared,
  { readonly type: 'string'; readonly choices: readonly string[] }
>['name'];
/** The choices of a setting, as a union of literals. */
export type ChoiceOf<N extends ChoiceSettingName> =
  Extract<Declared, { readonly name: N }> extends {
    readonly choices: readonly (infer C)[];
  }
    ? C
    : never;

/** The value type a setting of each kind is read as. */
type ValueOfType<T extends SettingType> = T extends 'int' | 'number' | 'duration' | 'size'
  ? number
  : T extends 'bool'
    ? boolean
    : T extends 'list'
      ? string[]
      : string;
/** A setting's value type: the union of its choices, else the type of its kind. */
type DefaultOf<N extends SettingName> = N extends ChoiceSettingName
  ? ChoiceOf<N>
  : ValueOfType<Extract<Declared, { readonly name: N }>['type']>;
/** Declared settings that have a default. */
export type DefaultedSettingName = Extract<Declared, { readonly default: string }>['name'];

/**
 * The declared default of a setting, converted (durations in ms, sizes in bytes): what the library functions the
 * commands call (startBroker, buildApp, startProcessor, …) fall back to, so that a default is stated once.
 * `command` picks a per-command default (`commandDefaults`); without it, the general one.
 */
export function settingDefault<N extends DefaultedSettingName>(name: N, command?: string): DefaultOf<N> {
  const s = SETTINGS.find((x) => x.name === name) as Setting;
  const raw = (command !== undefined ? s.commandDefaults?.[command] : undefined) ?? (s.default as string);
  return convert(s, raw, `default of ${s.flag}`, command) as DefaultOf<N>;
}

/** The help of a setting as `ticklake <command> --help` shows it. */
export function helpFor(setting: Setting, command: string): string {
  return setting.commandHelp?.[command] ?? setting.help;
}

export function settingsFor(command: string): Setting[] {
  return SETTINGS.filter((s) => s.commands.includes(command) || s.commands.includes('*'));
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 365 * 86_400_000,
};
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** `250ms`, `5s`, `1m`, `2h`, `1d`, `1w`, `2y` (a year is 365 days), or a plain number of milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a duration (examples: 250ms, 5s, 1m, 1h, 1d, 2y)`);
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]);
}

/** `1GiB`, `64MiB`, `500kb`, or a plain number of bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a size (examples: 1048576, 512KiB, 64MiB, 1GiB)`);
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]);
}

/** The values a setting may take for a command (its `commandChoices`, else its `choices`); undefined: any. */
export function choicesFor(setting: Setting, command?: string): readonly string[] | undefined {
  return (command !== undefined ? setting.commandChoices?.[command] : undefined) ?? setting.choices;
}

/** The declared choices of a setting, e.g. for a module that also takes the value from elsewhere (a shell command). */
export function choicesOf<N extends ChoiceSettingName>(name: N): readonly ChoiceOf<N>[] {
  const s = SETTINGS.find((x) => x.name === name);
  return (s?.choices ?? []) as readonly ChoiceOf<N>[];
}

/**
 * One raw value (a flag's, an env var's or a default) converted to the setting's type. `source` names where it came
 * from (the flag or the env var), for the error; `command` selects per-command choices.
 */
export function convert(setting: Setting, raw: string, source: string, command?: string): SettingValue {
  const bad = (reason: string, value = raw) =>
    tlError('TL_CONFIG_BAD_VALUE', { setting: source, value: JSON.stringify(value), reason });
  const choices = choicesFor(setting, command);
  const chosen = (v: string): string => {
    if (choices === undefined) return v;
    const c = choices.find((x) => x.toLowerCase() === v.trim().toLowerCase());
    if (c === undefined) throw bad(`expected one of: ${choices.join(', ')}`, v);
    return c;
  };
  switch (setting.type) {
    case 'string':
      return chosen(raw);
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw bad('expected a whole number');
      return Number(raw);
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw bad('expected a number');
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      throw bad('expected true or false');
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (e) {
        throw bad((e as Error).message);
      }
    case 'size':
      try {
        return parseSize(raw);
      } catch (e) {
        throw bad((e as Error).message);
      }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map(chosen);
  }
}

/** Parsed settings of one command invocation. */
export class Config {
  constructor(
    readonly command: string,
    private readonly values: Map<string, SettingValue>,
    readonly positional: string[],
    /** Settings given by flag or environment variable (not defaults). */
    private readonly given: ReadonlySet<string> = new Set(),
  ) {}

  /** True when the setting was given by a flag or its environment variable, not left at its default. */
  isGiven(name: SettingName): boolean {
    return this.given.has(name);
  }

  private get(name: SettingName): SettingValue {
    if (!this.values.has(name)) throw new Error(`setting ${name} is not declared for command ${this.command}`);
    return this.values.get(name);
  }
  has(name: SettingName): boolean {
    return this.values.get(name) !== undefined;
  }
  str(name: StringSettingName): string {
    const v = this.get(name);
    if (v === undefined) throw tlError('TL_CONFIG_MISSING', { setting: flagOf(name) });
    return String(v);
  }
  optStr(name: StringSettingName): string | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : String(v);
  }
  num(name: NumberSettingName): number {
    const v = this.get(name);
    if (v === undefined) throw tlError('TL_CONFIG_MISSING', { setting: flagOf(name) });
    return v as number;
  }
  optNum(name: NumberSettingName): number | undefined {
    return this.get(name) as number | undefined;
  }
  bool(name: BoolSettingName): boolean {
    return this.get(name) === true;
  }
  list(name: ListSettingName): string[] {
    return (this.get(name) as string[] | undefined) ?? [];
  }
  /** A setting with declared choices, typed as their union (parsing has refused any other value). */
  choice<N extends ChoiceSettingName>(name: N): ChoiceOf<N> {
    return this.str(name) as ChoiceOf<N>;
  }
  /** Plain object of every setting, for logging and for passing to in-process components. */
  toObject(): Record<string, SettingValue> {
    return Object.fromEntries(this.values);
  }
}

function flagOf(name: string): string {
  const s = SETTINGS.find((x) => x.name === name);
  return s ? `${s.flag} / ${s.env}` : name;
}

/**
 * Parse argv for one command. `--flag value`, `--flag=value`, bare `--flag` and `--no-flag` for booleans.
 * Unknown flags are errors that name the flag and the command.
 */
export function parseCommandLine(command: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const settings = settingsFor(command);
  const byFlag = new Map(settings.map((s) => [s.flag, s]));
  const values = new Map<string, SettingValue>();
  const positional: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let flag = eq >= 0 ? arg.slice(0, eq) : arg;
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let setting = byFlag.get(flag);
    if (!setting && flag.startsWith('--no-') && raw === undefined) {
      const positive = byFlag.get(`--${flag.slice(5)}`);
      if (positive?.type === 'bool') {
        setting = positive;
        flag = positive.flag;
        raw = 'false';
      }
    }
    if (!setting) throw tlError('TL_CONFIG_UNKNOWN_FLAG', { flag, command });
    if (raw === undefined) {
      const next = argv[i + 1];
      if (setting.type === 'bool' && (next === undefined || !/^(true|false|1|0|yes|no|on|off)$/i.test(next))) {
        raw = 'true';
      } else {
        if (next === undefined) {
          throw tlError('TL_CONFIG_BAD_VALUE', { setting: flag, value: '(nothing)', reason: 'expected a value' });
        }
        raw = next;
        i++;
      }
    }
    // a repeatable setting takes each occurrence whole (`--param note=a,b=c` is one item)
    const value = setting.repeatable ? [raw] : convert(setting, raw, flag, command);
    // a repeated list flag adds to the list (`--sql-dir a --sql-dir b`, `--param a=1 --param b=2`)
    const before = values.get(setting.name);
    values.set(
      setting.name,
      setting.type === 'list' && Array.isArray(before) ? [...before, ...(value as string[])] : value,
    );
  }

  const given = new Set(values.keys());
  for (const s of settings) {
    if (values.has(s.name)) continue;
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') {
      // a repeatable setting's environment variable holds one item per line
      const v = s.repeatable
        ? fromEnv.split(/\r?\n/).filter((x) => x.trim() !== '')
        : convert(s, fromEnv, s.env, command);
      values.set(s.name, v);
      given.add(s.name);
      continue;
    }
    const def = s.commandDefaults?.[command] ?? s.default;
    values.set(s.name, def === undefined ? undefined : convert(s, def, `default of ${s.flag}`, command));
  }
  return new Config(command, values, positional, given);
}

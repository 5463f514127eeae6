/**
 * Every error ticklake raises on purpose has a stable code from this one table.
 * `docs/errors.md` lists the same codes; `core/test/errors.test.ts` keeps the two in step.
 *
 * Message templates use `{name}` placeholders filled from the error's details.
 */

export interface ErrorSpec {
  /** Message template, `{field}` placeholders are filled from details. */
  message: string;
  /** HTTP status when the error reaches the API. */
  status: number;
  /** True when retrying the same operation later may succeed. */
  retriable: boolean;
}

export const ERRORS = {
  // configuration and CLI
  TL_CONFIG_UNKNOWN_FLAG: { message: 'Unknown option {flag} for "{command}"', status: 400, retriable: false },
  TL_CONFIG_BAD_VALUE: { message: 'Invalid value for {setting}: {value} ({reason})', status: 400, retriable: false },
  TL_CONFIG_MISSING: { message: 'Missing required setting {setting}', status: 400, retriable: false },
  TL_CONFIG_STATE_IN_USE: {
    message:
      'The state directory {dir} is in use by another process ({reason}); give each processor its own --state-dir',
    status: 409,
    retriable: false,
  },
  TL_CONFIG_UNKNOWN_COMMAND: {
    message: 'Unknown command "{command}"; see ticklake --help',
    status: 400,
    retriable: false,
  },
  TL_CONFIG_WINDOWS_UNMET: {
    message: '--windows {windows} cannot serve {what}: it needs bars of window {needs}; {fix}',
    status: 400,
    retriable: false,
  },

  // embedded broker
  TL_BROKER_BAD_FRAME: { message: 'Malformed request from {peer}: {reason}', status: 400, retriable: false },
  TL_BROKER_FRAME_TOO_LARGE: {
    message: 'Request of {size} bytes from {peer} exceeds the limit of {limit}',
    status: 413,
    retriable: false,
  },
  TL_BROKER_UNKNOWN_API: { message: 'Unknown API key {apiKey} from {peer}', status: 400, retriable: false },
  TL_BROKER_CORRUPT_LOG: {
    message: 'Corrupt log segment {file} at position {position}: {reason}',
    status: 500,
    retriable: false,
  },
  TL_BROKER_IO: { message: 'Broker storage error in {file}: {reason}', status: 500, retriable: true },
  TL_BROKER_UNSUPPORTED_VERSION: {
    message: '{api} v{version} from {peer} is not supported ({range})',
    status: 400,
    retriable: false,
  },
  TL_BROKER_REQUEST_FAILED: { message: '{api} from {peer} failed: {reason}', status: 500, retriable: true },
  TL_BROKER_IDLE: { message: 'Connection from {peer} idle for {idleMs} ms', status: 408, retriable: true },
  TL_BROKER_TEST_HOOK: { message: 'Connection closed by a test interceptor', status: 500, retriable: true },

  // input data (producers, replay, seed files)
  TL_DATA_BAD_ROW: { message: '{file}:{line}: {reason}', status: 400, retriable: false },
  TL_DATA_BAD_TICK: { message: 'Invalid tick: {reason}', status: 400, retriable: false },
  TL_DATA_BAD_FILE: { message: '{file}: {reason}', status: 400, retriable: false },
  TL_DATA_LATE: { message: 'Not sent: {reason}', status: 409, retriable: false },
  TL_DATA_FILE_TOO_LARGE: {
    message: '{file} is {size} bytes, more than the limit of {limit} (--max-upload-size)',
    status: 413,
    retriable: false,
  },
  TL_DATA_UNPACKED_TOO_LARGE: {
    message: '{file}: {reason}; refused (--max-unpacked-size is {limit} bytes)',
    status: 413,
    retriable: false,
  },
  TL_DATA_MACROS: {
    message: '{file} is a macro-enabled workbook ({part}): save it as a plain .xlsx workbook without macros',
    status: 415,
    retriable: false,
  },
  TL_DATA_EXTERNAL_LINKS: {
    message: '{file} links to other workbooks or data sources ({part}): break the links and save it again',
    status: 415,
    retriable: false,
  },
  TL_DATA_BAD_WORKBOOK: { message: '{file} cannot be read: {reason}', status: 400, retriable: false },
  TL_DATA_INVALID_ROWS: {
    message: '{errors} in {rows}; nothing was published (fix them, or upload again skipping bad rows)',
    status: 422,
    retriable: false,
  },
  TL_DATA_PUBLISH_FAILED: {
    message:
      'Publishing the upload to Kafka failed after {sent} of {total} messages: {reason}; uploading the same files again completes it',
    status: 503,
    retriable: true,
  },
  TL_DATA_PUBLISH: {
    message: 'Could not publish {what} to Kafka at {brokers}: {reason}',
    status: 503,
    retriable: true,
  },

  // lake and sinks
  TL_LAKE_WRITE: { message: 'Could not write lake file {file}: {reason}', status: 500, retriable: true },
  TL_LAKE_NOT_FOUND: { message: 'Lake directory {dir} does not exist', status: 404, retriable: false },
  TL_LAKE_BUSY: {
    message: 'Another compaction (pid {pid}) holds the lake: {file}',
    status: 409,
    retriable: true,
  },
  TL_LAKE_CHANGED: {
    message: 'Compaction replaced lake files while the query streamed them; the result may be incomplete, run it again',
    status: 503,
    retriable: true,
  },
  TL_LAKE_TICKS_MISSING: {
    message:
      'The state {state} holds {expected} ticks of open windows on partition {partition} (offsets below {nextOffset}, ' +
      'from {from}), but the lake {dir} has {found} of them: restore those tick files, or start with a new --state-dir',
    status: 500,
    retriable: false,
  },
  TL_LAKE_STATE_BUFFER: {
    message:
      'The state {state} counts {expected} ticks of open windows on partition {partition}, but the buffer it holds as ' +
      'its table buf (written there as the state database was reopened) has {found}: the state file is damaged; ' +
      'start with a new --state-dir',
    status: 500,
    retriable: false,
  },
  TL_LAKE_NOT_EMPTY: {
    message:
      'The state {state} is new, but the lake {dir} already holds the output of a processor ({found}): processing ' +
      'the topic again would count it twice. Point --state-dir at the state that wrote this lake, or use a new ' +
      '--lake-dir to build a lake from the topic',
    status: 409,
    retriable: false,
  },
  TL_LAKE_PARTITION_FENCED: {
    message:
      'Partition {partition} of {topic} was taken over: commit {seq} could not be created (the log is at {latest}, ' +
      'written by {winner}); this instance ({writer}) no longer owns the partition and wrote nothing for it',
    status: 409,
    retriable: false,
  },
  TL_LAKE_UNCOORDINATED: {
    message: 'The lake {dir} {reason}; refusing to start a processor that could corrupt its results ({fix})',
    status: 409,
    retriable: false,
  },
  TL_MYSQL_UNAVAILABLE: { message: 'MySQL at {target} is unavailable: {reason}', status: 503, retriable: true },
  TL_MYSQL_MIGRATION: { message: 'Migration {file} failed: {reason}', status: 500, retriable: false },
  TL_MYSQL_WRITE: { message: 'MySQL refused the rows for {table}: {reason}', status: 500, retriable: false },

  // change data capture (ticklake cdc)
  TL_CDC_SERVER_SETTING: {
    message: 'MySQL at {target}: {setting} is {value}, change data capture needs {expected}; fix: {fix}',
    status: 400,
    retriable: false,
  },
  TL_CDC_PRIVILEGE: {
    message: 'MySQL user {user} lacks {privilege}; fix: {fix}',
    status: 403,
    retriable: false,
  },
  TL_CDC_BINLOG_PURGED: {
    message:
      'The stored binlog position {position} ({file}) is no longer on the server (its oldest binlog is {oldest}): ' +
      'changes after it are lost to capture. Recover with a new snapshot: remove {file} and run ticklake cdc ' +
      '--snapshot initial (docs/cdc.md, "When the binlog was purged")',
    status: 409,
    retriable: false,
  },
  TL_CDC_OFFSETS: { message: 'Offsets file {file} cannot be used: {reason}', status: 500, retriable: false },
  TL_CDC_TABLE: { message: 'Table {table}: {reason}', status: 400, retriable: false },

  // SQL files, reports and queries
  TL_SQL_BAD_HEADER: { message: '{file}:{line}: {reason}', status: 500, retriable: false },
  TL_SQL_FILE: { message: '{file}:{line}: {reason}', status: 500, retriable: false },
  TL_SQL_WINDOW_MISSING: {
    message: '{what} needs bars of window {needs}; the lake has bars of {windows}',
    status: 409,
    retriable: false,
  },
  TL_SQL_QUERY: { message: 'Query failed: {reason}', status: 400, retriable: false },
  TL_SQL_FORBIDDEN: { message: 'Statement refused: {reason}', status: 403, retriable: false },
  TL_SQL_TIMEOUT: { message: 'Query exceeded the time limit of {limitMs} ms', status: 408, retriable: true },
  TL_SQL_MEMORY: {
    message: 'Query needs more memory than its limit of {limit} ({setting}): {reason}',
    status: 400,
    retriable: false,
  },
  TL_SQL_TEMP_SPACE: {
    message: 'Query needs more temporary disk space than its limit of {limit} ({setting}): {reason}',
    status: 400,
    retriable: false,
  },

  // scheduler (docs/scheduler.md) and the Kafka page (docs/kafka-page.md)
  TL_SCHEDULE_CYCLE: {
    message: 'Scheduled SQL files depend on each other in a cycle: {files}',
    status: 500,
    retriable: false,
  },
  TL_SCHEDULE_BUSY: {
    message: 'Job {job} is running its interval ending {interval} right now; re-run it when that run has ended',
    status: 409,
    retriable: true,
  },
  TL_KAFKA_OFF: {
    message: 'No Kafka cluster configured for the API (start ticklake serve with --brokers)',
    status: 503,
    retriable: false,
  },
  TL_KAFKA_REQUEST: { message: 'Kafka refused {action}: {reason}', status: 502, retriable: true },

  // schema registry (its REST routes answer in Confluent's own error shape: registry/errors.ts)
  TL_REGISTRY_BAD_TOPIC: {
    message: 'The schemas topic {topic} cannot be used: {reason}',
    status: 500,
    retriable: false,
  },
  TL_REGISTRY_UNAVAILABLE: {
    message: 'Schema registry {target} is unavailable: {reason}',
    status: 503,
    retriable: true,
  },
  TL_REGISTRY_BAD_SCHEMA: { message: 'Schema of {what} cannot be used here: {reason}', status: 400, retriable: false },
  TL_REGISTRY_REFUSED: {
    message: 'Schema registry {target} refused the schema of {subject}: {reason}',
    status: 409,
    retriable: false,
  },

  // HTTP API
  TL_API_BAD_PARAM: { message: 'Parameter {param}: {reason}', status: 400, retriable: false },
  TL_API_NOT_FOUND: { message: '{what} not found', status: 404, retriable: false },
  TL_API_UNAUTHORIZED: { message: 'Missing or wrong bearer token', status: 401, retriable: false },
  TL_API_BAD_FORMAT: {
    message: 'Unsupported result format {format}; use one of {supported}',
    status: 406,
    retriable: false,
  },
  TL_API_INTERNAL: { message: 'Internal error: {reason}', status: 500, retriable: true },
  TL_API_BUSY: { message: 'The server is busy: {reason}; retry in {retryAfter} s', status: 503, retriable: true },
  // nginx's 499: no one reads the answer; the status names the event in logs and metrics
  TL_API_CLIENT_CLOSED: {
    message: 'The client closed the connection before the answer was complete; its query was stopped',
    status: 499,
    retriable: true,
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export type ErrorDetails = Record<string, string | number | boolean | undefined | null>;

function render(template: string, details: ErrorDetails): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (details[k] === undefined ? `{${k}}` : String(details[k])));
}

export class TicklakeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    const spec: ErrorSpec = ERRORS[code];
    super(render(spec.message, details), options);
    this.name = 'TicklakeError';
    this.code = code;
    this.status = spec.status;
    this.retriable = spec.retriable;
    this.details = details;
  }

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function tlError(code: ErrorCode, details: ErrorDetails = {}, cause?: unknown): TicklakeError {
  return new TicklakeError(code, details, cause === undefined ? undefined : { cause });
}

export function isTicklakeError(e: unknown, code?: ErrorCode): e is TicklakeError {
  return e instanceof TicklakeError && (code === undefined || e.code === code);
}

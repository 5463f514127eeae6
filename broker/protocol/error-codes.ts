/**
 * The Kafka protocol error codes the broker answers with, as one data table (numbers and names from the
 * protocol guide's "Error Codes" table; kafkajs keeps the same kind of table). Clients branch on these
 * numbers, so they are part of the wire contract: every handler takes its codes from here, by name.
 *
 * `message` is what the broker sends where a response has an error_message field (CreateTopics v1+,
 * CreatePartitions, AlterConfigs, DescribeConfigs) when the handler has nothing more specific to say.
 */

interface KafkaErrorSpec {
  code: number;
  retriable: boolean;
  message: string;
}

const TABLE = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false, message: 'Unexpected server error' },
  NONE: { code: 0, retriable: false, message: '' },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false, message: 'The requested offset is not within the log' },
  CORRUPT_MESSAGE: { code: 2, retriable: true, message: 'The record batch is corrupt or malformed' },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true, message: 'Unknown topic or partition' },
  OFFSET_METADATA_TOO_LARGE: { code: 12, retriable: false, message: 'Offset metadata is too large' },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true, message: 'The coordinator is not available' },
  NOT_COORDINATOR: { code: 16, retriable: true, message: 'This is not the coordinator' },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false, message: 'Invalid topic name' },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false, message: 'acks must be -1, 0 or 1' },
  ILLEGAL_GENERATION: { code: 22, retriable: false, message: 'Illegal generation' },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false, message: 'Inconsistent group protocol' },
  INVALID_GROUP_ID: { code: 24, retriable: false, message: 'Invalid group id' },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false, message: 'Unknown member id' },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false, message: 'Session timeout out of range' },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false, message: 'The group is rebalancing' },
  UNSUPPORTED_VERSION: { code: 35, retriable: false, message: 'Unsupported API version' },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false, message: 'Topic already exists' },
  INVALID_PARTITIONS: { code: 37, retriable: false, message: 'Invalid number of partitions' },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false, message: 'Replication factor must be 1 (single broker)' },
  INVALID_REPLICA_ASSIGNMENT: { code: 39, retriable: false, message: 'Invalid replica assignment' },
  INVALID_CONFIG: { code: 40, retriable: false, message: 'Invalid configuration' },
  INVALID_REQUEST: { code: 42, retriable: false, message: 'Invalid request' },
  UNSUPPORTED_FOR_MESSAGE_FORMAT: {
    code: 43,
    retriable: false,
    message: 'Only magic-2 record batches are stored (Produce v3+)',
  },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false, message: 'Out of order sequence number' },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false, message: 'Producer epoch is fenced' },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: { code: 53, retriable: false, message: 'Transactions are not supported' },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true, message: 'The broker could not write to its log' },
  NON_EMPTY_GROUP: { code: 68, retriable: false, message: 'The group is not empty' },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false, message: 'The group does not exist' },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false, message: 'A member id is required to join' },
  FENCED_INSTANCE_ID: { code: 82, retriable: false, message: 'Fenced static member' },
  GROUP_SUBSCRIBED_TO_TOPIC: {
    code: 86,
    retriable: false,
    message: 'The group has active members subscribed to the topic',
  },
} as const satisfies Record<string, KafkaErrorSpec>;

export type KafkaErrorName = keyof typeof TABLE;

/** Name → code, for handlers: `KafkaError.UNKNOWN_TOPIC_OR_PARTITION`. */
export const KafkaError = Object.fromEntries(Object.entries(TABLE).map(([n, s]) => [n, s.code])) as {
  readonly [N in KafkaErrorName]: (typeof TABLE)[N]['code'];
};

export type KafkaErrorCode = (typeof TABLE)[KafkaErrorName]['code'];

const BY_CODE = new Map<number, KafkaErrorSpec & { name: KafkaErrorName }>(
  Object.entries(TABLE).map(([name, s]) => [s.code, { ...s, name: name as KafkaErrorName }]),
);

/** The table's default message for a code ('' for NONE, null for a code not in the table). */
export function kafkaErrorMessage(code: number): string | null {
  return BY_CODE.get(code)?.message ?? null;
}

/** The protocol name of a code, e.g. `KAFKA_STORAGE_ERROR`, for logs. */
export function kafkaErrorName(code: number): string {
  return BY_CODE.get(code)?.name ?? `UNKNOWN_CODE_${code}`;
}

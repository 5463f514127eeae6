/**
 * Sends ticks to Kafka in batches with kafkajs: `acks=-1` (all in-sync replicas), bounded retries with backoff, then
 * the error surfaces (the CLI exits non-zero). One request is in flight at a time while the caller builds the next
 * batch, so per-partition order is the order of `push` even when a request is retried.
 *
 * Key = symbol, so kafkajs' default (murmur2) partitioner maps each symbol to one partition and the processor sees
 * each symbol's ticks in order. The Kafka record timestamp is left to the client's wall clock (CreateTime), not the
 * event time: a daily history starting in 2000 would otherwise fall straight out of time-based retention.
 */
import { Kafka, logLevel, type Message, Partitioners, type Producer } from '../core/kafkajs.js';
import { logger } from '../core/log.js';

export interface SenderOptions {
  brokers: string[];
  topic: string;
  /** Messages per produce request. */
  batchSize: number;
  /** Retries of a failed request (and of the first connection) before giving up. */
  retries: number;
  clientId?: string;
}

const log = logger('producer');

/** kafkajs log lines go through pino, at the matching level. */
function kafkaLogCreator() {
  const kl = logger('kafkajs');
  return () =>
    ({ level, log: entry }: { level: number; log: { message: string } & Record<string, unknown> }) => {
      const { message, ...rest } = entry;
      if (level <= logLevel.ERROR) kl.error(rest, message);
      else if (level === logLevel.WARN) kl.warn(rest, message);
      else kl.debug(rest, message);
    };
}

export class TickSender {
  /** Messages acknowledged by the broker. */
  acked = 0;
  /** Produce requests acknowledged. */
  requests = 0;
  private batch: Message[] = [];
  private inFlight: Promise<void> | undefined;
  private failure: unknown;

  private constructor(
    private readonly producer: Producer,
    private readonly opts: SenderOptions,
  ) {}

  static async connect(opts: SenderOptions): Promise<TickSender> {
    const kafka = new Kafka({
      clientId: opts.clientId ?? 'ticklake-producer',
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator,
      retry: { retries: opts.retries, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    log.debug({ brokers: opts.brokers, topic: opts.topic }, 'connected');
    return new TickSender(producer, opts);
  }

  /** Queues one message; returns true when the batch is full and the caller should `await flush()`. */
  push(key: string, value: string | Buffer): boolean {
    this.batch.push({ key, value });
    return this.batch.length >= this.opts.batchSize;
  }

  /** Messages queued but not yet handed to a request. */
  get queued(): number {
    return this.batch.length;
  }

  /**
   * Waits for the request in flight, then starts sending the queued batch without waiting for it (the next
   * `flush` or `close` waits). Throws the error of a failed request.
   */
  async flush(): Promise<void> {
    await this.settle();
    if (this.batch.length === 0) return;
    const messages = this.batch;
    this.batch = [];
    this.inFlight = this.producer.send({ topic: this.opts.topic, acks: -1, messages }).then(
      () => {
        this.acked += messages.length;
        this.requests++;
      },
      (e: unknown) => {
        this.failure = e;
      },
    );
  }

  /** Waits until everything handed to a request is acknowledged; throws if a request failed. */
  async settle(): Promise<void> {
    if (this.inFlight) {
      await this.inFlight;
      this.inFlight = undefined;
    }
    if (this.failure !== undefined) {
      const e = this.failure;
      this.failure = undefined;
      throw e;
    }
  }

  /** Sends what is queued, waits for the acknowledgements, disconnects. */
  async close(): Promise<void> {
    try {
      await this.flush();
      await this.settle();
    } finally {
      await this.producer.disconnect().catch(() => {});
    }
  }

  /** Disconnects without sending what is queued (after a failure). */
  async abort(): Promise<void> {
    await this.inFlight?.catch(() => {});
    await this.producer.disconnect().catch(() => {});
  }
}

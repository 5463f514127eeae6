/**
 * The Kafka client of the #/kafka page (docs/kafka-page.md): one kafkajs client and admin per app, connected on first
 * use, so that the page works against the embedded broker and a real cluster alike. kafkajs errors become
 * TL_KAFKA_REQUEST naming the action and Kafka's reason.
 */

import { tlError } from '../../core/errors.js';
import { type Admin, Kafka, logLevel } from '../../core/kafkajs.js';

export class KafkaPageClient {
  readonly kafka: Kafka;
  private admin: Admin | undefined;
  private connecting: Promise<Admin> | undefined;

  constructor(readonly brokers: string[]) {
    this.kafka = new Kafka({
      clientId: 'ticklake-kafka-page',
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
      connectionTimeout: 3000,
      requestTimeout: 10_000,
    });
  }

  /** The connected admin client (connected once; reconnected after a failure). */
  async adminClient(): Promise<Admin> {
    if (this.admin) return this.admin;
    this.connecting ??= (async () => {
      const a = this.kafka.admin();
      await a.connect();
      this.admin = a;
      return a;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting.catch((e) => {
      throw kafkaError('connect', e);
    });
  }

  /** Runs an admin call; a failure drops the connection (the next call reconnects) and is TL_KAFKA_REQUEST. */
  async call<T>(action: string, fn: (a: Admin) => Promise<T>): Promise<T> {
    const a = await this.adminClient();
    try {
      return await fn(a);
    } catch (e) {
      if (/connect|closed|ECONN/i.test(String((e as Error).message))) {
        this.admin = undefined;
        await a.disconnect().catch(() => {});
      }
      throw kafkaError(action, e);
    }
  }

  async close(): Promise<void> {
    const a = this.admin;
    this.admin = undefined;
    await a?.disconnect().catch(() => {});
  }
}

export function kafkaError(action: string, e: unknown) {
  const err = e as { message?: string; type?: string; errors?: { message?: string }[] };
  const inner = err.errors
    ?.map((x) => x.message)
    .filter(Boolean)
    .join('; ');
  const reason = `${err.type ? `${err.type}: ` : ''}${err.message ?? String(e)}${inner ? ` (${inner})` : ''}`;
  return tlError('TL_KAFKA_REQUEST', { action, reason }, e);
}

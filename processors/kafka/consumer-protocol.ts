/**
 * Messages between the processor's main thread (kafka-source.ts) and its consumer thread (consumer-thread.ts).
 */
import type { TickBatch } from '../ticks/tick-batch.js';

export interface ConsumerThreadConfig {
  brokers: string[];
  topic: string;
  group: string;
  clientId: string;
  /** Messages queued on the main thread, shared: [0] is raised by the thread, lowered by the main thread. */
  queued: SharedArrayBuffer;
  /** eachBatch waits while this many messages are queued and not yet taken. */
  queueLimit: number;
  /** The state's next offset per partition when the thread starts (updated by `offsets` messages). */
  offsets: [number, number][];
}

export type ToThread =
  | { t: 'offsets'; offsets: [number, number][] }
  | { t: 'commit'; id: number; offsets: [number, number][] }
  | { t: 'pause' }
  | { t: 'resume' }
  | { t: 'stop'; id: number };

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export type FromThread =
  /** `fastFetch`: kafkajs's record decoding replaced by kafkajs-fast-fetch.ts in the thread. */
  | { t: 'started'; fastFetch: boolean }
  | { t: 'batch'; batch: TickBatch }
  | { t: 'log'; level: LogLevel; obj: Record<string, unknown>; msg: string }
  | { t: 'reply'; id: number; error?: string }
  /** The consumer stopped for good (kafkajs gave up after its retries); the processor must end. */
  | { t: 'crash'; error: string };

/**
 * Messages between the processor's main thread (thread-source.ts) and its consumer thread (consumer-thread-main.ts).
 * Offsets travel as [topic, partition, offset] triples.
 */
import type { ThreadMemory } from '../../core/thread-memory.js';
import type { TickBatch } from '../ticks/tick-batch.js';
import type { RawBatch } from './raw-batch.js';

/** How the consumer thread packs what it fetches: parsed ticks (tick-batch.ts) or raw messages (raw-batch.ts). */
export type PackMode = 'ticks' | 'raw';

export type OffsetTriple = [string, number, number];

export interface ConsumerThreadConfig {
  brokers: string[];
  topics: string[];
  mode: PackMode;
  group: string;
  clientId: string;
  /** Messages queued on the main thread, shared: [0] is raised by the thread, lowered by the main thread. */
  queued: SharedArrayBuffer;
  /** eachBatch waits while this many messages are queued and not yet taken. */
  queueLimit: number;
  /** The group's session timeout, ms: a member silent this long loses its partitions. */
  sessionTimeoutMs: number;
  /** The state's next offset per topic and partition when the thread starts (updated by `offsets` messages). */
  offsets: OffsetTriple[];
}

export type ToThread =
  | { t: 'offsets'; offsets: OffsetTriple[] }
  | { t: 'commit'; id: number; offsets: OffsetTriple[] }
  | { t: 'pause' }
  | { t: 'resume' }
  /** Fetch a partition from this offset on (a scaled-out engine whose partition state was rebuilt from its log). */
  | { t: 'seek'; topic: string; partition: number; offset: number }
  | { t: 'stop'; id: number };

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export type FromThread =
  /** `fastFetch`: kafkajs's record decoding replaced by kafkajs-fast-fetch.ts in the thread. */
  | { t: 'started'; fastFetch: boolean }
  | { t: 'batch'; batch: TickBatch | RawBatch }
  | { t: 'log'; level: LogLevel; obj: Record<string, unknown>; msg: string }
  | { t: 'reply'; id: number; error?: string }
  /** The partitions of each topic this member was given by the group's latest rebalance. */
  | { t: 'assigned'; assignment: Record<string, number[]> }
  /** The consumer stopped for good (kafkajs gave up after its retries); the processor must end. */
  | { t: 'crash'; error: string }
  /** The thread's own memory (its isolate's V8 heap), every few seconds: core/thread-memory.ts. */
  | { t: 'memory'; memory: ThreadMemory };

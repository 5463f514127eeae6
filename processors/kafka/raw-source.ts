/**
 * The keyed-table engine's Kafka source: a thread source (thread-source.ts) over every topic the declared sources
 * read, handing over raw messages (raw-batch.ts), which the engine decodes in DuckDB.
 */
import type { Logger } from '../../core/log.js';
import { type RawBatch, sliceRaw } from './raw-batch.js';
import { ThreadSource, type TopicOffsets } from './thread-source.js';

export interface RawSourceOptions {
  brokers: string[];
  topics: string[];
  group: string;
  startOffsets: () => TopicOffsets;
  log: Logger;
  queueLimit: number;
  clientId?: string;
  /** The group's session timeout, ms (default 30 s). */
  sessionTimeoutMs?: number;
}

export class RawSource extends ThreadSource<RawBatch> {
  constructor(opts: RawSourceOptions) {
    super({ ...opts, mode: 'raw', slice: sliceRaw, clientId: opts.clientId ?? 'ticklake-tables' });
  }
}

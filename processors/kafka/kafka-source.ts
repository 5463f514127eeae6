/**
 * The tick engine's Kafka source: a thread source (thread-source.ts) over one topic whose consumer thread parses
 * ticks into columns (tick-batch.ts). Offsets are per partition of that topic.
 */
import type { Logger } from '../../core/log.js';
import { sliceBatch, type TickBatch } from '../ticks/tick-batch.js';
import { ThreadSource } from './thread-source.js';

export interface KafkaSourceOptions {
  brokers: string[];
  topic: string;
  group: string;
  /** Next offset per partition from the state database. */
  startOffsets: () => Map<number, number>;
  log: Logger;
  queueLimit: number;
  clientId?: string;
  /** The group's session timeout, ms (default 30 s). */
  sessionTimeoutMs?: number;
}

export class KafkaSource extends ThreadSource<TickBatch> {
  readonly topic: string;

  constructor(opts: KafkaSourceOptions) {
    super({
      ...opts,
      topics: [opts.topic],
      mode: 'ticks',
      slice: sliceBatch,
      startOffsets: () => new Map([[opts.topic, opts.startOffsets()]]),
    });
    this.topic = opts.topic;
  }

  /** The state's next offsets after a batch committed: where the consumer seeks on a later rejoin. */
  notePartitionOffsets(offsets: Map<number, number>): void {
    this.noteOffsets(new Map([[this.topic, offsets]]));
  }

  /** Commits the state's offsets to the group (for lag monitoring). */
  commitPartitions(offsets: Map<number, number>): Promise<void> {
    return this.commit(new Map([[this.topic, offsets]]));
  }

  /** High watermark of every partition of the topic. */
  partitionHighs(): Promise<Map<number, number>> {
    return this.highWatermarks(this.topic);
  }
}

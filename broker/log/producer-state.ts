/**
 * Idempotent-producer state of one partition: per producer id its epoch and its last five batches
 * (first/last sequence and offsets), as Kafka keeps them.
 *
 * Behaviour:
 * - A batch without a producer id (-1) is not checked.
 * - An older epoch is fenced (INVALID_PRODUCER_EPOCH); a newer epoch must start at sequence 0.
 * - A repeat of one of the last five batches is a duplicate: it is not appended again and the producer gets the
 *   original base offset with no error, as Kafka answers (kafkajs treats error 46 as fatal, librdkafka as
 *   success; both accept the original offset).
 * - Any other sequence than last + 1 (a gap, or an older batch no longer remembered) is OUT_OF_ORDER_SEQUENCE_NUMBER;
 *   an unknown producer must start at 0.
 * - The state is rebuilt from the batches in the log after a restart (see PartitionLog), plus a snapshot written
 *   when a segment rolls so that start-up only scans the active segment.
 * - A producer is forgotten once retention has deleted all its remembered batches or after a day of silence
 *   (Kafka's producer.id.expiration.ms); it then has to start again at sequence 0, like a new one.
 */
import { KafkaError } from '../protocol/error-codes.js';

const REMEMBERED_BATCHES = 5;
const INT32_MAX = 2147483647;

export interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
  /** Wall-clock time of the producer's last batch (the restart time for batches replayed from the log). */
  lastSeenMs: number;
}

/** Producers silent this long are forgotten, as Kafka's producer.id.expiration.ms (default 1 day). */
export const PRODUCER_EXPIRATION_MS = 86_400_000;

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'error'; code: number };

export interface SequencedBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
}

function lastSeqOf(b: SequencedBatch): number {
  const s = b.baseSequence + b.lastOffsetDelta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

export class ProducerState {
  private readonly producers = new Map<number, ProducerEntry>();

  check(b: SequencedBatch): SequenceVerdict {
    if (b.producerId < 0) return { kind: 'append' };
    const entry = this.producers.get(b.producerId);
    if (!entry || b.producerEpoch > entry.epoch) {
      return b.baseSequence === 0
        ? { kind: 'append' }
        : { kind: 'error', code: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER };
    }
    if (b.producerEpoch < entry.epoch) return { kind: 'error', code: KafkaError.INVALID_PRODUCER_EPOCH };
    const lastSeq = lastSeqOf(b);
    for (const m of entry.batches) {
      if (m.firstSeq === b.baseSequence && m.lastSeq === lastSeq)
        return { kind: 'duplicate', baseOffset: m.baseOffset };
    }
    const last = entry.batches[entry.batches.length - 1];
    const expected = last === undefined ? 0 : last.lastSeq === INT32_MAX ? 0 : last.lastSeq + 1;
    return b.baseSequence === expected
      ? { kind: 'append' }
      : { kind: 'error', code: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER };
  }

  /** Records an appended batch (also used while replaying the log on start). */
  record(b: SequencedBatch, baseOffset: number, nowMs = Date.now()): void {
    if (b.producerId < 0) return;
    let entry = this.producers.get(b.producerId);
    if (!entry || b.producerEpoch !== entry.epoch) {
      entry = { epoch: b.producerEpoch, batches: [], lastSeenMs: nowMs };
      this.producers.set(b.producerId, entry);
    }
    entry.lastSeenMs = Math.max(entry.lastSeenMs, nowMs);
    entry.batches.push({
      firstSeq: b.baseSequence,
      lastSeq: lastSeqOf(b),
      baseOffset,
      lastOffset: baseOffset + b.lastOffsetDelta,
    });
    if (entry.batches.length > REMEMBERED_BATCHES) entry.batches.shift();
  }

  /**
   * Forgets producers whose batches retention has deleted entirely, or that have been silent for longer than
   * the expiration time, so that the state is bounded by the producers active in the retained log.
   */
  expire(logStartOffset: number, nowMs = Date.now(), expirationMs = PRODUCER_EXPIRATION_MS): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      const last = e.batches[e.batches.length - 1];
      if ((last !== undefined && last.lastOffset < logStartOffset) || nowMs - e.lastSeenMs > expirationMs) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.producers.size;
  }

  toJSON(): Array<[number, ProducerEntry]> {
    return [...this.producers];
  }

  static fromJSON(data: unknown): ProducerState {
    const s = new ProducerState();
    if (!Array.isArray(data)) return s;
    for (const item of data) {
      if (!Array.isArray(item) || typeof item[0] !== 'number' || typeof item[1]?.epoch !== 'number') continue;
      const batches = Array.isArray(item[1].batches) ? (item[1].batches as BatchMeta[]) : [];
      const lastSeenMs = typeof item[1].lastSeenMs === 'number' ? item[1].lastSeenMs : Date.now();
      s.producers.set(item[0], { epoch: item[1].epoch, batches: batches.slice(-REMEMBERED_BATCHES), lastSeenMs });
    }
    return s;
  }
}

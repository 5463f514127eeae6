/**
 * The dead letters of a batch (docs/processor.md, "What it computes"): messages that are not valid ticks, with
 * their raw bytes, and valid ticks refused by a bound (tick-guard.ts), encoded again from their fields. The batch
 * transaction appends them to `ob_rejected`; delivery writes them to the lake's `rejected` and to `ticks.dlq`.
 */

import { encodeTick, type Tick } from '../../contracts/tick.js';
import { type DuckDBConnection, DuckDBDateValue, DuckDBTimestampValue } from '../../core/duckdb.js';
import type { RejectedMessage, TickBatch } from './tick-batch.js';

/** A dead letter: where it came from, its key and value, and why. */
export interface DeadLetter {
  partition: number;
  offset: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  reason: string;
}

const DAY_MS = 86_400_000;

/** A message `parseTick` refused: its raw bytes, viewed, not copied. */
export function rejectedLetter(partition: number, offset: number, r: RejectedMessage): DeadLetter {
  const bytes = (v: Uint8Array | null) => (v === null ? null : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  return { partition, offset, key: bytes(r.key), value: bytes(r.value), reason: r.reason };
}

/**
 * Row `i` of a batch, a valid tick refused by a bound: its fields encoded again in the canonical form (the raw bytes
 * of valid ticks are not kept, so fields beyond the contract's are not either), keyed by its symbol.
 */
export function guardedLetter(
  batch: TickBatch,
  i: number,
  partition: number,
  offset: number,
  reason: string,
): DeadLetter {
  const s = batch.strings;
  const t: Tick = {
    v: 1,
    symbol: s[batch.symbol[i]],
    exchange: s[batch.exchange[i]],
    assetClass: s[batch.assetClass[i]] as Tick['assetClass'],
    ts: batch.ts[i],
    price: batch.price[i],
    size: batch.size[i],
  };
  if (batch.src[i] >= 0) t.src = s[batch.src[i]];
  if (!Number.isNaN(batch.seq[i])) t.seq = batch.seq[i];
  return { partition, offset, key: t.symbol, value: encodeTick(t), reason };
}

/** Appends a batch's dead letters to `ob_rejected` (inside its transaction), received at `now`. */
export async function appendDeadLetters(
  conn: DuckDBConnection,
  batchId: number,
  topic: string,
  now: number,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  const a = await conn.createAppender('ob_rejected');
  for (const m of letters) {
    a.appendBigInt(BigInt(batchId));
    a.appendDate(new DuckDBDateValue(Math.floor(now / DAY_MS)));
    a.appendVarchar(topic);
    a.appendInteger(m.partition);
    a.appendBigInt(BigInt(m.offset));
    a.appendTimestamp(new DuckDBTimestampValue(BigInt(now) * 1000n));
    a.appendVarchar(m.reason);
    appendText(a, m.key);
    appendText(a, m.value);
    a.endRow();
  }
  a.closeSync();
}

function appendText(a: { appendVarchar(v: string): void; appendNull(): void }, v: Buffer | string | null): void {
  if (v === null) a.appendNull();
  else a.appendVarchar(typeof v === 'string' ? v : v.toString('utf8'));
}

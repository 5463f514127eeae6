/**
 * A batch's raw messages into the TEMP table `stg` of the engine's connection, as text: what the decode SQL
 * (decode-sql.ts) reads. A key or value that is not valid UTF-8 is staged as its base64 with the reason in `bad`, so
 * it is rejected with that reason (and its bytes kept) instead of being silently changed by a replacement character.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';

export interface RawMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Kafka message timestamp, epoch ms (null when unknown). */
  timestamp: number | null;
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
}

/** Column names start with `_`, which declared columns may not: the decode SQL keeps both side by side. */
export const STAGE_DDL = `CREATE OR REPLACE TEMP TABLE stg (_topic VARCHAR, _partition INTEGER, _offset BIGINT,
  _kts BIGINT, _k VARCHAR, _v VARCHAR, _bad VARCHAR)`;

const strict = new TextDecoder('utf-8', { fatal: true });

function text(b: Uint8Array | string | null, what: string): { s: string | null; bad?: string } {
  if (b === null || typeof b === 'string') return { s: b };
  try {
    return { s: strict.decode(b) };
  } catch {
    // kept, as base64, for the dead-letter path: nothing of the message is lost
    return { s: Buffer.from(b).toString('base64'), bad: `the ${what} is not valid UTF-8 (kept as base64)` };
  }
}

/** Replaces `stg` with `messages`. */
export async function stageMessages(conn: DuckDBConnection, messages: readonly RawMessage[]): Promise<void> {
  await conn.run(STAGE_DDL);
  if (messages.length === 0) return;
  const app = await conn.createAppender('stg', 'main', 'temp');
  for (const m of messages) {
    const k = text(m.key, 'key');
    const v = text(m.value, 'value');
    app.appendVarchar(m.topic);
    app.appendInteger(m.partition);
    app.appendBigInt(BigInt(m.offset));
    if (m.timestamp === null || !Number.isFinite(m.timestamp)) app.appendNull();
    else app.appendBigInt(BigInt(Math.trunc(m.timestamp)));
    if (k.s === null) app.appendNull();
    else app.appendVarchar(k.s);
    if (v.s === null) app.appendNull();
    else app.appendVarchar(v.s);
    const bad = k.bad ?? v.bad;
    if (bad === undefined) app.appendNull();
    else app.appendVarchar(bad);
    app.endRow();
  }
  app.closeSync();
}

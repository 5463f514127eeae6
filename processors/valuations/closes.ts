/**
 * The `closes` topic: what the bar stage hands the valuation stage when they run apart (docs/scaling.md,
 * "Valuations as their own stage"). Two kinds of JSON messages, in one partition per source partition or all in one:
 *
 * - a close, one per emitted bar: `{"kind":"close","symbol":"AAPL","window":"1m","window_end":1767605460000,
 *   "close":187.2}`, key `close/<symbol>/<window>/<window_end>` (publishing it again is harmless);
 * - a watermark mark of a source partition: `{"kind":"mark","partition":2,"partitions":6,"watermark":…,
 *   "idle":false}`, key `mark/<partition>`: every close of that partition's bars ending at or before the
 *   watermark was published before it. `partitions` is the source topic's partition count; `idle` says the
 *   partition stopped holding valuations back (docs/processor.md, "Idle partitions").
 */

export const CLOSES_TOPIC = 'closes';

export interface CloseMessage {
  kind: 'close';
  symbol: string;
  window: string;
  /** Epoch ms. */
  window_end: number;
  close: number;
}

export interface MarkMessage {
  kind: 'mark';
  partition: number;
  partitions: number;
  /** Epoch ms. */
  watermark: number;
  idle: boolean;
}

export type ClosesMessage = CloseMessage | MarkMessage;

export function closeKey(c: Omit<CloseMessage, 'kind'>): string {
  return `close/${c.symbol}/${c.window}/${c.window_end}`;
}

export function encodeClose(c: Omit<CloseMessage, 'kind'>): { key: string; value: string } {
  return { key: closeKey(c), value: JSON.stringify({ kind: 'close', ...c }) };
}

export function encodeMark(m: Omit<MarkMessage, 'kind'>): { key: string; value: string } {
  return { key: `mark/${m.partition}`, value: JSON.stringify({ kind: 'mark', ...m }) };
}

const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** Parses one message of the closes topic; a message that is neither kind is an error naming what is wrong. */
export function parseClosesMessage(text: string): ClosesMessage | { error: string } {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  if (v === null || typeof v !== 'object') return { error: 'not a JSON object' };
  if (v.kind === 'close') {
    if (typeof v.symbol !== 'string' || !v.symbol) return { error: 'close: symbol is not a non-empty string' };
    if (typeof v.window !== 'string' || !v.window) return { error: 'close: window is not a non-empty string' };
    if (!num(v.window_end)) return { error: 'close: window_end is not a number (epoch ms)' };
    if (!num(v.close)) return { error: 'close: close is not a number' };
    return {
      kind: 'close',
      symbol: v.symbol,
      window: v.window,
      window_end: v.window_end as number,
      close: v.close as number,
    };
  }
  if (v.kind === 'mark') {
    if (!Number.isInteger(v.partition) || (v.partition as number) < 0) return { error: 'mark: partition' };
    if (!Number.isInteger(v.partitions) || (v.partitions as number) < 1) return { error: 'mark: partitions' };
    if (!num(v.watermark)) return { error: 'mark: watermark is not a number (epoch ms)' };
    return {
      kind: 'mark',
      partition: v.partition as number,
      partitions: v.partitions as number,
      watermark: v.watermark as number,
      idle: v.idle === true,
    };
  }
  return { error: `kind is ${JSON.stringify(v.kind)}, not "close" or "mark"` };
}

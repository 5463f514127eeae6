/**
 * One replay of a recorded file into Kafka: bad rows are reported (file:line: reason) and skipped, valid ticks are
 * sent in event-time order, paced so that event-time gaps take gap/speed of wall time (speed Infinity = no waiting).
 */

import { encodeTick } from '../contracts/tick.js';
import { tlError } from '../core/errors.js';
import { logger } from '../core/log.js';
import { Progress, rateText } from './progress.js';
import { type BadRow, orderedTicks, type ScanResult, scanFile } from './replay-order.js';
import type { RowDefaults } from './replay-rows.js';
import type { FileFormat } from './replay-source.js';
import { TickSender } from './sender.js';
import type { TickEncode } from './tick-encoding.js';
import { replaySource } from './tick-source.js';

export interface ReplayOptions {
  file: string;
  format?: FileFormat;
  brokers: string[];
  topic: string;
  /** Event-time speed-up; Infinity sends as fast as possible. */
  speed: number;
  batchSize: number;
  retries: number;
  defaults: RowDefaults;
  /** Where bad rows are reported (default: a line on stderr each, the first 100, then a count). */
  onBad?: (bad: BadRow) => void;
  signal?: AbortSignal;
  progress?: Progress;
  /** After the scan, before anything is sent: a reason not to send (TL_DATA_LATE), or undefined to go on. */
  refuse?: (scan: ScanResult) => string | undefined;
  /** Message values other than the JSON text (--format avro: producers/tick-encoding.ts). */
  encode?: TickEncode;
}

export interface ReplaySummary {
  rows: number;
  sent: number;
  bad: number;
  sorted: boolean;
  firstTs: number | null;
  lastTs: number | null;
  seconds: number;
  aborted: boolean;
}

const log = logger('replay');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_REPORTED = 100;

/** `1`, `10`, `0.5`, `max` → a positive speed factor (Infinity for max). */
export function parseSpeed(text: string): number {
  if (text.trim().toLowerCase() === 'max') return Number.POSITIVE_INFINITY;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw tlError('TL_CONFIG_BAD_VALUE', {
      setting: '--speed',
      value: JSON.stringify(text),
      reason: 'expected a positive number or max',
    });
  return n;
}

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const progress = opts.progress ?? new Progress('replay');
  let reported = 0;
  const onBad =
    opts.onBad ??
    ((b: BadRow) => {
      if (++reported <= MAX_REPORTED)
        process.stderr.write(
          `${tlError('TL_DATA_BAD_ROW', { file: opts.file, line: b.line, reason: b.reason }).message}\n`,
        );
    });
  const order = { file: opts.file, format: opts.format, defaults: opts.defaults, onBad };
  const scan = await scanFile(order);
  if (!opts.onBad && scan.bad > MAX_REPORTED)
    process.stderr.write(`... and ${scan.bad - MAX_REPORTED} more bad rows\n`);
  log.debug({ ...scan, columns: scan.columns.names }, 'scanned');
  const refusal = opts.refuse?.(scan);
  if (refusal !== undefined) throw tlError('TL_DATA_LATE', { reason: refusal });

  const started = performance.now();
  let sender: TickSender;
  try {
    sender = await TickSender.connect({ ...opts, clientId: 'ticklake-replay' });
  } catch (e) {
    progress.done(`replay: FAILED after ${rateText(0, (performance.now() - started) / 1000)}: ${(e as Error).message}`);
    throw e;
  }
  let firstTs: number | null = null;
  // the ticks' identity: the file (name and content) and each tick's place in the sending order, the same whenever
  // the same file is replayed, so replaying it again (after a crash, or by mistake) counts nothing twice
  const src = await replaySource(opts.file);
  let seq = 0;
  try {
    for await (const t of orderedTicks(order, scan)) {
      if (opts.signal?.aborted) break;
      if (firstTs === null) firstTs = t.ts;
      if (opts.speed !== Number.POSITIVE_INFINITY) {
        const wait = started + (t.ts - firstTs) / opts.speed - performance.now();
        if (wait > 1) {
          await sender.flush();
          await sleep(wait);
        }
      }
      if (sender.push(t.symbol, (opts.encode ?? encodeTick)({ ...t, src, seq: ++seq }))) {
        await sender.flush();
        progress.update(sender.acked, `event time ${new Date(t.ts).toISOString()}`);
      }
    }
    await sender.close();
  } catch (e) {
    await sender.abort();
    progress.done(
      `replay: FAILED after ${rateText(sender.acked, (performance.now() - started) / 1000)}: ${(e as Error).message}`,
    );
    throw e;
  }
  const seconds = (performance.now() - started) / 1000;
  const summary: ReplaySummary = {
    rows: scan.rows,
    sent: sender.acked,
    bad: scan.bad,
    sorted: scan.sorted,
    firstTs: scan.firstTs,
    lastTs: scan.lastTs,
    seconds,
    aborted: opts.signal?.aborted === true,
  };
  const span =
    scan.firstTs === null
      ? ''
      : `, event time ${new Date(scan.firstTs).toISOString()} .. ${new Date(scan.lastTs!).toISOString()}`;
  const size = scan.columns.index.size < 0 ? ' (no size column: size 1)' : '';
  progress.done(
    `replay: sent ${rateText(summary.sent, seconds)} from ${opts.file} to ${opts.topic}${span}${size}; ` +
      `${summary.bad} bad rows skipped${summary.sorted ? '' : '; file was not in time order, sent sorted'}` +
      `${summary.aborted ? ' (interrupted)' : ''}`,
  );
  log.info({ ...summary }, 'replay finished');
  return summary;
}

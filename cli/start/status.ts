/**
 * The live status of `ticklake start`: one compact line (ticks/s, consumer lag, watermark and its delay behind the
 * exchanges' event clock, lake files, MySQL state). On a terminal it is redrawn in place every second; otherwise
 * a plain line is logged at most every `plainEveryMs` (10 s), so that a log file does not fill up.
 */
import type { ProcessorStats } from '../../processors/ticks/processor.js';

export type MysqlState = 'off' | 'up' | 'down' | 'failing';

export interface StatusInput {
  /** Ticks acknowledged by Kafka, all exchanges, since the data dir was created. */
  produced: number;
  /** Event time of the exchanges' clock. */
  eventNow: number;
  processor: ProcessorStats;
  mysql: MysqlState;
}

export interface StatusWriter {
  isTTY?: boolean;
  write(s: string): boolean;
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export function statusLine(s: StatusInput, ticksPerSecond: number): string {
  const p = s.processor;
  const wm =
    p.watermark === null ? '-' : `${time(p.watermark)}Z (${((s.eventNow - p.watermark) / 1000).toFixed(1)}s behind)`;
  return (
    `${Math.round(ticksPerSecond)} ticks/s  produced ${s.produced}  lag ${p.lag}  watermark ${wm}  ` +
    `bars ${p.bars}  lake files ${p.lakeFiles}  mysql ${s.mysql}`
  );
}

/** ticks/s over this much time: the exchanges send a whole step at a time, so a 1 s rate would jump. */
const RATE_WINDOW_MS = 5000;

export class StatusReporter {
  private samples: { at: number; produced: number }[] = [];
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly out: StatusWriter,
    private readonly plainEveryMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Call about once a second. */
  update(s: StatusInput): void {
    const t = this.now();
    while (this.samples.length > 1 && t - this.samples[1].at >= RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const rate = first === undefined || t <= first.at ? 0 : ((s.produced - first.produced) * 1000) / (t - first.at);
    this.samples.push({ at: t, produced: s.produced });
    const line = statusLine(s, rate);
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[K${line}`);
      this.drawn = true;
    } else if (t - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = t;
      this.out.write(`status: ${line}\n`);
    }
  }

  /** Before another line is printed: clears the live line. */
  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}

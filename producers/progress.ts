/**
 * User-facing progress of a long send: a line on stderr rewritten about once a second when stderr is a TTY
 * (nothing otherwise), and one summary line at the end in every case.
 */

export interface ProgressOptions {
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): boolean };
  /** Force the live line on or off (default: when the stream is a TTY). */
  live?: boolean;
  /** Clock in ms (injectable for tests). */
  now?: () => number;
}

export class Progress {
  readonly startedAt: number;
  private lastDraw = 0;
  private drawn = false;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly live: boolean;
  private readonly now: () => number;

  constructor(
    private readonly label: string,
    opts: ProgressOptions = {},
  ) {
    this.stream = opts.stream ?? process.stderr;
    this.live = opts.live ?? this.stream.isTTY === true;
    this.now = opts.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  /** Seconds since the start. */
  elapsed(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  /** Cheap to call often: redraws at most once a second, only on a TTY. */
  update(sent: number, extra = ''): void {
    if (!this.live) return;
    const t = this.now();
    if (t - this.lastDraw < 1000) return;
    this.lastDraw = t;
    const secs = this.elapsed();
    const rate = secs > 0 ? Math.round(sent / secs) : 0;
    this.stream.write(`\r\x1b[K${this.label}: ${sent} messages, ${rate} msg/s${extra ? `, ${extra}` : ''}`);
    this.drawn = true;
  }

  /** Clears the live line and writes the summary line. */
  done(summary: string): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(`${summary}\n`);
  }
}

/** `12345 messages in 2.5 s (4938 msg/s)`. */
export function rateText(count: number, seconds: number): string {
  const rate = seconds > 0 ? Math.round(count / seconds) : count;
  return `${count} messages in ${seconds.toFixed(1)} s (${rate} msg/s)`;
}
